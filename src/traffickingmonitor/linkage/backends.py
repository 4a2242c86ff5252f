"""Where Splink runs: an in-memory DuckDB (default) or Spark (local or a cluster).

The person model is the same on both; only the SQL dialect of a few custom levels differs.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field

import pandas as pd

from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage.prepare import ARRAY_COLUMNS, SIGNATURE_COLUMNS, SPLINK_COLUMNS

_TABLE_NUMBERS = itertools.count()


@dataclass
class Backend:
    """A Splink database API with the dialect the model's SQL is written for."""

    dialect: str
    db_api: object
    _names: list[str] = field(default_factory=list)
    _registered: dict = field(default_factory=dict)
    _spill: weakref.finalize | None = None  # removes DuckDB's temporary folder

    def register(self, frame: pd.DataFrame, name: str | None = None):
        """Register a Splink input (or a lookup table) and return the SplinkDataFrame.

        The same frame object is registered once (training and scoring share it): copying a
        million rows with their token sets into the database takes seconds.
        """
        if name is None and id(frame) in self._registered:
            return self._registered[id(frame)][1]
        # Unique across backends: a Spark session (and its temporary views) is shared.
        name = name or f"tm_input_{next(_TABLE_NUMBERS)}"
        self._names.append(name)
        source = frame
        if self.dialect == "spark":
            frame = _to_spark(self.db_api.spark, frame)
        sdf = self.db_api.register(frame, table_name=name)
        self._registered[id(source)] = (source, sdf)  # the frame is kept: its id stays unique
        return sdf

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the backend holds (for the test that no identifier reaches Splink)."""
        if self.dialect != "duckdb":
            raise NotImplementedError("table listing is implemented for DuckDB")
        con = self.db_api.duckdb_con
        names = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}

    def close(self) -> None:
        if self.dialect == "duckdb":
            self.db_api.duckdb_con.close()
            if self._spill is not None:
                self._spill()
        # A Spark session is shared by the process (starting one takes seconds): leave it up.


def open_backend(
    name: str = "duckdb",
    *,
    spark_master: str = "local[2]",
    spark_checkpoint_dir: str = "",
    spark_shuffle_partitions: int = 2,
    threads: int | None = None,
    duckdb_memory_limit: str = "",
    duckdb_temp_directory: str = "",
) -> Backend:
    """A fresh backend: ``"duckdb"`` (in memory) or ``"spark"``.

    DuckDB holds at most ``duckdb_memory_limit`` (its default when empty) and spills beyond
    it to ``duckdb_temp_directory``, or to a temporary folder of its own removed on ``close``
    (DuckDB's own default is ``.tmp`` in the working folder, which may not be writable).
    """
    if name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        spill = duckdb_temp_directory or tempfile.mkdtemp(prefix="tm-linkage-spill-")
        con.execute("SET temp_directory = ?", [spill])
        if duckdb_memory_limit:
            con.execute("SET memory_limit = ?", [duckdb_memory_limit])
        backend = Backend("duckdb", DuckDBAPI(connection=con))
        if not duckdb_temp_directory:
            # removed on close, or when the backend is collected or the process ends
            backend._spill = weakref.finalize(backend, shutil.rmtree, spill, True)
        return backend
    if name == "spark":
        return Backend(
            "spark", _spark_api(spark_master, spark_checkpoint_dir, spark_shuffle_partitions)
        )
    raise UserError(f"unknown linkage backend {name!r} (duckdb or spark)")


def open_settings_backend(settings) -> Backend:
    """The backend a ``LinkageSettings`` asks for."""
    return open_backend(
        settings.backend,
        spark_master=settings.spark_master,
        spark_checkpoint_dir=settings.spark_checkpoint_dir,
        spark_shuffle_partitions=settings.spark_shuffle_partitions,
        duckdb_memory_limit=settings.duckdb_memory_limit,
        duckdb_temp_directory=settings.duckdb_temp_directory,
    )


@contextlib.contextmanager
def memory_hint(settings):
    """DuckDB running out of the memory it may hold, as a user's error naming the setting."""
    try:
        yield
    except Exception as exc:
        import duckdb

        # Splink wraps the database's error in its own
        cause = exc if isinstance(exc, duckdb.OutOfMemoryException) else exc.__cause__
        if settings.backend != "duckdb" or not isinstance(cause, duckdb.OutOfMemoryException):
            raise
        limit = settings.duckdb_memory_limit
        raise UserError(
            f"the linkage ran out of the memory DuckDB may hold ({limit or 'its default'}): "
            "raise duckdb_memory_limit under [linkage] of run --config"
            + (", or set it to '' for DuckDB's default" if limit else "")
            + f" ({str(cause).splitlines()[0]})"
        ) from exc


def _spark_api(master: str, checkpoint_dir: str = "", partitions: int = 2):
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise UserError(
            "the Spark linkage backend needs pyspark: pip install 'traffickingmonitor[spark]'"
        ) from exc
    spark = (
        SparkSession.builder.master(master)
        .appName("traffickingmonitor-linkage")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    # set on the session, not the builder: a session that already runs takes them too
    spark.conf.set("spark.sql.shuffle.partitions", str(int(partitions)))
    if checkpoint_dir:
        spark.sparkContext.setCheckpointDir(checkpoint_dir)
    elif not spark.sparkContext.getCheckpointDir():
        # Splink breaks long query lineages with checkpoints.
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="tm-spark-checkpoints-"))
    return SparkAPI(
        spark_session=spark, break_lineage_method="parquet", register_udfs_automatically=False
    )


def _to_spark(spark, frame: pd.DataFrame):
    """A Spark frame with explicit types: Spark cannot infer a column that is all NULL."""
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    def kind(col: str, values: pd.Series):
        if col in ARRAY_COLUMNS:
            return ArrayType(StringType())
        if col in ("uid", "birth_year", "nameless_birth_year", *SIGNATURE_COLUMNS):
            return LongType()
        if col == "birth_md_common":
            return BooleanType()
        if col in SPLINK_COLUMNS:
            return StringType()
        if pd.api.types.is_float_dtype(values):
            return DoubleType()
        if pd.api.types.is_integer_dtype(values):
            return LongType()
        return StringType()

    schema = StructType([StructField(c, kind(c, frame[c]), True) for c in frame.columns])
    rows = [
        tuple(
            None if (v is None or (isinstance(v, float) and pd.isna(v))) else _plain(v) for v in row
        )
        for row in frame.itertuples(index=False, name=None)
    ]
    return spark.createDataFrame(rows, schema=schema)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value
