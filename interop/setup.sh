#!/bin/bash
# interop/setup.sh: installs the reference engines the interop suite judges deltats by (dev-time only).
# A Python venv in interop/.venv with pinned pyspark + delta-spark (matching), deltalake (delta-rs) and
# pyarrow; the Delta jars resolved from Maven Central by Spark's own package resolution into interop/.ivy.
# Idempotent: a second run checks the stamp and returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")"

PYSPARK=4.0.1
DELTA_SPARK=4.0.1
DELTALAKE=1.6.6
PYARROW=21.0.0
SPEC="pyspark==$PYSPARK delta-spark==$DELTA_SPARK deltalake==$DELTALAKE pyarrow==$PYARROW"
VENV=.venv
IVY=.ivy
STAMP="$VENV/.deltats-interop-stamp"

PY=${PYTHON:-python3}
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SPEC" ] && [ -d "$IVY/jars" ]; then
  echo "interop setup: up to date ($SPEC)"
  exit 0
fi

if ! command -v java >/dev/null; then
  echo "interop setup: java (17) is required for Spark" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "interop setup: creating $VENV"
  "$PY" -m venv "$VENV"
fi
echo "interop setup: pip install $SPEC"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input $SPEC

# Resolve the Delta jars once (Spark's ivy resolution) by starting a session; cached in $IVY.
echo "interop setup: resolving Delta jars into $IVY"
"$VENV/bin/python" - <<'PY'
import os, sys
sys.path.insert(0, os.getcwd())
from engines import spark_session
spark = spark_session()
print("interop setup: spark", spark.version, "delta jars:", ", ".join(sorted(os.listdir(os.path.join(os.getcwd(), ".ivy", "jars")))[:3]), "...")
spark.stop()
PY
echo "$SPEC" > "$STAMP"
echo "interop setup: done"
