"""Runs every task of the interop suite that needs a reference engine, in ONE Python process with ONE Spark
session (JVM start-up is the slow part): reads tables deltats wrote (Spark, delta-rs), generates tables with
Spark and delta-rs for deltats to read, and Spark's side of the shared-table scenarios.
Usage: driver.py tasks.json results.json. Each task's result (or its error) is written under its id."""
import datetime
import json
import os
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canonical  # noqa: E402
import generate  # noqa: E402
import nan_stats  # noqa: E402
from engines import spark_session  # noqa: E402

_spark = None


def spark():
    global _spark
    if _spark is None:
        t0 = time.time()
        _spark = spark_session()
        print(f"[driver] spark {_spark.version} up in {time.time() - t0:.1f}s", flush=True)
    return _spark


def short_error(e):
    """First line of an engine error (py4j wraps Java exceptions in long traces)."""
    text = str(e).strip()
    java = getattr(e, "java_exception", None)
    if java is not None:
        text = java.toString()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return (type(e).__name__ + ": " + (lines[0] if lines else "")).strip()[:600]


# ---------------------------------------------------------------------------------------------------------------
# Readings: version, schema (Delta JSON), partition columns and canonical rows, as each engine sees the table.


def spark_reading(path, version):
    from delta.tables import DeltaTable

    s = spark()
    reader = s.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(path)
    schema = json.loads(df.schema.json())
    if version is None:
        version_read = DeltaTable.forPath(s, path).history(1).collect()[0]["version"]
    else:
        version_read = version
    detail = s.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()[0]
    return {
        "version": int(version_read),
        "schema": schema,
        "partitionColumns": list(detail["partitionColumns"]) if version is None else None,
        "rows": canonical.rows(df.toArrow(), schema),
    }


def rs_reading(path, version, storage_options=None):
    from deltalake import DeltaTable

    dt = DeltaTable(path, version=version, storage_options=storage_options)
    schema = json.loads(dt.schema().to_json())
    return {
        "version": dt.version(),
        "schema": schema,
        "partitionColumns": list(dt.metadata().partition_columns),
        "rows": canonical.rows(dt.to_pyarrow_table(), schema),
    }


def readings(engine, path, versions, storage_options=None):
    out = []
    for v in versions:
        try:
            r = spark_reading(path, v) if engine == "spark" else rs_reading(path, v, storage_options)
            r["requested"] = v
        except Exception as e:  # noqa: BLE001 - reported per reading
            r = {"requested": v, "error": short_error(e)}
        out.append(r)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tasks


def task_read(t):
    return {"readings": readings(t["engine"], t["path"], t["versions"], t.get("storageOptions"))}


def task_history(t):
    from deltalake import DeltaTable as RsTable

    rows = spark().sql(f"DESCRIBE HISTORY delta.`{t['path']}`").collect()
    sp = [
        {
            "version": int(r["version"]),
            "operation": r["operation"],
            "operationParameters": dict(r["operationParameters"] or {}),
            "operationMetrics": dict(r["operationMetrics"] or {}),
        }
        for r in rows
    ]
    rs = [{"version": h.get("version"), "operation": h.get("operation")} for h in RsTable(t["path"]).history()]
    return {"spark": sp, "delta-rs": rs}


def task_txn(t):
    """Spark's idempotent writes (txnAppId/txnVersion) against the txn actions deltats's sink wrote, on a copy:
    each try reports the table version before and after Spark's write."""
    from deltalake import DeltaTable as RsTable
    from delta.tables import DeltaTable

    s = spark()
    path = t["path"]
    out = {"deltaRsTxnVersion": RsTable(path).transaction_version(t["appId"]), "tries": []}
    for tr in t["tries"]:
        before = DeltaTable.forPath(s, path).history(1).collect()[0]["version"]
        df = s.read.format("delta").load(path).limit(1)
        (df.write.format("delta").mode("append").option("txnAppId", t["appId"])
         .option("txnVersion", tr["txnVersion"]).save(path))
        after = DeltaTable.forPath(s, path).history(1).collect()[0]["version"]
        out["tries"].append({"txnVersion": tr["txnVersion"], "before": int(before), "after": int(after)})
    return out


