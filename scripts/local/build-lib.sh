#!/usr/bin/env bash
# Shared by the build-*.sh scripts: progress lines with elapsed time, and a heartbeat while a long command runs
# so a cold build never looks hung. Source it after setting BUILD_LABEL.
BUILD_START=$SECONDS
step() { printf '[%s +%4ss] %s\n' "$BUILD_LABEL" "$((SECONDS - BUILD_START))" "$*"; }

with_heartbeat() {
  local label="$1"; shift
  "$@" & local pid=$! ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; ticks=$((ticks + 1))
    if (( ticks % 20 == 0 )) && kill -0 "$pid" 2>/dev/null; then step "$label: still running"; fi
  done
  wait "$pid"
}
