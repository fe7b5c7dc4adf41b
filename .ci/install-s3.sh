#!/bin/bash
# CI install step for the S3 test server: Ceph radosgw (+ a monitor and an OSD) from Debian packages.
# Skips when radosgw is already on PATH. The npm S3 fakes (s3rver, fake-s3) ignore If-None-Match: never use them.
set -euo pipefail
if command -v radosgw >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
  echo "install-s3: radosgw already installed ($(command -v radosgw)), skipping"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-s3: not root and no sudo; install as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd" >&2
    exit 1
  fi
fi
$SUDO apt-get update
# curl: scripts/start-rgw.sh polls the endpoint with it.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl ca-certificates
command -v radosgw >/dev/null
echo "install-s3: radosgw installed ($(radosgw --version 2>/dev/null | head -1))"
