#!/bin/bash
# Starts a throwaway single-node Ceph RGW (S3 API) for the S3 tests: one monitor, one in-memory OSD, radosgw.
# Idempotent: reuses an rgw already answering on the port. Progress goes to stderr; stdout is only the endpoint URL.
#
# Env: DELTATS_RGW_PORT (S3 port, default 7480), DELTATS_RGW_MON_PORT (default S3 port + 1000),
#      DELTATS_RGW_DIR (data dir, default /tmp/deltats-rgw-<port>; wiped on a fresh start).
# Credentials: access key `testkey`, secret `testsecret`, region us-east-1, path-style addressing.
# Install (Debian/Ubuntu, as root): apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
#   --no-install-recommends radosgw ceph-mon ceph-osd        (see .ci/install-s3.sh)
# Gotchas (measured): with auth off, `ms mon client mode = crc` and `ms client mode = crc` are required or
# radosgw hangs 300 s on auth error -13; without a mgr some `ceph` commands hang forever, so every `ceph`
# call is wrapped in `timeout` and only `osd new` / `osd stat` are used; HEALTH_WARN (no mgr) is expected.
set -euo pipefail
PORT=${DELTATS_RGW_PORT:-7480}
MON_PORT=${DELTATS_RGW_MON_PORT:-$((PORT + 1000))}
D=${DELTATS_RGW_DIR:-/tmp/deltats-rgw-$PORT}
ENDPOINT="http://127.0.0.1:$PORT"
log() { echo "start-rgw: $*" >&2; }

is_rgw() {
  # An anonymous GET / on radosgw answers with an S3 ListAllMyBucketsResult (or an S3 error document).
  local body
  body=$(curl -s -m 5 "$ENDPOINT/" 2>/dev/null) || return 1
  [[ "$body" == *"ListAllMyBucketsResult"* || "$body" == *"<Error><Code>"* ]]
}

ensure_user() {
  if [ -f "$D/ceph.conf" ]; then
    timeout 60 radosgw-admin -c "$D/ceph.conf" user info --uid=test >/dev/null 2>&1 ||
      timeout 60 radosgw-admin -c "$D/ceph.conf" user create --uid=test --display-name=test \
        --access-key=testkey --secret-key=testsecret >/dev/null
  fi
}

if is_rgw; then
  log "reusing the rgw already answering on $ENDPOINT"
  ensure_user || true
  echo "$ENDPOINT"
  exit 0
fi

for bin in radosgw ceph-mon ceph-osd ceph monmaptool ceph-authtool radosgw-admin curl; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    log "'$bin' is not installed. Install (as root): apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl"
    exit 2
  fi
done

if curl -s -m 2 -o /dev/null "$ENDPOINT/"; then
  log "port $PORT answers but is not radosgw; pick another DELTATS_RGW_PORT"
  exit 3
fi

# Leftovers of an earlier start in this dir (e.g. a crashed rgw): stop only our own daemons, by recorded pid.
for f in rgw osd mon; do
  if [ -f "$D/$f.pid" ]; then
    pid=$(cat "$D/$f.pid")
    if grep -qaE 'radosgw|ceph-osd|ceph-mon' "/proc/$pid/cmdline" 2>/dev/null; then
      log "stopping stale $f (pid $pid)"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
done

case "$D" in /tmp/*) ;; *) log "DELTATS_RGW_DIR must be under /tmp (got $D)"; exit 4 ;; esac
rm -rf "$D"
mkdir -p "$D"/{run,log,mon.a,osd.0,rgw.a}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<C
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
keyring = $D/keyring
[mon]
mon data = $D/mon.\$id
[osd]
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd memory target = 939524096
[client.rgw.a]
# tcp_nodelay=1: without it beast's Nagle (response headers and body in two writes) meets the client's 40 ms delayed
# ACK on every reused keep-alive connection: ~44 ms per request instead of ~1 ms (measured; AWS S3 shows no such delay).
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw.a
C
C="-c $D/ceph.conf"
log "starting monitor (127.0.0.1:$MON_PORT), data in $D"
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon $C --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
setsid ceph-mon $C -i a -f </dev/null >"$D/log/mon.out" 2>&1 & echo $! >"$D/mon.pid"
OU=$(cat /proc/sys/kernel/random/uuid)
ID=$(timeout 30 ceph $C osd new "$OU")
log "starting OSD $ID (memstore)"
ceph-osd $C -i "$ID" --mkfs --osd-uuid "$OU" >"$D/log/osd-mkfs.out" 2>&1
setsid ceph-osd $C -i "$ID" -f </dev/null >"$D/log/osd.out" 2>&1 & echo $! >"$D/osd.pid"
up=0
for _ in $(seq 1 60); do
  if timeout 10 ceph $C osd stat 2>/dev/null | grep -q '1 up'; then up=1; break; fi
  sleep 0.5
done
[ "$up" = 1 ] || { log "OSD did not come up; see $D/log"; exit 5; }
log "starting radosgw on $ENDPOINT"
setsid radosgw $C -n client.rgw.a -f </dev/null >"$D/log/rgw.out" 2>&1 & echo $! >"$D/rgw.pid"
ok=0
for _ in $(seq 1 120); do
  if curl -s -m 2 -o /dev/null "$ENDPOINT/"; then ok=1; break; fi
  sleep 0.5
done
[ "$ok" = 1 ] || { log "radosgw did not answer on $ENDPOINT; see $D/log"; exit 6; }
timeout 60 radosgw-admin $C user create --uid=test --display-name=test --access-key=testkey --secret-key=testsecret >/dev/null
log "ready: $ENDPOINT (testkey/testsecret, us-east-1, path-style); pids mon=$(cat "$D/mon.pid") osd=$(cat "$D/osd.pid") rgw=$(cat "$D/rgw.pid"); stop: scripts/stop-rgw.sh"
echo "$ENDPOINT"
