"""Starts the reference engines for the interop suite: one local Spark session with Delta (small memory,
local[2]); the Delta jars come from Maven Central through Spark's package resolution, cached in interop/.ivy."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def spark_session(app="deltats-interop"):
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    ivy = os.path.join(HERE, ".ivy")
    warehouse = os.path.join(HERE, ".spark-warehouse")
    builder = (
        SparkSession.builder.appName(app)
        .master("local[2]")
        .config("spark.driver.memory", "2g")
        .config("spark.jars.ivy", ivy)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.adaptive.coalescePartitions.initialPartitionNum", "2")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse} -Duser.timezone=UTC")
        .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    )
    spark = configure_spark_with_delta_pip(builder).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
