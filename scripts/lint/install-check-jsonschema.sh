#!/usr/bin/env bash
# Installs check-jsonschema (PyPI) into a private virtualenv in a per-version cache outside the repo. It ships the
# published Azure Pipelines YAML schema (vendor.azure-pipelines, from Microsoft's azure-pipelines-vscode) and a
# transform for `${{ }}` template expressions, which is what the Azure Pipelines examples are validated against.
# The entry point is linked last, so an interrupted install is redone from scratch on the next run.
# Usage: install-check-jsonschema.sh <cache-bin-dir> <version>
set -euo pipefail
BIN_DIR="$1"; VERSION="$2"
DIR="$(dirname "$BIN_DIR")"
BUILD_LABEL=install-check-jsonschema
# shellcheck source=../local/build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/build-lib.sh"

if [[ ! -x "$BIN_DIR/check-jsonschema" ]]; then
  rm -rf "$DIR/venv"
  step "python3 -m venv + pip install check-jsonschema==$VERSION"
  python3 -m venv "$DIR/venv"
  with_heartbeat "pip install" "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-cache-dir "check-jsonschema==$VERSION"
  mkdir -p "$BIN_DIR" && ln -sf ../venv/bin/check-jsonschema "$BIN_DIR/check-jsonschema"
fi
step "done: $("$BIN_DIR/check-jsonschema" --version)"
