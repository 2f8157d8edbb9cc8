#!/usr/bin/env bash
# Installs check-jsonschema (PyPI) into a private virtualenv in a per-version cache outside the repo. It ships the
# published Azure Pipelines YAML schema (vendor.azure-pipelines, from Microsoft's azure-pipelines-vscode) and a
# transform for `${{ }}` template expressions, which is what the Azure Pipelines examples are validated against.
# The entry point is linked last, so an interrupted install is redone from scratch on the next run.
# Usage: install-check-jsonschema.sh <cache-dir> <version>
set -euo pipefail
DIR="$1"; VERSION="$2"
BUILD_LABEL=install-check-jsonschema
# shellcheck source=../local/build-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/build-lib.sh"

if [[ ! -x "$DIR/bin/check-jsonschema" ]]; then
  rm -rf "$DIR/venv"
  step "python3 -m venv + pip install check-jsonschema==$VERSION"
  python3 -m venv "$DIR/venv"
  with_heartbeat "pip install" "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-cache-dir "check-jsonschema==$VERSION"
  mkdir -p "$DIR/bin" && ln -sf ../venv/bin/check-jsonschema "$DIR/bin/check-jsonschema"
fi
step "done: $("$DIR/bin/check-jsonschema" --version)"
