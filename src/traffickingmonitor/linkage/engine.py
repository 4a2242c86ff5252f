"""Train the person model in Splink and score pairs of registrations with it.

Training: the prior from near-certain rules, u by random sampling (seeded), then EM on
several blocking rules (each estimates the comparisons its blocking does not fix). The
trained model is rounded (12 significant digits) so that tiny floating-point differences of
parallel sums never change a link, and kept with its term-frequency tables and placeholder
dates, so that a later run scores exactly as this one did.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from traffickingmonitor.linkage import model as person_model
from traffickingmonitor.linkage.backends import Backend
from traffickingmonitor.linkage.settings import LinkageSettings

MODEL_VERSION = 1
_SIGNIFICANT = 12
# An EM session needs pairs to learn from; fewer than this and it is skipped.
_MIN_TRAINING_PAIRS = 10
WEIGHT_COLUMNS: tuple[str, ...] = tuple(
    f"{kind}_{c}" for c in person_model.COMPARISONS for kind in ("w", "tf")
)


@dataclass
class LinkageModel:
    """A trained person model: Splink's settings and parameters plus what scoring needs."""

    splink: dict
    tf: dict[str, list[list]] = field(default_factory=dict)  # column -> [[value, tf], ...]
    placeholders: list[str] = field(default_factory=list)  # month-day tokens
    # column -> u of a value the tables lack (held by one other person); {}: the tables' least
    tf_unseen: dict[str, float] = field(default_factory=dict)
    threshold: float = LinkageSettings.threshold
    training: dict = field(default_factory=dict)  # what was estimated, for the method annex
    version: int = MODEL_VERSION

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "threshold": self.threshold,
                "placeholders": self.placeholders,
                "training": self.training,
                "tf": self.tf,
                "tf_unseen": self.tf_unseen,
                "splink": self.splink,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> LinkageModel:
        data = json.loads(text)
        return cls(
            splink=data["splink"],
            tf=data.get("tf", {}),
            tf_unseen=data.get("tf_unseen", {}),
            placeholders=data.get("placeholders", []),
            threshold=data.get("threshold", LinkageSettings.threshold),
            training=data.get("training", {}),
            version=data.get("version", MODEL_VERSION),
        )

    def settings_for(self, dialect: str) -> dict:
        """The Splink settings for a backend's SQL dialect, with this model's parameters.

        The custom comparison levels are written per dialect, so a model trained on DuckDB
        is rebuilt for Spark (and back) from the person model with the same parameters.
        """
        if self.splink.get("sql_dialect") == dialect:
            return self.splink
        # a saved rule names its dialect (dropped: the rules are plain SQL both dialects
        # read) and, for an exploding rule, its arrays to explode (kept)
        rules = [
            {k: v for k, v in r.items() if k != "sql_dialect"} if isinstance(r, dict) else r
            for r in self.splink["blocking_rules_to_generate_predictions"]
        ]
        fresh = person_model.settings_dict(dialect, rules)
        fresh["probability_two_random_records_match"] = self.splink[
            "probability_two_random_records_match"
        ]
        for new_comp, old_comp in zip(
            fresh["comparisons"], self.splink["comparisons"], strict=True
        ):
            for new_level, old_level in zip(
                new_comp["comparison_levels"], old_comp["comparison_levels"], strict=True
            ):
                for key in ("m_probability", "u_probability"):
                    if key in old_level:
                        new_level[key] = old_level[key]
        return fresh

    @property
    def prior(self) -> float:
        return float(self.splink["probability_two_random_records_match"])

    def levels(self) -> dict[str, list[tuple[str, float | None]]]:
        """Per comparison, its levels as (label, match weight); the null level has weight 0."""
        out = {}
        for comp in self.splink["comparisons"]:
            levels = []
            for lvl in comp["comparison_levels"]:
                label = lvl.get("label_for_charts") or lvl.get("sql_condition", "")
                if lvl.get("is_null_level"):
                    levels.append(("missing", 0.0))
                    continue
                m, u = lvl.get("m_probability"), lvl.get("u_probability")
                weight = (
                    None if m is None or u is None else math.log2(max(m, 1e-300) / max(u, 1e-300))
                )
                levels.append((label, weight))
            out[comp["output_column_name"]] = levels
        return out


def choose_blocking(
    frame: pd.DataFrame, settings: LinkageSettings
) -> list[person_model.BlockingRule]:
    """The core blocking rules plus each wide rule that stays within the pair budget."""
    budget = settings.wide_pairs_per_record * max(len(frame), 1)
    wide = [r for r in person_model.WIDE_BLOCKING if pairs_sharing(frame, r.keys) <= budget]
    return [*person_model.CORE_BLOCKING, *wide]


