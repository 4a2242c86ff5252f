"""The checks behind ``disclosure-check``: the attacker, the engine's audit, the symbols."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from traffickingmonitor.analysis.tables import MonitorTable
from traffickingmonitor.disclosure.attack import attack, published_from_protected, truth_of
from traffickingmonitor.disclosure.edition import EditionProtection, protect_edition_details
from traffickingmonitor.disclosure.primary import NOISY, WITHHELD
from traffickingmonitor.disclosure.rule import DisclosureRule, rule_from_config


@dataclass
class TableVerdict:
    table_id: str
    ok: bool
    detail: str
    attacked: bool = True  # False: nothing to judge here (shown as "--", never "ok")


@dataclass
class CheckResult:
    edition_id: str
    rule: DisclosureRule
    protection: EditionProtection
    verdicts: list[TableVerdict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    microdata: list | None = None  # ``atoms.Verdict`` per count table, when asked for
    microdata_view: str = ""  # what that attacker knew (``atoms.VIEWS``)
    #: the web server's answers per role (``channel_check.ChannelVerdict``), when read
    channels: list | None = None

    @property
    def ok(self) -> bool:
        micro = self.microdata is None or all(v.ok for v in self.microdata)
        web = self.channels is None or all(v.ok for v in self.channels)
        return all(v.ok for v in self.verdicts) and not self.problems and micro and web

    def lines(self) -> list[str]:
        c = self.protection.counts()
        out = [
            f"edition {self.edition_id}: method {self.rule.method}, threshold {self.rule.threshold}, "
            f"{c['count_cells']} count cells, {c['published']} published, {c['primary']} hidden "
            f"(primary), {c['secondary']} hidden (secondary), {c['withheld']} withheld; "
            f"protection step {self.protection.seconds:.1f} s"
        ]
        note = _stored_note(self.protection)
        if note:
            out.append(note)
        if self.rule.method == "suppression":
            hidden, cells = self.protection.hidden_share()
            keys = self.protection.hidden_key_figures()
            out.append(
                f"hidden outside the municipality tables: {hidden} of {cells} count cells "
                f"({100 * hidden / max(cells, 1):.1f}%); national key figures hidden: "
                + ("; ".join(keys) if keys else "none")
            )
        width = max((len(v.table_id) for v in self.verdicts), default=0)
        for v in self.verdicts:
            state = "FAIL" if not v.ok else "ok  " if v.attacked else "--  "
            out.append(f"  {state}  {v.table_id:<{width}}  {v.detail}")
        out += [f"  FAIL  {p}" for p in self.problems]
        if self.channels is not None:
            out.append("the dashboard and the API, as each role reads them:")
            width = max((len(v.channel) for v in self.channels), default=0)
            for v in self.channels:
                state = "FAIL" if not v.ok else "--  " if not v.attacked else "ok  "
                out.append(f"  {state}  {v.channel:<{width}}  {v.detail}")
        if self.microdata is not None:
            where = {"tables": "within each table", "edition": "across the edition"}
            out.append(
                "attacker from the microdata (every count a sum of atoms; combinations of "
                f"cells known {where.get(self.microdata_view, self.microdata_view)}):"
            )
            width = max((len(v.table_id) for v in self.microdata), default=0)
            for v in self.microdata:
                state = "ok  " if v.ok else "FAIL"
                out.append(f"  {state}  {v.table_id:<{width}}  {v.line()}")
        out.append("all checks passed" if self.ok else "disclosure check FAILED")
        return out


def check_tables(
    tables: dict[str, MonitorTable],
    rule: DisclosureRule,
    edition_id: str = "",
    protection: EditionProtection | None = None,
) -> CheckResult:
    """Attack the protected ``tables`` (``protection``: the stored protection the channels
    publish; None: computed now)."""
    if protection is None:
        protection = protect_edition_details(tables, rule)
    result = CheckResult(edition_id, rule, protection)
    protected = protection.tables
    if rule.method == "dp":
        for tid, p in protected.items():
            status = p.status
            counts = [c for c in p.spec.counts if c in status]
            bad = ~status[counts].isin([NOISY, WITHHELD]).to_numpy(dtype=bool)
            est_bad = (
                (~status[list(p.spec.estimates)].isin([WITHHELD]).to_numpy(dtype=bool)).sum()
                if p.spec.estimates
                else 0
            )
            n_bad = int(bad.sum()) + int(est_bad)
            result.verdicts.append(
                TableVerdict(
                    tid,
                    n_bad == 0,
                    "every count noisy or withheld"
                    if n_bad == 0
                    else f"{n_bad} cells neither noisy nor withheld",
                )
            )
        return result
    base = rule.rounding_base if rule.method == "rounding" else None
    report = attack(
        published_from_protected(protected),
        rule.threshold,
        truth_of(tables),
        protection_level=rule.protection_level,
        rounding_base=base,
    )
    per = report.by_table()
    for tid, p in protected.items():
        if p.withheld:
            result.verdicts.append(
                TableVerdict(
                    tid,
                    True,
                    "withheld: no number published (whether the other tables give its counts "
                    "from 1 to 9 away: not attacked here, --microdata does)",
                    attacked=False,
                )
            )
            continue
        s = per.get(tid, {"hidden": 0, "recovered": 0, "small": 0})
        widths = [f.high - f.low for f in report.findings if f.table_id == tid]
        width = f", narrowest interval {min(widths):g}" if widths else ""
        what = "attacked (true count < threshold)" if base else "hidden"
        small = (
            "not a multiple of the base" if base else f"shown between 1 and {rule.threshold - 1}"
        )
        ok = s["recovered"] == 0 and s["small"] == 0
        detail = f"{s['hidden']} {what}, {s['recovered']} recovered{width}"
        if s["small"]:
            detail += f", {s['small']} counts {small}"
        result.verdicts.append(TableVerdict(tid, ok, detail))
    if protection.suppression is not None:
        bad = [b for b in protection.suppression.bounds if not b.ok]
        if bad:
            result.problems.append(f"engine audit: {len(bad)} hidden cells under-protected")
    return result


def _stored_note(protection: EditionProtection) -> str | None:
    if protection.stored and protection.rule.method == "suppression":
        # the engine's own bounds are not stored; the attacker above plays on what is published
        return (
            "protection read from the store, as every channel reads it (the step's seconds are "
            "those of its computation): the attacker plays on it; the engine's own audit is "
            "not re-run"
        )
    return None


def check_edition(
    db: Path,
    edition_id: str | None = None,
    method: str | None = None,
    microdata: str | None = None,
    channels: bool = False,
    step=None,
) -> CheckResult:
    """``microdata``: also attack from the microdata, with that view (:data:`atoms.VIEWS`);
    ``channels``: also read the dashboard and the API as each role (:mod:`channel_check`,
    with ``step``, the pipeline's progress protocol)."""
    from traffickingmonitor import editions
    from traffickingmonitor.disclosure.stored import stored_protection

    edition, tables = editions.read_edition(db, edition_id)
    rule = rule_from_config(edition.config.get("disclosure"), method=method)
    edition_rule = rule_from_config(edition.config.get("disclosure"))
    # what the channels publish: the stored protection (computed and stored when missing)
    protection = stored_protection(db, edition.edition_id, tables, rule, read_only=False)
    result = check_tables(tables, rule, edition.edition_id, protection)
    if rule.method == "suppression":
        result.verdicts += chapter_verdicts(db, edition, rule, protection)
    if microdata:
        result.microdata = microdata_verdicts(db, edition, tables, result, microdata)
        result.microdata_view = microdata
    if channels and method is not None and method != edition_rule.method:
        from traffickingmonitor.publish.web.channel_check import ChannelVerdict

        why = f"they publish the edition's own method ({edition_rule.method}), not {method}"
        result.channels = [ChannelVerdict("api and pages", True, f"not attacked: {why}", False)]
    elif channels:
        from traffickingmonitor.publish.web.channel_check import read_channels

        result.channels = read_channels(
            db, edition.edition_id, protection.tables, rule.threshold, step
        )
    return result


def published_numbers(protected: dict) -> set[int]:
    """Every whole number the open data publish: the shown cells of the protected tables
    (counts, estimates and every other column) and the municipalities' inhabitants."""
    from traffickingmonitor.codes.municipalities import municipalities

    numbers = set(municipalities()["population"].astype(int))
    for p in protected.values():
        for v in p.frame.to_numpy().ravel():
            whole = _whole(v)
            if whole is not None:
                numbers.add(whole)
    return numbers


def _whole(v) -> int | None:
    """A cell as a whole number (numpy's too; "12" written as text), else None."""
    if isinstance(v, str):
        return int(v) if re.fullmatch(r"-?\d+", v) else None
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        return None
    return int(v) if math.isfinite(v) and float(v).is_integer() else None


def first_few(problems: list[str]) -> str:
    """The first three problems, and how many more there are."""
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(problems[:3]) + more


def chapter_verdicts(db: Path, edition, rule: DisclosureRule, protection) -> list[TableVerdict]:
    """The chapters as the report and the dashboard show them (the stored chapters, built and
    stored when missing), per language: their tables and their running text.

    The chapters are built again with :func:`format.recording` on (and stored, where the
    store has none of this code version), and must equal the stored ones: every count their
    tables and text write is then known as written, a shown cell
    (which must be a number the open data publish, and not between 1 and the threshold) or a
    figure worked out from shown ones. The numbers of the running text are then read and
    sorted by what wrote them (:func:`text_numbers`)."""
    from traffickingmonitor.publish.format import recording
    from traffickingmonitor.publish.stored_chapters import LANGS, build, edition_chapters

    published = published_numbers(protection.tables)
    out = []
    for lang in LANGS:
        t0 = time.perf_counter()
        with recording() as formatted:
            built = build(db, edition, rule, lang, protection.tables)
        # the stored chapters (this build, stored, where the store has none of this code)
        chapters = edition_chapters(
            db,
            edition,
            rule,
            lang,
            protection.tables,
            read_only=False,
            built=(built, time.perf_counter() - t0),
        )
        counts, small = chapter_counts(chapters, rule.threshold)
        problems = [
            f"{f.where} writes {f.value:g}, "
            + ("a small count" if 0 < f.value < rule.threshold else "not a published number")
            for f in dict.fromkeys(formatted)
            if f.kind == "cell"
            and (
                not float(f.value).is_integer()
                or int(f.value) not in published
                or 0 < f.value < rule.threshold
            )
        ]
        if built != chapters:
            problems.insert(0, "the stored chapters are not what this code builds")
        if small:
            problems.append(
                f"{small} counts in the tables shown between 1 and {rule.threshold - 1}"
            )
        read = text_numbers(chapters, formatted)
        detail = (
            f"{counts} counts of persons in the chapters' tables; running text: "
            f"{sum(read.values())} numbers read: {read['cell']} shown cells, "
            f"{read['worked_out']} worked out from them; {read['share']} shares, {read['rate']} "
            f"rates, {read['year']} years and {read['other']} other numbers (not counts of "
            "persons: not attacked)"
        )
        if problems:
            detail = first_few(problems)
        out.append(TableVerdict(f"chapters ({lang})", not problems, detail))
    return out


#: a number as the chapters write it: thousands with a narrow space, a decimal part, a share
_NUMBER = re.compile(r"(?<![\w.,\u202f])(\d{1,3}(?:\u202f\d{3})+|\d+)([.,]\d+)?(\s?%)?")


_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def text_numbers(chapters: list[dict], formatted: list) -> Counter:
    """The numbers of the chapters' running text (titles, bases, lead and closing text,
    summaries, captions, notes, and the words of their own partials), each sorted by what
    wrote it: a shown cell (``cell``; a number written both ways counts as one), a figure
    worked out from shown ones (``worked_out``), else by its form: a share (``share``), a
    number with a decimal part (``rate``), a year or date (``year``) or another whole number
    (``other``: of the text's own words, "5 years", "action line 3", or a count of
    municipalities or indicators, none a count of persons)."""
    from traffickingmonitor.publish.format import number_text

    written = {}
    for f in formatted:
        if float(f.value).is_integer():
            key = number_text(int(f.value))
            if written.get(key) != "cell":
                written[key] = f.kind
    found = Counter(dict.fromkeys(TEXT_KINDS, 0))
    for text in _running_text(chapters):
        text, dates = _DATE.subn("", text)
        found["year"] += dates
        for m in _NUMBER.finditer(text):
            number, decimals, share = m.groups()
            if share:
                found["share"] += 1
            elif decimals:
                found["rate"] += 1
            elif number in written:
                found[written[number]] += 1
            elif re.fullmatch(r"(19|20)\d\d", number):
                found["year"] += 1
            else:
                found["other"] += 1
    return found


#: what :func:`text_numbers` tells apart
TEXT_KINDS = ("cell", "worked_out", "share", "rate", "year", "other")


def _running_text(chapters: list[dict]):
    def strings(x):
        if isinstance(x, str):
            if not x.lstrip().startswith("<svg"):  # a chart: its numbers are its table's
                yield x
        elif isinstance(x, (list, tuple)):
            for v in x:
                yield from strings(v)
        elif isinstance(x, dict):
            for v in x.values():
                yield from strings(v)

    for chapter in chapters:
        c = chapter["content"]
        yield from strings([c.title, c.base, c.intro, c.outro_title, c.outro, c.data])
        for b in c.blocks:
            yield from strings([b.title, b.summary, b.caption, b.note])


def chapter_counts(chapters: list[dict], threshold: int) -> tuple[int, int]:
    """Whole numbers in the cells of the chapters' person-count tables (the first cell of a
    row names it), and how many of them lie between 1 and ``threshold - 1``."""
    counts = small = 0
    for chapter in chapters:
        for block in chapter["content"].blocks:
            if not block.person_counts:
                continue
            for row in block.rows:
                for cell in row[1:]:
                    text = str(cell).replace("\u202f", "").strip()
                    if re.fullmatch(r"\d+", text):
                        counts += 1
                        small += 0 < int(text) < threshold
    return counts, small


def microdata_verdicts(db: Path, edition, tables: dict, result: CheckResult, view: str) -> list:
    """The attacker from the microdata (:mod:`atoms`, with ``view``, one of
    :data:`atoms.VIEWS`) on the published tables: per table attacked (recovered or not) or
    not attacked and why."""
    from traffickingmonitor.analysis.microdata import stored_members
    from traffickingmonitor.disclosure.atoms import Verdict, attack_protected

    if result.rule.method != "suppression":
        return [
            Verdict(tid, False, why=f"only suppression is attacked ({result.rule.method})")
            for tid in tables
        ]
    found = stored_members(db, edition.edition_id, tables)
    published = result.protection.tables
    verdicts = attack_protected(
        published, found.members, found.missing, truth_of(tables), result.rule, view
    ).verdicts
    return [verdicts[tid] for tid in published if tid in verdicts]
