"""Chapter: programme results per action line, with indicators filled in from the monitor."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.programme import MONITOR_INDICATORS, ON_TRACK, status
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import fmt_decimal
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import shown
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.labels import category_label

LINES = catalog(
    "programme",
    "line_names",
    dynamic=(
        "line_names.1",
        "line_names.2",
        "line_names.3",
        "line_names.4",
        "line_names.5",
    ),
)
TEXT = catalog("programme", dynamic=("status.*",))


#: Where the cohort tables keep the whole cohort's figure (one table per breakdown, or the
#: older layout with ``group_by``/``group`` columns).
CARE_ROWS = ({"days": 90}, {"group_by": "all", "group": "all", "days": 90})
REVICTIMISATION_ROWS = (
    {"offence_group": "any", "month": 60},
    {"group_by": "all", "group": "all", "offence_group": "any", "horizon_years": 5},
)


def _first_shown(table, column: str, candidates) -> float | None:
    """The shown value of ``column`` in the first candidate row the table has (None: hidden)."""
    frame = table.frame
    for row in candidates:
        if not all(k in frame.columns for k in row):
            continue
        try:
            v = table.value(row, column)
        except KeyError:
            continue
        return None if v is None or isinstance(v, str) or pd.isna(v) else float(v)
    return None


def monitor_rows(ctx: ChapterContext) -> pd.DataFrame:
    """Indicators computed from the monitor, from shown values only (None: not shown / no data)."""
    p = ctx.tables
    rows = []
    if "programme_monitor" in p:
        t = p["programme_monitor"]
        for r in t.frame.itertuples():
            v = t.shown_count({"indicator": r.indicator, "year": r.year}, "numerator")
            rows.append((r.action_line, r.indicator, "count", int(r.year), v))
    if "programme_monitor_municipal" in p:
        for r in p["programme_monitor_municipal"].frame.itertuples():
            share = 100 * r.numerator / r.denominator if r.denominator else None
            rows.append((r.action_line, r.indicator, "percent", int(r.year), share))
    last = ctx.last
    care = None
    if "care_reach" in p:
        reached = _first_shown(p["care_reach"], "reached", CARE_ROWS)
        persons = _first_shown(p["care_reach"], "persons", CARE_ROWS)
        care = 100 * reached / persons if reached is not None and persons else None
    rows.append((3, "care_within_90_days", "percent", last, care))
    revict = None
    if "revictimisation" in p:
        v = _first_shown(p["revictimisation"], "cif_per_10000", REVICTIMISATION_ROWS)
        revict = None if v is None else v / 100
    rows.append((3, "revictimisation_5y", "percent", last, revict))
    frame = pd.DataFrame(rows, columns=["action_line", "indicator", "unit", "year", "value"])
    out = []
    for code, sub in frame.groupby("indicator", sort=False):
        sub = sub.sort_values("year").copy()
        known = sub["value"].dropna()
        sub["baseline"] = float(known.iloc[0]) if len(known) > 1 else None
        sub["target"] = MONITOR_INDICATORS.get(code, (0, "", None))[2]
        out.append(sub)
    return pd.concat(out, ignore_index=True) if out else frame


#: Programme indicators that are monitor figures: the programme's value is replaced by the
#: monitor's shown cell in every year the monitor has (one figure, one definition).
SAME_AS_MONITOR = {
    "registered_possible_victims": ("totals", {}, "persons"),
    "police_suspects": ("perpetrator_chain", {"exploitation_form": "all"}, "police_suspects"),
    "convictions": ("perpetrator_chain", {"exploitation_form": "all"}, "convictions"),
}


def read_monitor_cells(ctx: ChapterContext, given: pd.DataFrame) -> pd.DataFrame:
    """``given`` with the values of :data:`SAME_AS_MONITOR` indicators taken from the monitor's
    protected cells (None where hidden) and a ``source`` column: "monitor" or "programme"."""
    given = given.copy()
    given["source"] = "programme"
    for code, (tid, where, column) in SAME_AS_MONITOR.items():
        table = ctx.tables.get(tid)
        if table is None:
            continue
        covered = {int(y) for y in table.frame["year"].unique()}
        for i in given.index[given["indicator"] == code]:
            year = int(given.at[i, "year"])
            if year in covered:
                given.at[i, "value"] = table.shown_count({"year": year, **where}, column)
                given.at[i, "source"] = "monitor"
    return given


def _statuses(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["status"] = ""
    for _, rows in frame.groupby("indicator", sort=False):
        years = rows["year"].astype(int)
        b, t = int(years.min()) - 1, int(years.max())
        for i, r in rows.iterrows():
            value = None if pd.isna(r["value"]) else float(r["value"])
            base = None if pd.isna(r["baseline"]) else float(r["baseline"])
            target = None if pd.isna(r["target"]) else float(r["target"])
            frame.at[i, "status"] = status(value, base, target, int(r["year"]), b, t)
    return frame


def _value(ind: pd.DataFrame, year: int, unit: str, lang: str) -> str:
    """A year's value; marked when the programme reported it for an indicator the monitor
    counts in other years (a different count, not the monitor's)."""
    text = _fmt(ind["value"].get(year), unit, lang)
    mixed = ind["source"].nunique() > 1
    if mixed and year in ind.index and ind.at[year, "source"] == "programme" and text != "–":
        return f"{text}*"
    return text


def _fmt(v, unit: str, lang: str) -> str:
    if v is None or pd.isna(v):
        return "–"
    return fmt_decimal(float(v), lang, 1) if unit == "percent" else shown(round(float(v)))


def build(ctx: ChapterContext) -> ChapterContent | None:
    p, lang = ctx.tables, ctx.lang
    if "programme_indicators" not in p and "programme_monitor" not in p:
        return None
    w = TEXT[lang]
    parts = []
    if "programme_indicators" in p:
        given = p["programme_indicators"].frame
        parts.append(
            read_monitor_cells(
                ctx,
                given[["action_line", "indicator", "unit", "year", "baseline", "target", "value"]],
            )
        )
    parts.append(monitor_rows(ctx).assign(source="monitor"))
    frame = _statuses(pd.concat(parts, ignore_index=True))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    years = sorted(int(y) for y in frame["year"].unique())
    blocks = []
    for line in sorted(frame["action_line"].astype(int).unique()):
        sub = frame[frame["action_line"].astype(int) == line]
        rows, panels, counted = [], [], {"on": 0, "behind": 0, "n": 0}
        for code, ind in sub.groupby("indicator", sort=False):
            ind = ind.set_index("year")
            unit = ind["unit"].iloc[0]
            label = category_label("indicator", code, lang)
            latest = ind.dropna(subset=["value"])
            st = latest["status"].iloc[-1] if len(latest) else "no_data"
            st_year = int(latest.index[-1]) if len(latest) else years[-1]
            if st in ("on_track", "target_met", "behind"):
                counted["n"] += 1
                counted["on" if st != "behind" else "behind"] += 1
            rows.append(
                [
                    label,
                    _fmt(ind["baseline"].iloc[0], unit, lang),
                    _fmt(ind["target"].iloc[0], unit, lang),
                    *[_value(ind, y, unit, lang) for y in years],
                    f"{w['status'][st]} ({st_year})" if len(latest) else w["status"][st],
                ]
            )
            for y, r in ind.iterrows():
                panels.append(
                    {
                        "label": label,
                        "year": int(y),
                        "value": None if pd.isna(r["value"]) else float(r["value"]),
                        "baseline": None if pd.isna(r["baseline"]) else float(r["baseline"]),
                        "target": None if pd.isna(r["target"]) else float(r["target"]),
                    }
                )
        summary = (
            " ".join(
                (
                    w.plural("summary_on", counted["on"]).format(**counted),
                    w.plural("summary_behind", counted["behind"]).format(**counted),
                )
            )
            if counted["n"]
            else w["summary_none"]
        )
        blocks.append(
            Block(
                id=f"programme-line-{line}",
                # Indicator values (baselines, targets, trainings, percentages), not counts of
                # persons; the person counts behind computed indicators are in their own tables.
                person_counts=False,
                title=w["line"].format(n=line, name=LINES[lang].get(str(line), "")),
                summary=summary,
                svg=local_charts.indicator_panels(pd.DataFrame(panels)),
                caption=w["caption"],
                header=[
                    w["indicator"],
                    w["baseline"],
                    w["target"],
                    *years,
                    w["status_h"].format(year=""),
                ],
                rows=rows,
            )
        )
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"]],
        blocks=blocks,
        outro_title=w["annex"],
        outro=[line.format(pct=round(100 * ON_TRACK)) for line in w.paragraphs("annex_lines")],
    )


CHAPTER = Chapter("programme", build, tables=("programme",), cost=6)
