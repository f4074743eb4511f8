"""A local Spark for tests, with the same metastore and warehouse as the project's `spark` target.

The Hive metastore is an embedded Derby database that one JVM at a time may open, so the raw
tables are loaded and the results read by short-lived pyspark processes, before and after dbt
(which runs its own Spark in its own process), never alongside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

# The same settings as the `spark` target in profiles/profiles.yml.
SESSION = """
import json, sys
from pyspark.sql import SparkSession
spark_dir = sys.argv[1]
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.sql.warehouse.dir", spark_dir + "/warehouse")
    .config("spark.driver.extraJavaOptions", "-Dderby.system.home=" + spark_dir)
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
    .config("spark.ui.enabled", "false")
    .enableHiveSupport()
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
"""

LOAD = """
schema, tables = sys.argv[2], json.loads(sys.argv[3])
spark.sql(f"create database if not exists {schema}")
for table, path in tables.items():
    # A CSV file: every column as text, empty fields as null, what staging expects of a raw table.
    # Parquet keeps its types; staging reads them as text.
    if path.endswith(".parquet"):
        frame = spark.read.parquet(path)
    else:
        frame = spark.read.csv(path, header=True, inferSchema=False, multiLine=True, escape='"')
    frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")
"""

QUERY = """
queries = json.loads(sys.argv[2])
result = {name: [list(row) for row in spark.sql(sql).collect()] for name, sql in queries.items()}
print("RESULT" + json.dumps(result, default=str))
"""


def available() -> str | None:
    """Why Spark cannot run here, or None when it can."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (Spark needs Java 17)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    return None


def _run(script: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", SESSION + script, *args], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed.stdout


def load_raw_tables(spark_dir: Path, schema: str, files: dict[str, Path]) -> None:
    """Create schema.<table> from each CSV (every column text) or Parquet file."""
    _run(LOAD, str(spark_dir), schema, json.dumps({table: str(path) for table, path in files.items()}))


def table_files(spark_dir: Path, schema: str, table: str) -> str:
    """The Parquet files of a table the `spark` target built (plain Parquet tables in the warehouse,
    partitioned ones in key=value folders), for read_parquet(..., hive_partitioning = true)."""
    return str(spark_dir / "warehouse" / f"{schema}.db" / table / "**" / "*.parquet")


FLOAT_DIGITS = 12  # as in test_postgres: far below any published meaning, above maths-library noise


def normalise(rows: list) -> list[tuple]:
    """One representation per value on both engines, rows sorted: JSON text for dates and
    decimals (both engines print decimal(18, 4) alike), doubles to 12 significant digits."""
    rows = json.loads(json.dumps([list(row) for row in rows], default=str))

    def value(item):
        if isinstance(item, float):
            return str(Decimal(f"{item:.{FLOAT_DIGITS}g}").normalize())
        return item

    normalised = [tuple(value(item) for item in row) for row in rows]
    return sorted(normalised, key=lambda row: [(item is None, str(item)) for item in row])


def query(spark_dir: Path, queries: dict[str, str]) -> dict[str, list[list]]:
    """Run named queries on the metastore in spark_dir; rows as lists (dates and decimals as strings)."""
    output = _run(QUERY, str(spark_dir), json.dumps(queries))
    return json.loads(output[output.index("RESULT") + len("RESULT") :])
