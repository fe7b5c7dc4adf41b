"""Direction 2 table generators: fresh tables written by Spark (Delta 4) and by delta-rs, one per feature that
deltats must read (or refuse with UnsupportedFeatureError naming it). Each returns facts the runner checks:
earlierVersions to time travel to, expectUnsupported (the feature deltats must name), and what was written
(e.g. that sidecars or deletion vectors really exist)."""
import os

import pyarrow as pa


def _sql(spark, *stmts):
    for s in stmts:
        spark.sql(s)


def _log_files(path):
    log = os.path.join(path, "_delta_log")
    out = []
    for root, _dirs, files in os.walk(log):
        out += [os.path.relpath(os.path.join(root, f), log) for f in files]
    return sorted(out)


def _has_dv_files(path):
    return any(f.startswith("deletion_vector_") for f in os.listdir(path))


# ---------------------------------------------------------------------------------------------------------------
# Spark


def spark_dml_dv(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, name STRING, v DOUBLE) USING delta "
        "TBLPROPERTIES ('delta.enableDeletionVectors'='true', 'delta.checkpointInterval'='3')",
        f"INSERT INTO {t} SELECT /*+ REPARTITION(2) */ id, concat('n', id), id * 1.5 FROM range(0, 200)",
        f"DELETE FROM {t} WHERE id % 7 = 0",
        f"UPDATE {t} SET name = 'updated' WHERE id < 30",
        f"MERGE INTO {t} AS d USING (SELECT CAST(id AS INT) AS id, 'merged' AS name, -1.0D AS v FROM range(190, 220)) AS s "
        "ON d.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
        f"DELETE FROM {t} WHERE id BETWEEN 100 AND 110",
    )
    return {"earlierVersions": [2, 1], "deletionVectorFiles": _has_dv_files(p)}


def spark_column_mapping(mode):
    def gen(s, p):
        t = f"delta.`{p}`"
        _sql(
            s,
            f"CREATE TABLE {t} (id INT, name STRING, info STRUCT<a: INT, b: STRING>, part STRING) USING delta "
            f"PARTITIONED BY (part) TBLPROPERTIES ('delta.columnMapping.mode'='{mode}', "
            "'delta.minReaderVersion'='2', 'delta.minWriterVersion'='5')",
            f"INSERT INTO {t} VALUES (1, 'a', named_struct('a', 1, 'b', 'x'), 'p1'), (2, 'b', null, 'p2')",
            f"ALTER TABLE {t} RENAME COLUMN name TO full_name",
            f"ALTER TABLE {t} ADD COLUMNS (extra LONG)",
            f"INSERT INTO {t} VALUES (3, 'c', named_struct('a', 3, 'b', null), 'p1', 30)",
            f"ALTER TABLE {t} DROP COLUMN info",
            f"INSERT INTO {t} VALUES (4, 'd', 'p3', 40)",
        )
        return {"earlierVersions": [3, 1], "expectWriteRefused": "columnMapping"}

    return gen


def spark_cdf(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, v STRING) USING delta TBLPROPERTIES ('delta.enableChangeDataFeed'='true')",
        f"INSERT INTO {t} SELECT id, concat('v', id) FROM range(0, 20)",
        f"UPDATE {t} SET v = 'changed' WHERE id < 5",
        f"DELETE FROM {t} WHERE id >= 15",
    )
    return {"earlierVersions": [2, 1], "changeDataFiles": os.path.isdir(os.path.join(p, "_change_data"))}


def spark_liquid(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, city STRING) USING delta CLUSTER BY (city)",
        f"INSERT INTO {t} VALUES (1, 'Oslo'), (2, 'Lima')",
        f"INSERT INTO {t} VALUES (3, 'Oslo'), (4, 'Rome')",
        f"OPTIMIZE {t}",
    )
    return {"earlierVersions": [2, 1], "expectWriteRefused": "clustering"}


def spark_row_tracking(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, v STRING) USING delta TBLPROPERTIES ('delta.enableRowTracking'='true')",
        f"INSERT INTO {t} SELECT id, 'a' FROM range(0, 10)",
        f"UPDATE {t} SET v = 'b' WHERE id < 3",
        f"INSERT INTO {t} SELECT id, 'c' FROM range(10, 15)",
    )
    return {"earlierVersions": [2, 1], "expectWriteRefused": "rowTracking"}


def _history_ms(s, p):
    """Spark's commit time of each version (DESCRIBE HISTORY: inCommitTimestamp from the enablement on), in ms."""
    from delta.tables import DeltaTable

    rows = DeltaTable.forPath(s, p).history().selectExpr("version", "unix_millis(timestamp) AS ms").collect()
    return {str(r["version"]): int(r["ms"]) for r in rows}


