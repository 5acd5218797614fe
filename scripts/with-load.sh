#!/usr/bin/env bash
# Runs a command with N CPU-busy processes alongside (a laptop doing other work), and stops
# them afterwards whatever the command's result.
#   scripts/with-load.sh N COMMAND...
set -euo pipefail
n="$1"; shift
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT
for _ in $(seq "$n"); do
  yes > /dev/null &
  pids+=("$!")
done
echo "with-load: $n busy processes (${pids[*]}) alongside: $*" >&2
"$@"
