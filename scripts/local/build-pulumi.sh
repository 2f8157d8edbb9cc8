#!/usr/bin/env bash
# Builds the Pulumi engine the proving ground runs from Go modules into a per-version cache outside the repo:
#  - the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi), from a wrapper module that maps pulumi's own replace
#    directives to published modules;
#  - the Node.js language host: its current module is not published on the module proxy, so the newest SDK
#    release that still carries it under sdk/v3/nodejs/cmd is used;
#  - the Kubernetes resource provider: its main package embeds a schema file that its own generate.go writes, so
#    main.go, generate.go and the two JSON inputs are copied out of the module into a build folder first.
# Usage: build-pulumi.sh <cache-bin-dir> <cli-version> <language-host-sdk-version> <k8s-provider-module-version> <k8s-provider-release>
set -euo pipefail
BIN_DIR="$1"; CLI_VERSION="$2"; LANGHOST_VERSION="$3"; K8S_MODULE_VERSION="$4"; K8S_RELEASE="$5"
WORK="$(dirname "$BIN_DIR")/build"
BUILD_LABEL=build-pulumi
# shellcheck source=build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"

tidy() { # <label> <dir>
  (cd "$2" && with_heartbeat "go mod tidy ($1)" go mod tidy -e >/dev/null 2>tidy.log) || { cat "$2/tidy.log"; exit 1; }
}

mkdir -p "$BIN_DIR" "$WORK"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOCACHE="$WORK/go-build"

if [[ ! -x "$BIN_DIR/pulumi" ]]; then
  step "resolving github.com/pulumi/pulumi/pkg/v3@$CLI_VERSION"
  mkdir -p "$WORK/cli" && cd "$WORK/cli"
  cat > go.mod <<MOD
module keyfleet.local/pulumibuild

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 $CLI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $CLI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

replace golang.org/x/text => golang.org/x/text v0.41.0
MOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
  tidy cli "$WORK/cli"
  step "go build pulumi $CLI_VERSION (several minutes on 2 cores)"
  with_heartbeat "go build pulumi" go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$CLI_VERSION" \
    -o "$BIN_DIR/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN_DIR/pulumi.tmp" "$BIN_DIR/pulumi"
fi

if [[ ! -x "$BIN_DIR/pulumi-language-nodejs" ]]; then
  step "resolving github.com/pulumi/pulumi/sdk/v3@$LANGHOST_VERSION (Node.js language host)"
  mkdir -p "$WORK/langhost" && cd "$WORK/langhost"
  cat > go.mod <<MOD
module keyfleet.local/langhostbuild

go 1.25

require github.com/pulumi/pulumi/sdk/v3 $LANGHOST_VERSION

replace golang.org/x/text => golang.org/x/text v0.3.6
MOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' > tools.go
  tidy langhost "$WORK/langhost"
  step "go build pulumi-language-nodejs $LANGHOST_VERSION"
  with_heartbeat "go build pulumi-language-nodejs" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_VERSION" \
    -o "$BIN_DIR/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  mv "$BIN_DIR/pulumi-language-nodejs.tmp" "$BIN_DIR/pulumi-language-nodejs"
fi

if [[ ! -x "$BIN_DIR/pulumi-resource-kubernetes" ]]; then
  step "resolving github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_MODULE_VERSION ($K8S_RELEASE)"
  SRC="$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  PKG_VERSION="$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[^ ]*\).*#\1#p' "$SRC/go.mod" | head -1)"
  mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
  cp "$SRC/cmd/pulumi-resource-kubernetes/"{main.go,generate.go,schema.json,terraform-mapping.json} .
  chmod u+w ./*
  cat > go.mod <<MOD
module keyfleet.local/k8sproviderbuild

go 1.25

require (
	github.com/pulumi/pulumi-kubernetes/provider/v4 $K8S_MODULE_VERSION
	github.com/pulumi/pulumi/pkg/v3 $PKG_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PKG_VERSION
)

replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.22.2
MOD
  tidy k8s-provider "$WORK/k8s"
  step "generating the provider's embedded schema (version ${K8S_RELEASE#v})"
  VERSION="${K8S_RELEASE#v}" go run generate.go
  step "go build pulumi-resource-kubernetes $K8S_RELEASE (the longest step: ~15 CPU-minutes)"
  with_heartbeat "go build pulumi-resource-kubernetes" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${K8S_RELEASE#v}" \
    -o "$BIN_DIR/pulumi-resource-kubernetes.tmp" .
  mv "$BIN_DIR/pulumi-resource-kubernetes.tmp" "$BIN_DIR/pulumi-resource-kubernetes"
fi
rm -rf "$WORK"
step "done: $(ls "$BIN_DIR" | tr '\n' ' ')"
