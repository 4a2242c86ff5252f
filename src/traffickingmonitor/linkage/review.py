"""Clerical review: export the uncertain pairs with their evidence, import the decisions.

The export holds registration ids (the reporting organisation's own reference) and the
evidence the model saw, never a name, national id or birth date: for each comparison the
level it fell in and its match weight, and for each token or attribute whether the two
registrations agree (``equal``, ``different``, ``missing``). The reviewer fills in
``decision`` with ``match`` or ``no_match``; an imported decision overrides the model from
the next run on (applied before clustering).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from traffickingmonitor import store
from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage import model as person_model
from traffickingmonitor.linkage import store_io
from traffickingmonitor.linkage.cluster import SHARED_PROBABILITY

DECISIONS = ("match", "no_match")
# Agreement flags in the export: tokens and attributes, compared without showing them.
FLAG_COLUMNS: tuple[str, ...] = (
    "nid_token",
    "name_token",
    "family_token",
    "given_token",
    "family_phonetic_token",
    "given_phonetic_token",
    "birth_date_token",
    "birth_year",
    "sex",
    "nationality",
    "residence_municipality",
    "residence_status",
)
_UNKNOWN = "('unknown', '')"


@dataclass(frozen=True)
class ReviewImport:
    matches: int
    no_matches: int
    skipped: int  # rows without a decision
    unknown_ids: int  # pairs naming a registration that is not in the store


def uncertain_pairs(
    con: duckdb.DuckDBPyConnection, edition_id: str, band: tuple[float, float] | None = None
) -> pd.DataFrame:
    """The pairs of an edition whose probability lies in ``band``, with their evidence.

    The probability is the one clustering applied the threshold to (``shared_probability``:
    a pair contested between two people is uncertain however high its own score), the
    same that the model's estimate counts its pairs for review by. ``band`` defaults to the
    edition's ``review_band`` setting: [low, high).
    """
    model = store_io.load_model(con, edition_id)
    if model is None:
        raise UserError(
            f"edition {edition_id} was linked without a probabilistic model: nothing to review"
        )
    if band is None:
        band = tuple(
            store_io.load_notes(con, edition_id).get("settings", {}).get("review_band", (0.3, 0.99))
        )
    low, high = band
    links = store_io.load_links(con, edition_id)
    shared = links[SHARED_PROBABILITY]
    links = links[(shared >= low) & (shared < high)].copy()
    levels = model.levels()
    out = links[
        [
            "registration_id_l",
            "registration_id_r",
            "match_probability",
            SHARED_PROBABILITY,
            "match_weight",
        ]
    ].copy()
    for comp in person_model.COMPARISONS:
        base, tf = links[f"w_{comp}"].to_numpy(), links[f"tf_{comp}"].to_numpy()
        out[f"{comp}_level"] = [_level(levels.get(comp, []), w) for w in base]
        out[f"{comp}_weight"] = (base + tf).round(3)
    out = out.merge(
        _flags(con, edition_id, links), on=["registration_id_l", "registration_id_r"], how="left"
    )
    out["match_probability"] = out["match_probability"].round(4)
    out[SHARED_PROBABILITY] = out[SHARED_PROBABILITY].round(4)
    out["match_weight"] = out["match_weight"].round(3)
    out["decision"] = ""
    return out.sort_values(
        ["match_probability", "registration_id_l", "registration_id_r"],
        ascending=[False, True, True],
    )


def export_review(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    edition_id: str,
    band: tuple[float, float] | None = None,
) -> int:
    """Write the uncertain pairs as CSV; returns the number of pairs."""
    pairs = uncertain_pairs(con, edition_id, band)
    out.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(out, index=False)
    return len(pairs)


def import_review(con: duckdb.DuckDBPyConnection, path: Path) -> ReviewImport:
    """Store the decisions of a reviewed file (all or nothing); the next run applies them."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read review file {path}: {exc}") from exc
    missing = {"registration_id_l", "registration_id_r", "decision"} - set(frame.columns)
    if missing:
        raise UserError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
    decision = frame["decision"].str.strip().str.lower().str.replace(" ", "_").str.replace("-", "_")
    bad = ~decision.isin([*DECISIONS, ""])
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 2
        raise UserError(
            f"{path.name}, row {row}: decision must be match, no_match or empty, not {frame['decision'][bad].iloc[0]!r}"
        )
    frame = frame.assign(decision=decision)
    reviewed = frame[frame["decision"] != ""]
    same = reviewed["registration_id_l"] == reviewed["registration_id_r"]
    if same.any():
        raise UserError(f"{path.name}: a pair names the same registration twice")
    rows = reviewed[["registration_id_l", "registration_id_r", "decision"]]
    return store_decisions(con, rows, path.name, skipped=len(frame) - len(reviewed))