def spark_ict(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT) USING delta TBLPROPERTIES ('delta.enableInCommitTimestamps'='true')",
        f"INSERT INTO {t} VALUES (1), (2)",
        f"INSERT INTO {t} VALUES (3)",
        f"DELETE FROM {t} WHERE id = 2",
    )
    return {"earlierVersions": [2, 1], "expectAppendTimed": "inCommitTimestamp", "sparkHistoryMs": _history_ms(s, p)}


def spark_ict_enabled_later(s, p):
    """In-Commit Timestamps turned on by ALTER TABLE at version 3: Spark records the enablement version/timestamp."""
    import time

    t = f"delta.`{p}`"
    _sql(s, f"CREATE TABLE {t} (id INT) USING delta", f"INSERT INTO {t} VALUES (1), (2)", f"INSERT INTO {t} VALUES (3)")
    time.sleep(0.05)
    _sql(
        s,
        f"ALTER TABLE {t} SET TBLPROPERTIES ('delta.enableInCommitTimestamps'='true')",
        f"INSERT INTO {t} VALUES (4)",
        f"DELETE FROM {t} WHERE id = 2",
    )
    return {"earlierVersions": [4, 3, 2, 1], "expectAppendTimed": "inCommitTimestamp", "sparkHistoryMs": _history_ms(s, p)}


def spark_type_widening(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, small SHORT, f FLOAT, d DECIMAL(5,2)) USING delta "
        "TBLPROPERTIES ('delta.enableTypeWidening'='true')",
        f"INSERT INTO {t} VALUES (1, 100, 1.5, 123.45)",
        f"ALTER TABLE {t} ALTER COLUMN id TYPE BIGINT",
        f"ALTER TABLE {t} ALTER COLUMN small TYPE INT",
        f"ALTER TABLE {t} ALTER COLUMN f TYPE DOUBLE",
        f"ALTER TABLE {t} ALTER COLUMN d TYPE DECIMAL(10,4)",
        f"INSERT INTO {t} VALUES (5000000000, 100000, 1.0E100, 123456.7891)",
    )
    return {"earlierVersions": [5, 1]}


def spark_v2_checkpoint(s, p):
    t = f"delta.`{p}`"
    s.conf.set("spark.databricks.delta.checkpoint.partSize", "2")
    try:
        _sql(
            s,
            f"CREATE TABLE {t} (id INT, v STRING) USING delta "
            "TBLPROPERTIES ('delta.checkpointPolicy'='v2', 'delta.checkpointInterval'='3')",
            *[f"INSERT INTO {t} VALUES ({i}, 'v{i}')" for i in range(8)],
            f"DELETE FROM {t} WHERE id = 4",
        )
    finally:
        s.conf.unset("spark.databricks.delta.checkpoint.partSize")
    logs = _log_files(p)
    return {
        "earlierVersions": [6, 2],
        "sidecars": len([f for f in logs if f.startswith("_sidecars/")]),
        "v2Checkpoints": [f for f in logs if ".checkpoint." in f and f.count(".") >= 3 and "-" in f.split(".")[2]],
    }


def spark_multipart_checkpoint(s, p):
    t = f"delta.`{p}`"
    s.conf.set("spark.databricks.delta.checkpoint.partSize", "2")
    try:
        _sql(
            s,
            f"CREATE TABLE {t} (id INT, part STRING) USING delta PARTITIONED BY (part) "
            "TBLPROPERTIES ('delta.checkpointInterval'='4')",
            *[f"INSERT INTO {t} VALUES ({i}, 'p{i % 3}')" for i in range(6)],
        )
    finally:
        s.conf.unset("spark.databricks.delta.checkpoint.partSize")
    return {"earlierVersions": [4, 2], "checkpointFiles": [f for f in _log_files(p) if ".checkpoint." in f]}


def spark_partitioned(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, s STRING, d DATE, ts TIMESTAMP, n INT) USING delta PARTITIONED BY (s, d, ts, n)",
        f"INSERT INTO {t} VALUES (1, 'a b/c=d%e', DATE'2024-02-29', TIMESTAMP'2024-01-01 12:34:56.123456', 7), "
        "(2, null, null, null, null), (3, '', DATE'1969-12-31', TIMESTAMP'1970-01-01 00:00:00', -1), "
        "(4, 'ünï{}[]#?', DATE'2000-01-01', TIMESTAMP'2000-01-01 00:00:00.5', 0)",
    )
    return {"earlierVersions": [0]}


def spark_timestamp_ntz(s, p):
    t = f"delta.`{p}`"
    _sql(
        s,
        f"CREATE TABLE {t} (id INT, ntz TIMESTAMP_NTZ, p TIMESTAMP_NTZ) USING delta PARTITIONED BY (p)",
        f"INSERT INTO {t} VALUES (1, TIMESTAMP_NTZ'2024-05-06 07:08:09.123456', TIMESTAMP_NTZ'2021-09-08 11:11:11'), "
        "(2, null, null)",
    )
    return {"earlierVersions": [0]}