def pairs_sharing(frame: pd.DataFrame, keys: tuple[str, ...]) -> int:
    """Pairs of rows with equal, non-missing ``keys`` (before any residual condition)."""
    sizes = frame.dropna(subset=list(keys)).groupby(list(keys)).size().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def train(
    frame: pd.DataFrame, settings: LinkageSettings, backend: Backend, placeholders: list[str]
) -> LinkageModel:
    """Train the person model on ``frame`` (see :func:`prepare.splink_frame`)."""
    from splink import Linker, block_on

    blocking = choose_blocking(frame, settings)
    untrained = person_model.settings_dict(
        backend.dialect, blocking, max_iterations=settings.em_max_iterations
    )
    linker = Linker(backend.register(frame), untrained, log_level=logging.ERROR)
    training: dict = {
        "blocking": [b.sql for b in blocking],
        "em_sessions": [],
        "term_frequencies": "per person (registrations with the same exact keys counted once)",
    }
    tf, tf_unseen = term_frequency_tables(frame)
    for col, rows in tf.items():
        table = pd.DataFrame(rows, columns=[col, f"tf_{col}"])
        linker.table_management.register_term_frequency_lookup(backend.register(table), col)

    deterministic = pairs_sharing(frame, ("nid_token",)) + pairs_sharing(
        frame, ("name_token", "birth_date_token")
    )
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(
            list(person_model.DETERMINISTIC_RULES), recall=settings.deterministic_recall
        )
        training["prior_from"] = {
            "rules": list(person_model.DETERMINISTIC_RULES),
            "recall": settings.deterministic_recall,
        }
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    for keys in person_model.TRAINING_BLOCKING:
        n_pairs = pairs_sharing(frame, keys)
        if n_pairs < _MIN_TRAINING_PAIRS:
            continue
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*keys), max_pairs=settings.em_max_pairs
        )
        training["em_sessions"].append(
            {"blocking": list(keys), "pairs": min(n_pairs, int(settings.em_max_pairs))}
        )
    trained = linker.misc.save_model_to_json()
    _u_of_unobserved_levels(trained, 1.0 / settings.u_max_pairs)
    _u_of_non_matches(trained, 1.0 / settings.u_max_pairs)
    training["u"] = "random pairs, less the matches among them (prior times m)"
    trained = _rounded(trained)
    trained.pop("linker_uid", None)  # random per linker: the model should depend on the data only
    return LinkageModel(
        trained,
        tf,
        list(placeholders),
        tf_unseen=tf_unseen,
        threshold=settings.threshold,
        training=training,
    )


def _u_of_unobserved_levels(splink: dict, resolution: float) -> None:
    """Give a level that no random pair fell in the least u the sample resolves (in place).

    Splink scores such a level with a u of one in a million but saves the model without it;
    a re-loaded model would then score it differently from the one that was trained.
    """
    for comp in splink["comparisons"]:
        for lvl in comp["comparison_levels"]:
            if not lvl.get("is_null_level") and lvl.get("u_probability") is None:
                lvl["u_probability"] = resolution


def _u_of_non_matches(splink: dict, resolution: float) -> None:
    """Correct u for the matches among random pairs (in place).

    Random sampling estimates u as the share of random pairs in a level, but random pairs are
    a mixture: a share ``p`` (the prior) are matches, so that share is ``p m + (1 - p) u``.
    Where names are diverse, most random pairs that agree on the full name (or the national
    id, or name within a typo) are the same person registered twice, and the sampled share
    overstates u, the agreement of two different people, several times over. The corrected
    u keeps at least a twentieth of the sampled share and no less than the sample can
    resolve; levels with a fixed u are left alone. The u of a comparison still sums to one.
    """
    p = float(splink.get("probability_two_random_records_match") or 0.0)
    if not 0.0 < p < 1.0:
        return
    for comp in splink["comparisons"]:
        for lvl in comp["comparison_levels"]:
            m, u = lvl.get("m_probability"), lvl.get("u_probability")
            if lvl.get("is_null_level") or lvl.get("fix_u_probability") or m is None or u is None:
                continue
            corrected = (u - p * m) / (1.0 - p)
            lvl["u_probability"] = min(u, max(corrected, u / 20.0, resolution))