def store_decisions(
    con: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame,
    source: str | pd.Series,
    *,
    skipped: int = 0,
) -> ReviewImport:
    """Record checked decisions (``registration_id_l``, ``registration_id_r``, ``decision``)
    in one transaction, each pair ordered as the linkage looks them up.

    The one way decisions reach the store: a reviewed file (:func:`import_review`) and the
    browser's decisions (``review_browser``) both come here. ``source`` names where they came
    from (the file, or one value per row).
    """
    left, right = rows["registration_id_l"].str.strip(), rows["registration_id_r"].str.strip()
    rows = pd.DataFrame(
        {
            "registration_id_l": left.where(left < right, right),
            "registration_id_r": right.where(left < right, left),
            "decision": rows["decision"],
            "source": source,
        }
    )
    known = set(
        con.execute("SELECT DISTINCT registration_id FROM registrations").df()["registration_id"]
    )
    unknown = int(
        (~rows["registration_id_l"].isin(known) | ~rows["registration_id_r"].isin(known)).sum()
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction(con):
        con.executemany(
            "INSERT INTO linkage_reviews VALUES (?, ?, ?, ?, ?)",
            [[a, b, d, now, s] for a, b, d, s in rows.itertuples(index=False, name=None)],
        )
    return ReviewImport(
        matches=int((rows["decision"] == "match").sum()),
        no_matches=int((rows["decision"] == "no_match").sum()),
        skipped=skipped,
        unknown_ids=unknown,
    )


def _level(levels: list[tuple[str, float | None]], weight: float) -> str:
    """The comparison level a stored match weight came from (weights are exact literals)."""
    hits = [label for label, w in levels if w is not None and abs(w - weight) < 1e-9]
    return " / ".join(dict.fromkeys(hits)) if hits else "?"


def _flags(con: duckdb.DuckDBPyConnection, edition_id: str, links: pd.DataFrame) -> pd.DataFrame:
    pairs = links[["registration_id_l", "registration_id_r"]]
    con.register("tm_review_pairs", pairs)
    try:
        exprs = []
        for col in FLAG_COLUMNS:
            lv, rv = f"l.{col}", f"r.{col}"
            if col in ("sex", "nationality", "residence_municipality", "residence_status"):
                missing = (
                    f"({lv} IS NULL OR {rv} IS NULL OR {lv} IN {_UNKNOWN} OR {rv} IN {_UNKNOWN})"
                )
            else:
                missing = f"({lv} IS NULL OR {rv} IS NULL)"
            exprs.append(
                f"CASE WHEN {missing} THEN 'missing' WHEN {lv} = {rv} THEN 'equal' ELSE 'different' END "
                f"AS same_{col.removesuffix('_token')}"
            )
        return con.execute(
            f"""
            WITH regs AS (
                SELECT r.* FROM registrations r
                JOIN edition_persons p USING (file_hash, registration_id)
                WHERE p.edition_id = $e
            )
            SELECT x.registration_id_l, x.registration_id_r, {", ".join(exprs)}
            FROM tm_review_pairs x
            JOIN regs l ON l.registration_id = x.registration_id_l
            JOIN regs r ON r.registration_id = x.registration_id_r
            """,
            {"e": edition_id},
        ).df()
    finally:
        con.unregister("tm_review_pairs")
