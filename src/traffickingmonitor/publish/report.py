"""The report of an edition: self-contained HTML, PDF from the same HTML, open-data CSVs.

Only ``ProtectedTable`` objects enter here; every figure and sentence is computed from their
shown values, so a suppressed count can never leak through a chart, a share or a summary.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from traffickingmonitor import editions, store
from traffickingmonitor.disclosure.api import (
    PrimaryRule,
    ProtectedTable,
    protect,
    require_protected,
)
from traffickingmonitor.errors import UserError
from traffickingmonitor.publish import charts
from traffickingmonitor.publish.labels import METHOD, TEXT, category_label


@dataclass(frozen=True)
class Section:
    table_id: str
    dimension: str | None
    chart: str  # "totals" | "trend" | "bar"
    measure: str = "persons"


SECTIONS = (
    Section("totals", None, "totals"),
    Section("victim_group", "victim_groups", "trend"),
    Section("exploitation_form", "forms", "trend"),
    Section("sex", "sex", "trend"),
    Section("age_group", "age_group", "trend"),
    Section("nationality_group", "nationality_group", "trend"),
    Section("top_nationalities", "nationality", "bar"),
    Section("residence_status", "residence_status", "bar"),
    Section("reporting_org", "reporting_org", "trend"),
    Section("org_overlap", "n_orgs", "trend"),
    Section("police_unit", "police_unit", "bar"),
    Section("province", "province", "bar"),
)


@dataclass(frozen=True)
class WrittenReport:
    edition_id: str
    html: Path
    pdf: Path | None
    tables_dir: Path
    n_tables: int


def write_report(
    db: Path,
    out: Path,
    *,
    lang: str = "nl",
    edition_id: str | None = None,
    threshold: int = 10,
    pdf: bool = True,
    step: Callable | None = None,
) -> WrittenReport:
    step = step or (lambda d, t: lambda n=1: None)
    con = store.connect(db, read_only=True)
    try:
        edition = editions.get_edition(con, edition_id)
        tables = editions.load_tables(con, edition.edition_id)
    finally:
        con.close()
    rule = PrimaryRule(threshold)
    protected = {tid: protect(t, rule) for tid, t in tables.items()}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from exc
    advance = step("Writing tables (CSV)", 1)
    tables_dir = write_tables(protected, edition, out / "tables", lang)
    advance(1)
    advance = step("Drawing charts and writing HTML", 1)
    html = render_html(protected, edition, rule, lang)
    html_path = out / "report.html"
    _atomic_write(html_path, html.encode("utf-8"))
    advance(1)
    pdf_path = None
    if pdf:
        advance = step("Typesetting the PDF", 1)
        pdf_path = out / "report.pdf"
        write_pdf(html, pdf_path, edition, lang)
        advance(1)
    return WrittenReport(edition.edition_id, html_path, pdf_path, tables_dir, len(protected))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


# --- open data ---------------------------------------------------------------------------


def write_tables(protected: dict[str, ProtectedTable], edition, folder: Path, lang: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    described = []
    rule = None
    for tid, table in protected.items():
        require_protected(table)
        rule = table.rule
        frame = table.frame
        for dim in table.source.dimensions:
            if dim != "year":
                frame.insert(
                    frame.columns.get_loc(dim) + 1,
                    f"{dim}_label",
                    frame[dim].map(lambda c, d=dim: category_label(d, c, lang)),
                )
        _atomic_write(folder / f"{tid}.csv", frame.to_csv(index=False).encode("utf-8"))
        meta = table.source.meta()
        described.append(
            {
                "file": f"{tid}.csv",
                "table_id": tid,
                "title": meta[f"title_{lang}"],
                "description": meta[f"note_{lang}"],
                "dimensions": meta["dimensions"],
                "counts": meta["counts"],
                "overlapping_rows": meta["overlapping"],
                "suppressed_cells": int(table.suppressed.to_numpy().sum()),
            }
        )
    metadata = {
        "edition": edition.edition_id,
        "edition_created_at": edition.created_at.isoformat(),
        "code_version": edition.code_version,
        "inputs_sha256": edition.inputs_hash,
        "inputs": [
            {"file": r.file_name, "kind": r.kind, "sha256": r.file_hash}
            for r in edition.inputs.itertuples()
        ],
        "language": lang,
        "disclosure": {
            **(rule or PrimaryRule()).to_dict(),
            "description": (rule or PrimaryRule()).describe(lang),
        },
        "tables": described,
    }
    _atomic_write(
        folder / "metadata.json", json.dumps(metadata, indent=2, ensure_ascii=False).encode()
    )
    return folder


# --- HTML --------------------------------------------------------------------------------


def _shown(v) -> str:
    return v if isinstance(v, str) else f"{int(v):,}".replace(",", "\u202f")


def _pct(numerator: int | None, denominator: int | None) -> int | None:
    """A share only from publishable counts: a suppressed input gives no share at all."""
    if numerator is None or not denominator:
        return None
    return round(100 * numerator / denominator)


def _labels_for(table: ProtectedTable, dimension: str, lang: str) -> dict:
    return {c: category_label(dimension, c, lang) for c in table.frame[dimension].unique()}


def _wide(table: ProtectedTable, dimension: str, labels: dict, measure: str) -> tuple[list, list]:
    frame = table.frame
    years = sorted(frame["year"].unique())
    rows = []
    for cat in dict.fromkeys(frame[dimension]):
        sub = frame[frame[dimension] == cat].set_index("year")[measure]
        if all(not isinstance(v, str) and v == 0 for v in sub):
            continue  # a category nobody is in adds a row of zeros and nothing else
        rows.append([labels[cat], *[_shown(sub.get(y, 0)) for y in years]])
    return [int(y) for y in years], rows


def _summary(
    table: ProtectedTable, section: Section, labels: dict, t: dict, last: int, prev: int | None
) -> str:
    if section.chart == "totals":
        now = table.shown_count({"year": last}, "persons")
        before = table.shown_count({"year": prev}, "persons") if prev is not None else None
        if now is None:
            return t["summary_none"].format(last=last)
        if before:
            change = round(100 * (now - before) / before)
            word = t["more"] if change >= 0 else t["fewer"]
            return t["summary_trend"].format(
                last=last,
                value=_shown(now),
                what=t["persons"],
                change=f"{abs(change)}% {word}",
                prev=prev,
            )
        return t["summary_trend_nochange"].format(last=last, value=_shown(now), what=t["persons"])
    frame = table.frame
    mask = (frame["year"] == last) & ~table.suppressed[section.measure]
    mask &= ~frame[section.dimension].isin(["unknown", "other"])
    candidates = frame[mask]
    if candidates.empty or candidates[section.measure].astype(int).max() == 0:
        return t["summary_none"].format(last=last)
    best = candidates.loc[candidates[section.measure].astype(int).idxmax()]
    return t["summary_largest"].format(
        last=last,
        label=labels[best[section.dimension]],
        value=_shown(best[section.measure]),
        unit=t["persons"],
    )


def _key_figures(
    p: dict[str, ProtectedTable], t: dict, lang: str, last: int, prev: int | None
) -> list[dict]:
    figures = []
    totals = p["totals"]
    persons = totals.shown_count({"year": last}, "persons")
    change = None
    if prev is not None:
        before = totals.shown_count({"year": prev}, "persons")
        if persons is not None and before:
            pct = round(100 * (persons - before) / before)
            change = t["kf_change"].format(sign="+" if pct >= 0 else "−", pct=abs(pct), prev=prev)
    figures.append(
        {
            "value": _shown(totals.value({"year": last}, "persons")),
            "label": t["kf_persons"].format(year=last),
            "note": change,
        }
    )
    figures.append(
        {
            "value": _shown(totals.value({"year": last}, "registrations")),
            "label": t["kf_registrations"].format(year=last),
            "note": None,
        }
    )

    def share(table_id: str, dim: str, numerator: list[str], known: list[str]) -> str:
        table = p[table_id]
        values = {c: table.shown_count({"year": last, dim: c}, "persons") for c in known}
        if any(v is None for v in values.values()):
            return t["not_shown"]
        pct = _pct(sum(values[c] for c in numerator), sum(values.values()))
        return t["not_shown"] if pct is None else f"{pct}%"

    figures.append(
        {
            "value": share("sex", "sex", ["female"], ["female", "male"]),
            "label": t["kf_women"],
            "note": None,
        }
    )
    figures.append(
        {
            "value": share("minor", "minor", ["minor"], ["minor", "adult"]),
            "label": t["kf_minors"],
            "note": None,
        }
    )
    single = p["org_overlap"].shown_count({"year": last, "n_orgs": "1"}, "persons")
    multi = _pct(persons - single, persons) if persons is not None and single is not None else None
    figures.append(
        {
            "value": t["not_shown"] if multi is None else f"{multi}%",
            "label": t["kf_multi"],
            "note": None,
        }
    )
    nat = p["top_nationalities"]
    frame = nat.frame
    mask = (
        (frame["year"] == last)
        & ~nat.suppressed["persons"]
        & ~frame["nationality"].isin(["other", "unknown"])
    )
    if mask.any():
        best = frame[mask].loc[frame[mask]["persons"].astype(int).idxmax()]
        figures.append(
            {
                "value": category_label("nationality", best["nationality"], lang),
                "label": t["kf_top"],
                "note": None,
            }
        )
    return figures


def _interval(low, high) -> str:
    if low is None or high is None or isinstance(low, str) or isinstance(high, str):
        return "–" if low is None or high is None else f"{low}–{high}"
    return f"{_shown(low)}–{_shown(high)}"


def _hidden_number(p: dict[str, ProtectedTable], edition, t: dict, lang: str) -> dict | None:
    if "hidden_number" not in p:
        return None
    table = p["hidden_number"]
    frame = table.frame
    if frame.empty:
        return None
    group_label = {
        g: category_label("victim_groups", g, lang) for g in frame["victim_group"].unique()
    }
    group_label["all"] = t["hn_all"]
    totals = frame[frame["victim_group"] == "all"]
    rows = [
        [
            int(r.year),
            _shown(r.observed),
            "–" if r.estimate is None else _shown(r.estimate),
            _interval(r.ci_low, r.ci_high),
            t["hn_status"].get(r.status, r.status),
        ]
        for r in totals.itertuples()
    ]
    groups = [
        [
            int(r.year),
            group_label[r.victim_group],
            _shown(r.observed),
            "–" if r.estimate is None else _shown(r.estimate),
            _interval(r.ci_low, r.ci_high),
            r.model or "–",
            t["hn_status"].get(r.status, r.status),
        ]
        for r in frame.itertuples()
    ]
    summary = t["summary_none"].format(last=int(frame["year"].max()))
    last = totals[totals["estimate"].notna()].tail(1)
    if not last.empty:
        r = last.iloc[0]
        summary = t["hn_summary"].format(
            year=int(r["year"]),
            estimate=_shown(r["estimate"]),
            interval=_interval(r["ci_low"], r["ci_high"]),
            observed=_shown(r["observed"]),
        )
    sens = []
    if "hidden_number_sensitivity" in p:
        sens = [
            [
                int(r.year),
                t["hn_methods"].get(r.method, r.method),
                "–" if r.estimate is None else _shown(r.estimate),
                _interval(r.ci_low, r.ci_high),
                r.model or "–",
            ]
            for r in p["hidden_number_sensitivity"].frame.itertuples()
        ]
    years_notes = edition.notes.get("hidden_number", {}).get("years", {})
    lists = []
    for year, n in sorted(years_notes.items()):
        names = ", ".join(category_label("reporting_org", o, lang) for o in n.get("lists", []))
        merged = ", ".join(
            category_label("reporting_org", o, lang) for o in n.get("merged_into_other", [])
        )
        lists.append(
            t["hn_lists"].format(year=year, lists=names)
            + (t["hn_merged"].format(merged=merged) if merged else "")
        )
    chart_labels = {
        "axis": t["Persons"],
        "observed": t["hn_registered"],
        "estimate": t["hn_estimate"],
    }
    return {
        "summary": summary,
        "svg": charts.estimate_chart(table, chart_labels),
        "header": [
            t["year"],
            t["hn_registered"],
            t["hn_estimate"],
            t["hn_interval"],
            t["hn_status_h"],
        ],
        "rows": rows,
        "group_header": [
            t["year"],
            t["hn_group"],
            t["hn_registered"],
            t["hn_estimate"],
            t["hn_interval"],
            t["hn_model"],
            t["hn_status_h"],
        ],
        "groups": groups,
        "sens_header": [
            t["year"],
            t["hn_method"],
            t["hn_estimate"],
            t["hn_interval"],
            t["hn_model"],
        ],
        "sensitivity": sens,
        "lists": lists,
        "note": table.source.note(lang),
        "sens_note": p["hidden_number_sensitivity"].source.note(lang)
        if "hidden_number_sensitivity" in p
        else "",
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("traffickingmonitor.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(protected: dict[str, ProtectedTable], edition, rule: PrimaryRule, lang: str) -> str:
    for table in protected.values():
        require_protected(table)
    t = TEXT[lang]
    years = sorted(int(y) for y in protected["totals"].frame["year"].unique())
    last, prev = years[-1], (years[-2] if len(years) > 1 else None)
    series_labels = {"registrations": t["Registrations"], "persons": t["Persons"]}
    sections = []
    for number, s in enumerate((s for s in SECTIONS if s.table_id in protected), start=1):
        table = protected[s.table_id]
        if s.chart == "totals":
            svg = charts.totals_chart(table, series_labels)
            frame = table.frame
            header = [t["year"], t["Registrations"], t["Persons"]]
            rows = [
                [int(r.year), _shown(r.registrations), _shown(r.persons)]
                for r in frame.itertuples()
            ]
            labels = {}
        else:
            labels = _labels_for(table, s.dimension, lang)
            if s.chart == "trend":
                svg = charts.trend_chart(table, s.dimension, labels, s.measure, t["Persons"])
            else:
                svg = charts.bar_chart(
                    table, s.dimension, last, labels, s.measure, f"{t['Persons']} {last}"
                )
            yrs, rows = _wide(table, s.dimension, labels, s.measure)
            header = [t["category"], *yrs]
        sections.append(
            {
                "number": number,
                "id": s.table_id,
                "title": table.title(lang),
                "note": table.source.note(lang),
                "svg": svg,
                "summary": _summary(table, s, labels, t, last, prev),
                "header": header,
                "rows": rows,
                "unit": t["Persons"] if s.chart != "totals" else "",
            }
        )
    context = {
        "lang": lang,
        "t": t,
        "method": METHOD[lang],
        "edition": edition,
        "generated": dt.date.today().isoformat(),
        "years": f"{years[0]}–{years[-1]}",
        "key_figures": _key_figures(protected, t, lang, last, prev),
        "hidden": _hidden_number(protected, edition, t, lang),
        "last": last,
        "sections": sections,
        "rule": rule,
        "css": resources.files("traffickingmonitor.publish")
        .joinpath("templates", "report.css")
        .read_text("utf-8"),
    }
    return _environment().get_template("report.html.j2").render(**context)


def write_pdf(html: str, path: Path, edition, lang: str) -> None:
    import logging

    import weasyprint

    # WeasyPrint warns about CSS it ignores (screen-only rules); that is not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=None)
    tmp = path.with_name(path.name + ".part")
    document.write_pdf(tmp, pdf_tags=True, custom_metadata=True)
    tmp.replace(path)