def term_frequency_tables(frame: pd.DataFrame) -> tuple[dict[str, list[list]], dict[str, float]]:
    """Per value of each term-frequency column, its u: how likely another person has it.

    Splink's term frequency of a value is its share of the records, the record itself
    included; but two records that agree on a value are two people only if *another* person
    has it too. A name that one person alone holds would count as held by one other, more
    common than the level's own u says an average name is, and the adjustment would weaken
    exactly the rare names that join a person's reports (the more so the larger the edition).
    So a value held by ``c`` of ``N`` people has u = (c - 1 + a) / N: the others who hold it,
    plus ``a`` (:func:`unseen_holders`) for the holders the counts cannot see.

    People are counted, not registrations: a person registered five times does not make her
    name or birth date five times as common. Registrations that the exact rules of linkage
    v0 join (same national id; same name and birth date) count once per value, and a name
    counts once per birth year and, within a year, once per real birth date
    (:func:`_name_holders`).

    The nationality counts only where a name is missing (see ``model``): its u there is the
    chance that a random pair has a name missing times the chance that the other person has
    the nationality, so the table holds that product.

    Returns the tables and, per column, the u of a value they lack (one other holder, 1 / N):
    nothing is known of such a value's other holders, so it is taken as neither rare nor
    common (:class:`Scorer`).
    """
    from traffickingmonitor.linkage.deterministic import link_deterministic

    person = link_deterministic(frame)
    tf, unseen = {}, {}
    for col in person_model.TF_COLUMNS:
        if col == "name_token":
            counts = _name_holders(frame)
        else:
            values = pd.DataFrame({"p": person, "v": frame[col].to_numpy()}).dropna()
            counts = values.drop_duplicates().groupby("v").size()
        people = max(int(counts.sum()), 1)
        scale = _share_of_pairs_name_missing(frame) if col == "nationality" else 1.0
        share = ((counts - 1 + unseen_holders(counts)) / people * scale).sort_index()
        tf[col] = [
            [_plain(v), round(float(t), _SIGNIFICANT)]
            for v, t in zip(share.index, share.to_numpy(), strict=True)
        ]
        unseen[col] = round(scale / people, _SIGNIFICANT)
    return tf, unseen


def _name_holders(frame: pd.DataFrame) -> pd.Series:
    """People holding each full name: told apart by birth year and, within a year, by real date.

    Namesakes born in the same year with different real birth dates (not a placeholder such
    as 1 January) are two people; a registration without a year, or with a placeholder or no
    date, is one of the people of its name (of its year), not another (the exact rules cannot
    join it).
    """
    real = frame["birth_date_token"].where(~frame["birth_md_common"].astype(bool))
    values = pd.DataFrame(
        {"v": frame["name_token"].to_numpy(), "y": frame["birth_year"].to_numpy(), "d": real}
    ).dropna(subset=["v"])
    per_year = values.dropna(subset=["y"]).groupby(["v", "y"])["d"].nunique().clip(lower=1)
    counts = per_year.groupby(level="v").sum()
    names = pd.Index(values["v"].unique())
    return counts.reindex(names, fill_value=1).clip(lower=1)


def unseen_holders(counts: pd.Series) -> float:
    """Expected holders of a value among the others where the counts show none (Good-Turing).

    A value held by one person in ``N`` would be held by ``2 n2 / n1`` people among another
    ``N`` (``n1``, ``n2``: how many values one and two people hold): the Good-Turing count of
    a value seen once. Few namesakes make a name seen once nearly unique; birth dates, which
    many people share, are seen again far more often. At most one (Splink's own share).
    """
    sizes = counts.value_counts()
    n1, n2 = int(sizes.get(1, 0)), int(sizes.get(2, 0))
    # no value held twice: as if half of one were (a count of none is no certainty of none)
    return min(1.0, max(2.0 * n2, 1.0) / n1) if n1 else 1.0


def _share_of_pairs_name_missing(frame: pd.DataFrame) -> float:
    """Share of pairs of registrations in which a name is missing (one or both)."""
    if len(frame) == 0:
        return 1.0
    named = float(frame["name_token"].notna().mean())
    return max(1.0 - named * named, 1.0 / len(frame))


