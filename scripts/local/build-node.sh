#!/usr/bin/env bash
# Builds the worker node's runtime from Go modules into a per-version cache outside the repo:
# containerd (+ its runc v2 shim and ctr), runc and the CNI plugins the ground's pod network uses.
# None of these modules carries replace directives, so `go install module/cmd@version` builds them as released.
# runc needs cgo and libseccomp's headers: Debian's libseccomp-dev is installed here when missing (root, apt).
# Usage: build-node.sh <cache-bin-dir> <containerd-version> <runc-version> <cni-plugins-version>
set -euo pipefail
BIN_DIR="$1"; CONTAINERD_VERSION="$2"; RUNC_VERSION="$3"; CNI_VERSION="$4"
WORK="$(dirname "$BIN_DIR")/build"
BUILD_LABEL=build-node
# shellcheck source=build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"

mkdir -p "$BIN_DIR/cni" "$WORK"
export GOFLAGS=-mod=mod GOCACHE="$WORK/go-build" GOBIN="$WORK/gobin"

if [[ ! -x "$BIN_DIR/containerd" || ! -x "$BIN_DIR/containerd-shim-runc-v2" || ! -x "$BIN_DIR/ctr" ]]; then
  step "go install containerd $CONTAINERD_VERSION (containerd, containerd-shim-runc-v2, ctr)"
  CGO_ENABLED=0 with_heartbeat "go install containerd" go install -trimpath -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
  for b in containerd containerd-shim-runc-v2 ctr; do mv "$GOBIN/$b" "$BIN_DIR/$b"; done
fi

if [[ ! -x "$BIN_DIR/runc" ]]; then
  if [[ ! -f /usr/include/seccomp.h ]]; then
    command -v apt-get >/dev/null || { echo "runc needs libseccomp's headers (seccomp.h); install your distribution's libseccomp development package" >&2; exit 1; }
    step "installing Debian's libseccomp-dev (runc's seccomp support)"
    with_heartbeat "apt-get install libseccomp-dev" bash -c 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libseccomp-dev >/dev/null'
  fi
  step "go install runc $RUNC_VERSION (cgo, seccomp)"
  CGO_ENABLED=1 with_heartbeat "go install runc" go install -trimpath -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" "github.com/opencontainers/runc@$RUNC_VERSION"
  mv "$GOBIN/runc" "$BIN_DIR/runc"
fi

PLUGINS=(main/bridge main/loopback ipam/host-local meta/portmap)
for p in "${PLUGINS[@]}"; do
  name="${p##*/}"
  [[ -x "$BIN_DIR/cni/$name" ]] && continue
  step "go install CNI plugin $name $CNI_VERSION"
  CGO_ENABLED=0 with_heartbeat "go install $name" go install -trimpath -ldflags "-s -w" \
    "github.com/containernetworking/plugins/plugins/$p@$CNI_VERSION"
  mv "$GOBIN/$name" "$BIN_DIR/cni/$name"
done
rm -rf "$WORK"
step "done: $(ls "$BIN_DIR" "$BIN_DIR/cni" | tr '\n' ' ')"
