#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from the Go module proxy into a per-version cache outside
# the repo, for the pipeline-example tests. Its module carries no replace directives, so `go install` builds it as
# released. The private GOCACHE is removed afterwards; downloaded modules stay in the usual module cache.
# Usage: build-actionlint.sh <cache-bin-dir> <actionlint-version>
set -euo pipefail
BIN_DIR="$1"; VERSION="$2"
WORK="$(dirname "$BIN_DIR")/build"
BUILD_LABEL=build-actionlint
# shellcheck source=../local/build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/build-lib.sh"

mkdir -p "$BIN_DIR" "$WORK"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOCACHE="$WORK/go-build" GOBIN="$WORK/gobin"

if [[ ! -x "$BIN_DIR/actionlint" ]]; then
  step "go install github.com/rhysd/actionlint/cmd/actionlint@$VERSION (about a minute on 2 idle cores)"
  with_heartbeat "go install actionlint" go install -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
  mv "$WORK/gobin/actionlint" "$BIN_DIR/actionlint"
fi
rm -rf "$WORK"
step "done: $("$BIN_DIR/actionlint" -version | head -1)"