class Scorer:
    """Scores pairs with a trained model: one Splink linker, term frequencies registered once.

    Both a full link (:meth:`within` all registrations) and an incremental one
    (:meth:`between` existing and new, plus :meth:`within` the new) go through Splink's
    ``predict_within`` / ``predict_between`` with the model's blocking rules and term
    frequencies, so the two score every pair alike.
    """

    def __init__(self, model: LinkageModel, backend: Backend):
        self.model = model
        self.backend = backend
        self._linker = None

    def within(self, frame: pd.DataFrame, floor: float) -> pd.DataFrame:
        """Every blocked pair within ``frame`` with match probability at least ``floor``."""
        sdf = self.backend.register(frame)
        linker = self._linker_for(sdf, frame)
        if len(frame) < 2:
            return _links(pd.DataFrame())
        pred = linker.inference.predict_within(
            sdf, threshold_match_probability=floor, warning_mode="never"
        )
        return _links(pred.as_pandas_dataframe())

    def between(self, existing: pd.DataFrame, new: pd.DataFrame, floor: float) -> pd.DataFrame:
        """Pairs of a new registration with an existing one or with another new one."""
        sdf_existing = self.backend.register(existing)
        sdf_new = self.backend.register(new)
        linker = self._linker_for(sdf_existing, existing, new)
        parts = [
            linker.inference.predict_between(
                sdf_existing, sdf_new, threshold_match_probability=floor, warning_mode="never"
            )
        ]
        if len(new) > 1:
            parts.append(
                linker.inference.predict_within(
                    sdf_new, threshold_match_probability=floor, warning_mode="never"
                )
            )
        return pd.concat([_links(p.as_pandas_dataframe()) for p in parts], ignore_index=True)

    def _linker_for(self, sdf, *frames: pd.DataFrame):
        from splink import Linker

        if self._linker is None:
            self._linker = Linker(
                sdf, self.model.settings_for(self.backend.dialect), log_level=logging.ERROR
            )
        for col, rows in self.model.tf.items():
            table = _with_unseen(
                pd.DataFrame(rows, columns=[col, f"tf_{col}"]),
                col,
                frames,
                self.model.tf_unseen.get(col),
            )
            self._linker.table_management.register_term_frequency_lookup(
                self.backend.register(table), col
            )
        return self._linker


def _with_unseen(
    table: pd.DataFrame, col: str, frames: tuple[pd.DataFrame, ...], share: float | None = None
) -> pd.DataFrame:
    """The model's term frequencies plus the values of ``frames`` it has not seen.

    Splink adjusts nothing for a value missing from the table: the level's average u would
    apply, and u is the agreement of two different people, mostly on rare names. Nothing is
    known of an unseen value's other holders: it counts as held by one other person
    (``share``, kept with the model), neither as rare as a value the counts show no other
    holder of nor as common as any: a common name can be missing from a small edition. A
    model without that share takes the least of the table.
    """
    if table.empty:
        return table
    values = [f[col] for f in frames if col in f]
    if not values:
        return table
    present = pd.unique(pd.concat(values, ignore_index=True).dropna())
    unseen = pd.Index(present).difference(pd.Index(table[col]))
    if unseen.empty:
        return table
    tf = table[f"tf_{col}"].min() if share is None else share
    extra = pd.DataFrame({col: unseen.to_numpy(), f"tf_{col}": tf})
    return pd.concat([table, extra], ignore_index=True)


def score_all(
    frame: pd.DataFrame, model: LinkageModel, backend: Backend, floor: float
) -> pd.DataFrame:
    """Every blocked pair of ``frame`` with match probability at least ``floor``."""
    return Scorer(model, backend).within(frame, floor)


def score_new(
    existing: pd.DataFrame, new: pd.DataFrame, model: LinkageModel, backend: Backend, floor: float
) -> pd.DataFrame:
    """Pairs of a new registration with an existing one or another new one (incremental)."""
    return Scorer(model, backend).between(existing, new, floor)


def _links(pred: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs as (uid_l < uid_r, probability, weight, per-comparison weights)."""
    cols = ["uid_l", "uid_r", "match_probability", "match_weight", *WEIGHT_COLUMNS]
    if pred.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c.startswith("uid") else "float64") for c in cols}
        )
    out = pd.DataFrame(
        {
            "uid_l": np.minimum(pred["uid_l"], pred["uid_r"]).astype("int64"),
            "uid_r": np.maximum(pred["uid_l"], pred["uid_r"]).astype("int64"),
            "match_probability": pred["match_probability"].astype(float),
            "match_weight": pred["match_weight"].astype(float),
        }
    )
    for c in person_model.COMPARISONS:
        out[f"w_{c}"] = pred[f"mw_{c}"].astype(float) if f"mw_{c}" in pred else 0.0
        out[f"tf_{c}"] = (
            pred[f"mw_tf_adj_{c}"].astype(float).fillna(0.0) if f"mw_tf_adj_{c}" in pred else 0.0
        )
    # a pair that an exploding blocking rule found is found again by the later rules (Splink
    # excludes no exploded pairs from them); its scores are equal
    out = out.drop_duplicates(["uid_l", "uid_r"])
    return out.sort_values(["uid_l", "uid_r"], kind="stable").reset_index(drop=True)


def _rounded(obj):
    """The model with every probability rounded, so that equal input gives an equal model."""
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v) for v in obj]
    if isinstance(obj, float) and obj != 0 and math.isfinite(obj):
        return float(f"{obj:.{_SIGNIFICANT}g}")
    return obj


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value
