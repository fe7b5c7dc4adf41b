"""Float skipping with NaN, +-Infinity, -0.0 and nulls: Spark and delta-rs write one table each (one file per value
set; Spark's table checkpoints with stats only as a struct, stats_parsed), and Spark counts each predicate on
those and on the table deltats wrote, with and without skipping (Delta stats and Parquet filter push-down). Values arrive as strings ("NaN",
"-0.0", "null") since JSON has no NaN."""
import os

import pyarrow as pa


def _value(x):
    return None if x == "null" else float(x)


def _rows(sets):
    """(id, d, f) tuples per set, ids counting across sets as deltats's table numbers them."""
    i = 0
    out = []
    for values in sets:
        batch = []
        for x in values:
            v = _value(x)
            batch.append((i, v, v))
            i += 1
        out.append(batch)
    return out


def _log_stats(path):
    """add.stats of every JSON commit and the names of the checkpoint files (what each writer wrote)."""
    import json

    log = os.path.join(path, "_delta_log")
    stats = []
    for name in sorted(os.listdir(log)):
        if name.endswith(".json"):
            with open(os.path.join(log, name)) as f:
                for line in f:
                    a = json.loads(line)
                    if "add" in a and a["add"].get("stats"):
                        stats.append(a["add"]["stats"])
    return stats, sorted(n for n in os.listdir(log) if ".checkpoint." in n)


def run(spark, t):
    from deltalake import write_deltalake
    from pyspark.sql.types import DoubleType, FloatType, LongType, StructField, StructType

    s = spark()
    sets = _rows(t["sets"])
    sp, rs = t["sparkPath"], t["rsPath"]
    s.sql(
        f"CREATE TABLE delta.`{sp}` (id BIGINT, d DOUBLE, f FLOAT) USING delta TBLPROPERTIES ("
        "'delta.checkpointInterval'='5', 'delta.checkpoint.writeStatsAsJson'='false', "
        "'delta.checkpoint.writeStatsAsStruct'='true')"
    )
    schema = StructType([StructField("id", LongType()), StructField("d", DoubleType()), StructField("f", FloatType())])
    for batch in sets:
        s.createDataFrame(batch, schema).coalesce(1).write.format("delta").mode("append").save(sp)
    arrow_schema = pa.schema([("id", pa.int64()), ("d", pa.float64()), ("f", pa.float32())])
    for batch in sets:
        cols = list(zip(*batch))
        write_deltalake(rs, pa.table([list(c) for c in cols], schema=arrow_schema), mode="append")

    # "true": Spark as configured by default (Delta stats skipping, Parquet row-group filter push-down);
    # "false": neither, so only Spark's comparison semantics decide.
    counts = {}
    for name, path in (("deltats", t["deltatsPath"]), ("spark", sp), ("delta-rs", rs)):
        counts[name] = {}
        for skipping in ("true", "false"):
            s.conf.set("spark.databricks.delta.stats.skipping", skipping)
            s.conf.set("spark.sql.parquet.filterPushdown", skipping)
            df = s.read.format("delta").load(path)
            counts[name][skipping] = {p: df.where(p).count() for p in t["predicates"]}
    s.conf.set("spark.databricks.delta.stats.skipping", "true")
    s.conf.set("spark.sql.parquet.filterPushdown", "true")
    return {
        "counts": counts,
        "sparkLog": _log_stats(sp),
        "rsLog": _log_stats(rs),
        "deltatsLog": _log_stats(t["deltatsPath"]),
    }
