"""Worker for the shared-table scenarios: delta-rs appends `count` one-row commits {writer, i}.
Usage: rs_append.py <uri> <writer> <count> [storageOptionsJSON]"""
import json
import sys

import pyarrow as pa
from deltalake import write_deltalake
from deltalake.exceptions import CommitFailedError

uri, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
so = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
schema = pa.schema([("writer", pa.string()), ("i", pa.int64())])
lost = 0
for i in range(count):
    data = pa.table({"writer": [writer], "i": [i]}, schema=schema)
    for attempt in range(50):
        try:
            write_deltalake(uri, data, mode="append", storage_options=so)
            break
        except CommitFailedError:
            lost += 1  # delta-rs gave up after its own retries: try the whole append again
    else:
        raise SystemExit(f"{writer}: commit {i} failed 50 times")
print(f"{writer}: {count} commits, {lost} whole-append retries")
