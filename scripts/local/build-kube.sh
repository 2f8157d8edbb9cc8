#!/usr/bin/env bash
# Builds Kubernetes binaries (kube-apiserver and kube-controller-manager by default; kube-scheduler and kubelet
# when named, for the worker node) and etcd from Go modules into a per-version cache outside the repo.
# k8s.io/kubernetes replaces its staging modules with ./staging paths that do not exist in the published module,
# so a tiny wrapper module maps each of them to its published v0.X.Y instead.
# Usage: build-kube.sh <cache-bin-dir> <k8s-version> <etcd-version> [kube command ...]
set -euo pipefail
BIN_DIR="$1"; K8S_VERSION="$2"; ETCD_VERSION="$3"; shift 3
KUBE_CMDS=("$@")
(( ${#KUBE_CMDS[@]} > 0 )) || KUBE_CMDS=(kube-apiserver kube-controller-manager)
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
WORK="$(dirname "$BIN_DIR")/build"
BUILD_LABEL=build-kube
# shellcheck source=build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"

mkdir -p "$BIN_DIR" "$WORK/k8s" "$WORK/etcd"
export GOFLAGS=-mod=mod CGO_ENABLED=0
# A private build cache: kept while a build is incomplete (a retry resumes), removed once the binaries exist, so
# the ~4 GB of compiled packages does not stay on the machine. Downloaded modules stay in the usual module cache.
export GOCACHE="$WORK/go-build"

missing_kube() { for cmd in "${KUBE_CMDS[@]}"; do [[ -x "$BIN_DIR/$cmd" ]] || return 0; done; return 1; }

if missing_kube; then
  step "resolving k8s.io/kubernetes@$K8S_VERSION (staging modules -> $STAGING_VERSION)"
  cd "$WORK/k8s"
  MODFILE="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module keyfleet.local/kubebuild"
    echo
    grep -E '^go ' "$MODFILE"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    grep -E '=> \./staging/' "$MODFILE" | awk -v v="$STAGING_VERSION" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for cmd in "${KUBE_CMDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'
  } > tools.go
  with_heartbeat "go mod tidy" go mod tidy -e >/dev/null 2>"$WORK/k8s/tidy.log" || { cat "$WORK/k8s/tidy.log"; exit 1; }
  for cmd in "${KUBE_CMDS[@]}"; do
    [[ -x "$BIN_DIR/$cmd" ]] && continue
    step "go build $cmd (cold builds take several minutes on 2 cores)"
    with_heartbeat "go build $cmd" go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" -o "$BIN_DIR/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
    mv "$BIN_DIR/$cmd.tmp" "$BIN_DIR/$cmd"
  done
fi

if [[ ! -x "$BIN_DIR/etcd" ]]; then
  step "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  cd "$WORK/etcd"
  printf 'module keyfleet.local/etcdbuild\n\ngo 1.25\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  with_heartbeat "go mod tidy (etcd)" go mod tidy -e >/dev/null 2>"$WORK/etcd/tidy.log" || { cat "$WORK/etcd/tidy.log"; exit 1; }
  step "go build etcd"
  with_heartbeat "go build etcd" go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd.tmp" .
  mv "$BIN_DIR/etcd.tmp" "$BIN_DIR/etcd"
fi
rm -rf "$WORK"
step "done: $(ls "$BIN_DIR" | tr '\n' ' ')"
