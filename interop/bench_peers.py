"""delta-rs side of `npm run bench -- peers`: the same data, timed inside Python (imports and data generation
excluded). Usage: bench_peers.py write <dir> <rows> <reps> | scan <path> <reps> | load <path> <reps>.
Prints one JSON object with the times in ms."""
import json
import sys
import time

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake


def data(rows):
    """The rows bench/core.ts makeBatches() builds: id, ts, name, value, category."""
    cats = ["alpha", "beta", "gamma", "delta", "epsilon"]
    ids = pa.array(range(rows), pa.int64())
    return pa.table({
        "id": ids,
        "ts": pa.array([1_700_000_000_000_000 + g * 1000 for g in range(rows)], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "name": pa.array([f"name-{g % 100_000}" for g in range(rows)], pa.string()),
        "value": pa.array([g * 0.5 for g in range(rows)], pa.float64()),
        "category": pa.array([cats[g % 5] for g in range(rows)], pa.string()),
    })


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return r, (time.perf_counter() - t0) * 1000


def main():
    mode = sys.argv[1]
    out = {}
    if mode == "write":
        root, rows, reps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        t = data(rows)
        out["ms"] = [timed(lambda r=r: write_deltalake(f"{root}/rs-append-{r}", t))[1] for r in range(reps)]
        out["tables"] = [f"{root}/rs-append-{r}" for r in range(reps)]
    elif mode == "scan":
        path, reps = sys.argv[2], int(sys.argv[3])
        res = [timed(lambda: DeltaTable(path).to_pyarrow_table().num_rows) for _ in range(reps)]
        out["ms"] = [ms for _, ms in res]
        out["rows"] = res[0][0]
    elif mode == "load":
        path, reps = sys.argv[2], int(sys.argv[3])
        res = [timed(lambda: len(DeltaTable(path).file_uris())) for _ in range(reps)]
        out["ms"] = [ms for _, ms in res]
        out["files"] = res[0][0]
    print(json.dumps(out))


main()
