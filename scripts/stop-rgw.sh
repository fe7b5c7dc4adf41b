#!/bin/bash
# Stops the rgw started by scripts/start-rgw.sh for the same DELTATS_RGW_PORT / DELTATS_RGW_DIR.
# Kills only the daemons whose pids that script recorded (and only if they still are ceph/radosgw processes).
# --remove-data: also delete the data dir (under /tmp only) once every daemon is gone.
set -uo pipefail
REMOVE=0
[ "${1:-}" = "--remove-data" ] && REMOVE=1
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
if [ "$REMOVE" = 1 ]; then
  case "$D" in /tmp/?*) ;; *) echo "stop-rgw: not removing $D (only dirs under /tmp)" >&2; exit 4 ;; esac
  rm -rf "$D" && echo "stop-rgw: removed $D" >&2
fi
