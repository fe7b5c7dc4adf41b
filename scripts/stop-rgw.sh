#!/bin/bash
# Stops the rgw started by scripts/start-rgw.sh for the same DELTATS_RGW_PORT / DELTATS_RGW_DIR.
# Kills only the daemons whose pids that script recorded (and only if they still are ceph/radosgw processes).
set -uo pipefail
PORT=${DELTATS_RGW_PORT:-7480}
D=${DELTATS_RGW_DIR:-/tmp/deltats-rgw-$PORT}
stopped=0
for f in rgw osd mon; do
  [ -f "$D/$f.pid" ] || continue
  pid=$(cat "$D/$f.pid")
  if grep -qaE 'radosgw|ceph-osd|ceph-mon' "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    stopped=$((stopped + 1))
  fi
  rm -f "$D/$f.pid"
done
echo "stop-rgw: stopped $stopped daemon(s) of $D" >&2
