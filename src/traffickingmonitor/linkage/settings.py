"""Linkage settings: what the ``linkage`` section of a run's configuration may hold."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from traffickingmonitor.errors import UserError

METHODS = ("splink", "deterministic")
BACKENDS = ("duckdb", "spark")
# DuckDB's own units: 1000^i for KB..TB, 1024^i for KiB..TiB
_MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class LinkageSettings:
    """Settings of one linkage run; every field has a default that reaches the quality goal.

    Attributes
    ----------
    method : str
        ``"splink"`` (the probabilistic person model) or ``"deterministic"`` (linkage v0).
    backend : str
        ``"duckdb"`` (one machine) or ``"spark"`` (``spark_master``, local by default).
    threshold : float
        Probability at or above which a link joins two registrations into one person
        (clustering takes the connected components of those links). A registration belongs
        to one person at most, so the probability is the link's odds shared out among the
        person groups it competes with (``cluster.shared_probabilities``). 0.5, "more likely
        than not": the model is calibrated against the synthetic truth.
    episode_window_days : int
        Reports of one person within this many days of the episode's first report are one
        episode; a later report starts a new episode.
    seed : int
        Seed of the random sample that estimates the u probabilities (same input, same model).
    u_max_pairs, em_max_pairs : float
        Pairs sampled to estimate u; pairs at most per EM session (a deterministic sample).
    em_max_iterations : int
        Iterations at most per EM session.
    deterministic_recall : float
        Assumed share of true matches that the near-certain rules (same national id; same
        name and birth date) find; sets the prior probability of a match.
    wide_pairs_per_record : float
        Pair budget per registration for the wide blocking rules (a name part alone).
    link_floor : float
        Links with at least this probability are kept with the edition: for review, the
        threshold sweep and incremental linkage.
    review_band : tuple of float
        Band [low, high) of the pairs offered for clerical review (export, review pages)
        and counted as such in the model's estimate, on the probability clustering used.
    incremental : bool
        Link only new registrations to the persons of the latest edition, with its model,
        when that edition's registrations are all still present.
    min_registrations : int
        Fewer registrations than this are linked by the exact rules of linkage v0: too few
        pairs to estimate a model from.
    spark_master : str
        Spark master URL for the Spark backend.
    spark_checkpoint_dir : str
        Where Splink on Spark writes its checkpoints: ``""`` for a new local temporary folder
        (Spark in this process, ``local[N]``); on a cluster a folder every executor reaches
        (``hdfs://...``, ``s3a://...``).
    spark_shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` of the linkage: about the cores that work on it.
    duckdb_memory_limit : str
        Memory DuckDB may hold for the linkage (``"2GB"``, ``"1.5GiB"``); beyond it, it
        writes to ``duckdb_temp_directory``. ``""`` leaves DuckDB's default, 80% of the
        machine's memory. The links are the same; at a million registrations 2 GB took the
        linkage's peak from 6.2 to 5.4 GiB, at 147 s against 143 (``docs/scaling.md``).
    duckdb_temp_directory : str
        Where DuckDB spills beyond its memory limit: ``""`` for a new temporary folder,
        removed when the linkage ends.
    """

    method: str = "splink"
    backend: str = "duckdb"
    threshold: float = 0.5
    episode_window_days: int = 90
    seed: int = 1
    u_max_pairs: float = 1e6
    em_max_pairs: float = 5e6
    em_max_iterations: int = 20
    deterministic_recall: float = 0.5
    wide_pairs_per_record: float = 20.0
    link_floor: float = 0.01
    review_band: tuple[float, float] = (0.3, 0.99)
    incremental: bool = False
    min_registrations: int = 200
    spark_master: str = "local[2]"
    spark_checkpoint_dir: str = ""
    spark_shuffle_partitions: int = 2
    duckdb_memory_limit: str = "2GB"
    duckdb_temp_directory: str = ""

    @classmethod
    def from_config(cls, config: dict | None) -> LinkageSettings:
        """Settings from a run configuration's ``linkage`` section (``config.read_section``:
        unknown keys and ill-typed values are errors naming the key)."""
        from traffickingmonitor.config import read_section

        return read_section(cls, "linkage", dict(config or {}))

    def check(self) -> None:
        if self.method not in METHODS:
            raise UserError(
                f"linkage method must be one of {', '.join(METHODS)}, not {self.method!r}"
            )
        if self.backend not in BACKENDS:
            raise UserError(
                f"linkage backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}"
            )
        if not 0 < self.link_floor <= self.threshold < 1:
            raise UserError(
                "linkage threshold must lie in (link_floor, 1) and link_floor in (0, threshold]"
            )
        low, high = self.review_band
        if not self.link_floor <= low < high <= 1:
            raise UserError(
                "linkage review_band must be (low, high) with link_floor <= low < high <= 1"
            )
        if self.spark_shuffle_partitions < 1:
            raise UserError("linkage spark_shuffle_partitions must be at least 1")
        if self.duckdb_memory_limit and not _MEMORY.fullmatch(self.duckdb_memory_limit):
            raise UserError(
                f"linkage duckdb_memory_limit must be a size such as '2GB' or '1.5GiB' "
                f"(units KB, MB, GB, TB or KiB, MiB, GiB, TiB), or '' for DuckDB's default, "
                f"not {self.duckdb_memory_limit!r}"
            )
        if self.episode_window_days < 0:
            raise UserError("linkage episode_window_days must not be negative")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["review_band"] = list(self.review_band)
        return out