def spark_variant(s, p):
    t = f"delta.`{p}`"
    _sql(s, f"CREATE TABLE {t} (id INT, v VARIANT) USING delta", f"INSERT INTO {t} SELECT 1, parse_json('{{\"a\": 1}}')")
    return {"expectUnsupported": "variantType"}


# ---------------------------------------------------------------------------------------------------------------
# delta-rs


def _rs_batch(start, n, part=True):
    ids = list(range(start, start + n))
    cols = {
        "id": pa.array(ids, pa.int64()),
        "i32": pa.array([None if i % 5 == 0 else i * 3 for i in ids], pa.int32()),
        "f64": pa.array([i / 7 for i in ids], pa.float64()),
        "s": pa.array([f"r{i}" if i % 4 else None for i in ids], pa.string()),
        "dec": pa.array([None if i % 6 == 0 else __import__("decimal").Decimal(i) / 100 for i in ids], pa.decimal128(10, 2)),
        "ts": pa.array([i * 1_000_003 for i in ids], pa.timestamp("us", tz="UTC")),
        "tags": pa.array([[f"t{i}", None] if i % 3 else None for i in ids], pa.list_(pa.string())),
        "kv": pa.array([[(f"k{i}", i)] for i in ids], pa.map_(pa.string(), pa.int64())),
    }
    if part:
        cols["p"] = pa.array([None if i % 9 == 0 else f"g {i % 3}/x" for i in ids], pa.string())
    return pa.table(cols)


def rs_writer(_s, p, so=None):
    from deltalake import write_deltalake

    write_deltalake(p, _rs_batch(0, 20), partition_by=["p"], storage_options=so)
    write_deltalake(p, _rs_batch(20, 20), mode="append", storage_options=so)
    write_deltalake(p, _rs_batch(40, 5), mode="overwrite", storage_options=so)
    write_deltalake(p, _rs_batch(45, 5), mode="append", storage_options=so)
    return {"earlierVersions": [2, 1]}


def rs_checkpoint(_s, p, so=None):
    from deltalake import DeltaTable, write_deltalake

    for i in range(12):
        write_deltalake(p, _rs_batch(i * 3, 3, part=False), mode="append")
        if i == 9:
            DeltaTable(p).create_checkpoint()
    return {"earlierVersions": [10, 4], "checkpointFiles": [f for f in _log_files(p) if ".checkpoint." in f]}


def rs_optimize_vacuum(_s, p, so=None):
    from deltalake import DeltaTable, write_deltalake

    for i in range(5):
        write_deltalake(p, _rs_batch(i * 4, 4, part=False), mode="append")
    dt = DeltaTable(p)
    dt.optimize.compact()
    dt.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    write_deltalake(p, _rs_batch(100, 2, part=False), mode="append")
    return {"earlierVersions": [5]}


def rs_dml(_s, p, so=None):
    from deltalake import DeltaTable, write_deltalake

    write_deltalake(p, _rs_batch(0, 30, part=False))
    dt = DeltaTable(p)
    dt.delete("id % 4 = 0")
    dt.update(updates={"s": "'updated'"}, predicate="id < 10")
    src = _rs_batch(25, 10, part=False)
    (dt.merge(src, predicate="t.id = s.id", source_alias="s", target_alias="t")
     .when_matched_update_all().when_not_matched_insert_all().execute())
    return {"earlierVersions": [2, 1]}


def rs_schema_merge(_s, p, so=None):
    from deltalake import write_deltalake

    write_deltalake(p, pa.table({"id": pa.array([1, 2], pa.int64())}))
    write_deltalake(p, pa.table({"id": pa.array([3], pa.int64()), "extra": pa.array(["x"], pa.string())}),
                    mode="append", schema_mode="merge")
    return {"earlierVersions": [0]}


SPARK = {
    "dml-deletion-vectors": spark_dml_dv,
    "column-mapping-name": spark_column_mapping("name"),
    "column-mapping-id": spark_column_mapping("id"),
    "change-data-feed": spark_cdf,
    "liquid-clustering": spark_liquid,
    "row-tracking": spark_row_tracking,
    "in-commit-timestamps": spark_ict,
    "in-commit-timestamps-enabled-later": spark_ict_enabled_later,
    "type-widening": spark_type_widening,
    "v2-checkpoint-sidecars": spark_v2_checkpoint,
    "multipart-checkpoint": spark_multipart_checkpoint,
    "partition-types": spark_partitioned,
    "timestamp-ntz": spark_timestamp_ntz,
    "variant": spark_variant,
}
RS = {
    "writer": rs_writer,
    "checkpoint": rs_checkpoint,
    "optimize-vacuum": rs_optimize_vacuum,
    "dml": rs_dml,
    "schema-merge": rs_schema_merge,
}


def run(kind, path, spark_factory, storage_options=None):
    if spark_factory is not None:
        return SPARK[kind](spark_factory(), path)
    return RS[kind](None, path, storage_options)