def task_stream_read(t):
    """Spark Structured Streaming reads the whole table (trigger availableNow) into a memory sink, once."""
    s = spark()
    name = "interop_stream_" + str(abs(hash(t["path"])))
    q = (s.readStream.format("delta").load(t["path"]).writeStream.format("memory").queryName(name)
         .option("checkpointLocation", t["path"] + "-stream-checkpoint").trigger(availableNow=True).start())
    q.awaitTermination(300)
    df = s.table(name)
    schema = json.loads(s.read.format("delta").load(t["path"]).schema.json())
    from delta.tables import DeltaTable
    version = DeltaTable.forPath(s, t["path"]).history(1).collect()[0]["version"]
    rows = canonical.rows(df.toArrow(), schema)
    return {"readings": [{"requested": None, "version": int(version), "schema": schema, "partitionColumns": None, "rows": rows}]}


def task_generate(t):
    info = generate.run(t["kind"], t["path"], spark if t["engine"] == "spark" else None, t.get("storageOptions"))
    result = {"info": info}
    if info.get("expectUnsupported"):
        return result
    versions = [None] + info.get("earlierVersions", [])
    result["readings"] = readings(t["engine"], t["path"], versions, t.get("storageOptions"))
    return result


def task_spark_concurrent(t):
    """Spark appends `count` one-row commits while the commands `cmds` (deltats writers, a deltats stream) run."""
    s = spark()
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in t["cmds"]]
    for i in range(t["count"]):
        s.sql(f"INSERT INTO delta.`{t['path']}` SELECT {t['sparkRowSql'].format(i=i)}")
    outs = [p.communicate(timeout=600)[0] for p in procs]
    return {"sparkCommits": t["count"], "exits": [p.returncode for p in procs], "outputs": [o[-2000:] for o in outs]}


def task_ict(t):
    """A table deltats wrote with In-Commit Timestamps, on a copy: Spark's DESCRIBE HISTORY times, what Spark reads
    TIMESTAMP AS OF each given time (row count, sum of ids), then one Spark append and its commitInfo."""
    from delta.tables import DeltaTable

    s = spark()
    path = t["path"]
    hist = DeltaTable.forPath(s, path).history().selectExpr("version", "unix_millis(timestamp) AS ms").collect()
    travel = []
    for ms in t["timestamps"]:
        # The session time zone is UTC (engines.py): the instant as a UTC timestamp string with milliseconds.
        at = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        try:
            df = s.read.format("delta").option("timestampAsOf", at).load(path)
            r = df.selectExpr("count(*) AS n", "coalesce(sum(id), 0) AS total").collect()[0]
            travel.append({"ms": ms, "rows": int(r["n"]), "sum": int(r["total"])})
        except Exception as e:  # noqa: BLE001 - before the first commit Spark refuses; reported, compared
            travel.append({"ms": ms, "error": short_error(e)})
    before = DeltaTable.forPath(s, path).history(1).collect()[0]["version"]
    s.sql(f"INSERT INTO delta.`{path}` VALUES ({t['sparkRowId']}, 'spark')")
    after = DeltaTable.forPath(s, path).history(1).collect()[0]["version"]
    with open(os.path.join(path, "_delta_log", f"{after:020d}.json")) as f:
        first = json.loads(f.readline())
    return {
        "historyMs": {str(r["version"]): int(r["ms"]) for r in hist},
        "timeTravel": travel,
        "append": {"before": int(before), "after": int(after), "firstAction": first},
    }


def task_nan_stats(t):
    return nan_stats.run(spark, t)


TASKS = {
    "read": task_read,
    "nan-stats": task_nan_stats,
    "history": task_history,
    "txn": task_txn,
    "generate": task_generate,
    "stream-read": task_stream_read,
    "spark-concurrent": task_spark_concurrent,
    "ict": task_ict,
}


def main():
    tasks_file, results_file = sys.argv[1], sys.argv[2]
    with open(tasks_file) as f:
        tasks = json.load(f)
    results = {}
    for t in tasks:
        t0 = time.time()
        try:
            results[t["id"]] = TASKS[t["op"]](t)
        except Exception as e:  # noqa: BLE001 - every task reports its own failure
            results[t["id"]] = {"error": short_error(e), "trace": traceback.format_exc()[-3000:]}
        results[t["id"]]["seconds"] = round(time.time() - t0, 2)
        print(f"[driver] {t['op']} {t['id']}: {results[t['id']].get('error', 'ok')} ({results[t['id']]['seconds']}s)", flush=True)
        with open(results_file, "w") as f:
            json.dump(results, f)
    if _spark is not None:
        _spark.stop()


if __name__ == "__main__":
    main()
