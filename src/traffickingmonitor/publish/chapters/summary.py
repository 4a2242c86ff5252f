"""Chapter: the executive summary (about two pages): key findings, trend, editions, caveats.

Every sentence is made from shown values of the protected tables, through the same functions
the chapters use for the same figure (one figure, one definition): a hidden count leaves the
finding out, never a number. A ranking ("the largest group") is said only when the largest
group is clearly above the next one (``clearly_larger``); otherwise the sentence says the
groups do not differ clearly. Counts of another edition are never shown here (comparing
editions is a disclosure matter of its own): the summary only names an earlier edition.
"""

from __future__ import annotations

from traffickingmonitor.disclosure.api import ProtectedTable
from traffickingmonitor.publish.chapters import (
    care_reach,
    crime_overlap,
    hidden_number,
    key_figures,
    revictimisation,
)
from traffickingmonitor.publish.chapters.base import Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.chapters.cohort_common import percent
from traffickingmonitor.publish.format import clearly_larger, pct, shown, worked_out
from traffickingmonitor.publish.labels import category_label

RESIDUAL = ("unknown", "other", "other_unknown")

TEXT = {
    "nl": {
        "title": "Samenvatting",
        "lead": (
            "De belangrijkste uitkomsten van deze editie over {first}–{last}. Alle cijfers komen "
            "uit de beschermde tabellen van dit rapport; waar de analyse een onzekerheid heeft, "
            "staat het 95%-interval erbij."
        ),
        "findings": "Belangrijkste bevindingen",
        "trend": "Eerdere edities",
        "caveats": "Kanttekeningen voor beleid",
        # registered
        "registered": "In {last} zijn {n} mogelijke slachtoffers van mensenhandel geregistreerd",
        "vs_prev": "{change} dan in {prev} ({n_prev})",
        "vs_prev_same": "evenveel als in {prev}",
        "vs_mean": "{change} dan gemiddeld in {first}–{until} ({mean} per jaar)",
        "vs_mean_same": "evenveel als gemiddeld in {first}–{until} ({mean} per jaar)",
        "more": "{pct}% meer",
        "fewer": "{pct}% minder",
        "and": " en ",
        # who
        "women_minors": (
            "Van de geregistreerden in {last} is {women}% een vrouw (van wie het geslacht bekend "
            "is) en {minors}% minderjarig (van wie de leeftijd bekend is)."
        ),
        "women": "Van de geregistreerden in {last} is {women}% een vrouw (van wie het geslacht bekend is).",
        "minors": "Van de geregistreerden in {last} is {minors}% minderjarig (van wie de leeftijd bekend is).",
        "largest": (
            "De grootste groep zijn in {last} de slachtoffers van {g1}: {n1} personen ({s1}% "
            "van alle geregistreerden); daarna volgen de slachtoffers van {g2}: {n2} personen "
            "({s2}%). Eén persoon kan tot meer dan één groep behoren."
        ),
        "no_largest": (
            "In {last} verschillen de groepen slachtoffers van {g1} ({n1} personen, {s1}%) en "
            "van {g2} ({n2} personen, {s2}%) niet duidelijk in omvang. Eén persoon kan tot meer "
            "dan één groep behoren."
        ),
        # re-victimisation, overlap, care
        "revictimisation": (
            "Van de {persons} personen die in {years} voor het eerst zijn geregistreerd, werd "
            "{p} binnen vijf jaar opnieuw slachtoffer van een misdrijf (95%-interval "
            "{low}–{high})."
        ),
        "suspects": (
            "Van de {persons} personen die {window} jaar na hun eerste registratie gevolgd "
            "konden worden, werd {any} in die jaren zelf verdachte van een misdrijf, {drugs} "
            "van een drugsdelict."
        ),
        "care": (
            "Van alle geregistreerde personen in deze editie kreeg {within} binnen {days} dagen na de eerste registratie "
            "zorg of opvang, en {within_longest} binnen {longest}; de helft van wie bereikt "
            "werd, wachtte daarop hooguit {median} dagen (mediaan)."
        ),
        "days": "{d} dagen",
        "year": "een jaar",
        # hidden number
        "hidden": (
            "Het geschatte totaal aantal slachtoffers in {year} is {estimate} (95%-interval "
            "{low}–{high}), tegen {observed} geregistreerd. Niet geregistreerd (schatting min "
            "geregistreerd): naar schatting {missing} (95%-interval {m_low}–{m_high})."
        ),
        "hidden_lists": (
            "De lijsten (melders) waarop de schatting van het verborgen aantal rust, "
            "verschillen tussen de jaren (zie het hoofdstuk {chapter}): vergelijk de "
            "schattingen van verschillende jaren daarom met voorzichtigheid."
        ),
        # editions
        "first_edition": (
            "Dit is de eerste editie in deze databank: er is nog geen eerdere editie om mee te "
            "vergelijken."
        ),
        "earlier_edition": (
            "Er is een eerdere editie ({previous}). Geregistreerde aantallen worden tussen "
            "edities herzien, bijvoorbeeld door late meldingen en een betere koppeling van "
            "meldingen aan personen; welke cijfers zijn herzien en waarom, staat per tabel in "
            "het dashboard. Deze samenvatting vergelijkt alleen jaren binnen deze editie."
        ),
        # caveats
        "caveat_registrations": (
            "Registraties zeggen niet hoe vaak mensenhandel voorkomt: ze tellen wie bij een "
            "melder in beeld kwam. Een stijging of daling kan ook komen door meer of minder opsporing en "
            "melding. De geregistreerde aantallen zijn tellingen, geen steekproef, en hebben "
            "daarom geen interval."
        ),
        "caveat_model": (
            "De schatting van het verborgen aantal rust op aannames: dat een persoon goed aan "
            "de verschillende melders gekoppeld is, dat iedereen een kans had om door een "
            "melder gezien te worden, en dat het model de samenhang tussen de melders goed "
            "beschrijft. Wie voor geen enkele melder zichtbaar kan worden, telt niet mee. Lees "
            "de schatting daarom altijd samen met haar 95%-interval."
        ),
        "caveat_disclosure": (
            "Kleine aantallen worden niet getoond, om personen te beschermen: een aantal onder "
            "de {threshold} en aantallen waarmee het terug te rekenen is. In de tabellen van "
            "deze editie geldt dat voor {hidden} van de {cells} cellen ({share}%); een cijfer "
            "dat op zo'n cel rust, ontbreekt ook in deze samenvatting."
        ),
        "caveat_disclosure_none": (
            "Kleine aantallen worden niet getoond, om personen te beschermen; in de tabellen "
            "van deze editie is geen enkele cel verborgen."
        ),
    },
    "en": {
        "title": "Executive summary",
        "lead": (
            "The main results of this edition for {first}–{last}. All figures come from the "
            "protected tables of this report; where the analysis has an uncertainty, its 95% "
            "interval is given."
        ),
        "findings": "Key findings",
        "trend": "Earlier editions",
        "caveats": "Caveats for policy",
        "registered": "In {last}, {n} possible victims of human trafficking were registered",
        "vs_prev": "{change} than in {prev} ({n_prev})",
        "vs_prev_same": "as many as in {prev}",
        "vs_mean": "{change} than the average of {first}–{until} ({mean} a year)",
        "vs_mean_same": "as many as the average of {first}–{until} ({mean} a year)",
        "more": "{pct}% more",
        "fewer": "{pct}% fewer",
        "and": " and ",
        "women_minors": (
            "Of those registered in {last}, {women}% are women (of those whose sex is known) "
            "and {minors}% are minors (of those whose age is known)."
        ),
        "women": "Of those registered in {last}, {women}% are women (of those whose sex is known).",
        "minors": "Of those registered in {last}, {minors}% are minors (of those whose age is known).",
        "largest": (
            "The largest group in {last} are the victims of {g1}: {n1} persons ({s1}% of all "
            "registered); next are the victims of {g2}: {n2} persons ({s2}%). One person can "
            "belong to more than one group."
        ),
        "no_largest": (
            "In {last}, the groups of victims of {g1} ({n1} persons, {s1}%) and of {g2} ({n2} "
            "persons, {s2}%) do not differ clearly in size. One person can belong to more than "
            "one group."
        ),
        "revictimisation": (
            "Of the {persons} persons first registered in {years}, {p} became a victim of a "
            "crime again within five years (95% interval {low}–{high})."
        ),
        "suspects": (
            "Of the {persons} persons who could be followed for {window} years after their "
            "first registration, {any} became a suspect of a crime in those years, {drugs} of a "
            "drug offence."
        ),
        "care": (
            "Of all persons registered in this edition, {within} received care or shelter within {days} days of their "
            "first registration, and {within_longest} within {longest}; those reached waited a "
            "median of {median} days."
        ),
        "days": "{d} days",
        "year": "a year",
        "hidden": (
            "The estimated total number of victims in {year} is {estimate} (95% interval "
            "{low}–{high}), against {observed} registered. Not registered (estimate minus "
            "registered): an estimated {missing} (95% interval {m_low}–{m_high})."
        ),
        "hidden_lists": (
            "The lists (reporting organisations) on which the hidden-number estimate rests "
            "differ between the years (see the chapter {chapter}): compare estimates of "
            "different years with care."
        ),
        "first_edition": (
            "This is the first edition in this store: there is no earlier edition to compare "
            "with yet."
        ),
        "earlier_edition": (
            "There is an earlier edition ({previous}). Registered counts are revised between "
            "editions, for instance by late reports and better linkage of reports to persons; "
            "which figures were revised and why is shown per table in the dashboard. This "
            "summary compares only years within this edition."
        ),
        "caveat_registrations": (
            "Registrations are not the prevalence of trafficking: they count who came into view "
            "of a reporting organisation. A rise or fall can also come from more or less "
            "detection and reporting. Registered counts are counts, not a sample, and so have "
            "no interval."
        ),
        "caveat_model": (
            "The hidden-number estimate rests on assumptions: that persons are linked correctly "
            "across the reporting organisations, that everyone had a chance to be seen by one "
            "of them, and that the model describes how the organisations' lists depend on each "
            "other. Whoever cannot be seen by any organisation is not counted. Always read the "
            "estimate together with its 95% interval."
        ),
        "caveat_disclosure": (
            "Small counts are not shown, to protect persons: a count below {threshold} and "
            "counts from which it could be worked out. In the tables of this edition that is "
            "{hidden} of the {cells} cells ({share}%); a figure resting on such a cell is also "
            "left out of this summary."
        ),
        "caveat_disclosure_none": (
            "Small counts are not shown, to protect persons; in the tables of this edition no "
            "cell is hidden."
        ),
    },
}


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _registered(ctx: ChapterContext, w: dict) -> str | None:
    totals = ctx.tables.get("totals")
    if totals is None:
        return None
    last, prev = ctx.last, ctx.prev
    n = totals.shown_count({"year": last}, "persons")
    if n is None:
        return None
    parts = []
    change = key_figures.change_pct(totals, last, prev)
    if change is not None:
        n_prev = shown(totals.shown_count({"year": prev}, "persons"))
        if change == 0:
            parts.append(w["vs_prev_same"].format(prev=prev))
        else:
            word = w["more" if change > 0 else "fewer"].format(pct=abs(change))
            parts.append(w["vs_prev"].format(change=word, prev=prev, n_prev=n_prev))
    earlier = ctx.years[:-1]
    if len(earlier) >= 2:
        counts = [totals.shown_count({"year": y}, "persons") for y in earlier]
        if all(c is not None for c in counts):
            mean = round(sum(counts) / len(counts))
            if mean:
                change = round(100 * (n - mean) / mean)
                fmt = {"first": earlier[0], "until": earlier[-1], "mean": worked_out(mean)}
                if change == 0:
                    parts.append(w["vs_mean_same"].format(**fmt))
                else:
                    word = w["more" if change > 0 else "fewer"].format(pct=abs(change))
                    parts.append(w["vs_mean"].format(change=word, **fmt))
    text = w["registered"].format(last=last, n=shown(n))
    return text + (", " + w["and"].join(parts) if parts else "") + "."


def _who(ctx: ChapterContext, w: dict) -> str | None:
    p, last = ctx.tables, ctx.last

    def share(spec) -> int | None:
        table_id, dim, numerator, known = spec
        if table_id not in p:
            return None
        return key_figures.shown_share(p[table_id], dim, last, numerator, known)

    women, minors = share(key_figures.WOMEN), share(key_figures.MINORS)
    if women is not None and minors is not None:
        return w["women_minors"].format(last=last, women=women, minors=minors)
    if women is not None:
        return w["women"].format(last=last, women=women)
    if minors is not None:
        return w["minors"].format(last=last, minors=minors)
    return None


def _largest(ctx: ChapterContext, w: dict) -> str | None:
    """The largest victim group, or that the two largest do not differ clearly."""
    table: ProtectedTable | None = ctx.tables.get("victim_group")
    totals = ctx.tables.get("totals")
    if table is None or totals is None:
        return None
    last = ctx.last
    total = totals.shown_count({"year": last}, "persons")
    frame = table.frame
    groups = [
        g
        for g in dict.fromkeys(frame.loc[frame["year"] == last, "victim_groups"])
        if g not in RESIDUAL
    ]
    counts = {g: table.shown_count({"year": last, "victim_groups": g}, "persons") for g in groups}
    # a hidden group could be any size: no ranking at all
    if not total or len(counts) < 2 or any(v is None for v in counts.values()):
        return None
    (g1, n1), (g2, n2) = sorted(counts.items(), key=lambda kv: -kv[1])[:2]
    words = {
        "last": last,
        "g1": _lower(category_label("victim_groups", g1, ctx.lang)),
        "n1": shown(n1),
        "s1": pct(n1, total),
        "g2": _lower(category_label("victim_groups", g2, ctx.lang)),
        "n2": shown(n2),
        "s2": pct(n2, total),
    }
    return w["largest" if clearly_larger(n1, n2, total) else "no_largest"].format(**words)


def _revictimisation(ctx: ChapterContext, w: dict) -> str | None:
    if "revictimisation" not in ctx.tables:
        return None
    head = revictimisation.headline(ctx)
    if head is None or isinstance(head.persons, str):
        return None
    lang = ctx.lang
    return w["revictimisation"].format(
        persons=shown(head.persons),
        years=head.years,
        p=percent(head.cif, lang, 1),
        low=percent(head.low, lang, 1),
        high=percent(head.high, lang, 1),
    )


def _suspects(ctx: ChapterContext, w: dict) -> str | None:
    head = crime_overlap.headline(ctx)
    if head is None or isinstance(head.persons, str):
        return None
    return w["suspects"].format(
        persons=shown(head.persons),
        window=head.window,
        any=percent(head.any, ctx.lang),
        drugs=percent(head.drugs, ctx.lang),
    )


def _care(ctx: ChapterContext, w: dict) -> str | None:
    head = care_reach.headline(ctx)
    if head is None or head.median_days == "–":
        return None
    longest = w["year"] if head.longest == 365 else w["days"].format(d=head.longest)
    return w["care"].format(
        within=percent(head.within, ctx.lang),
        days=head.days,
        within_longest=percent(head.within_longest, ctx.lang),
        longest=longest,
        median=head.median_days,
    )


def _hidden(ctx: ChapterContext, w: dict) -> str | None:
    if "hidden_number" not in ctx.tables or ctx.tables["hidden_number"].frame.empty:
        return None
    r = hidden_number.latest(ctx)
    missing = None if r is None else hidden_number.not_registered(r)
    if missing is None:
        return None
    return w["hidden"].format(
        year=int(r["year"]),
        estimate=shown(r["estimate"]),
        low=shown(r["ci_low"]),
        high=shown(r["ci_high"]),
        observed=shown(r["observed"]),
        missing=worked_out(missing[0]),
        m_low=worked_out(missing[1]),
        m_high=worked_out(missing[2]),
    )


def _lists_differ(ctx: ChapterContext, w: dict) -> str | None:
    if not hidden_number.list_changes(ctx):
        return None
    return w["hidden_lists"].format(chapter=ctx.t["hidden"])


def _edition(ctx: ChapterContext, w: dict) -> str | None:
    before = ctx.editions_before
    if before is None:  # not known here (the dashboard): say nothing rather than guess
        return None
    if not before:
        return w["first_edition"]
    return w["earlier_edition"].format(previous=before[-1])


def _disclosure(ctx: ChapterContext, w: dict) -> str:
    rule = ctx.rule
    if getattr(rule, "method", "suppression") != "suppression":
        return rule.describe(ctx.lang)
    hidden = sum(t.n_hidden() for t in ctx.tables.values())
    cells = sum(t.n_cells() for t in ctx.tables.values())
    if not hidden or not cells:
        return w["caveat_disclosure_none"]
    return w["caveat_disclosure"].format(
        threshold=rule.threshold,
        hidden=worked_out(hidden),
        cells=worked_out(cells),
        share=pct(hidden, cells),
    )


def sentences(ctx: ChapterContext) -> dict[str, list[tuple[str, str]]]:
    """The summary's sentences per section, each as ``(kind, text)``; a finding whose figures
    are not shown is left out."""
    w = TEXT[ctx.lang]
    hidden = _hidden(ctx, w)
    findings = [
        ("who", _who(ctx, w)),
        ("largest", _largest(ctx, w)),
        ("revictimisation", _revictimisation(ctx, w)),
        ("suspects", _suspects(ctx, w)),
        ("care", _care(ctx, w)),
        ("hidden", hidden),
    ]
    trend = [
        ("registered", _registered(ctx, w)),
        ("edition", _edition(ctx, w)),
    ]
    caveats = [
        ("caveat_registrations", w["caveat_registrations"]),
        # the model's caveats go with a shown estimate
        ("caveat_model", w["caveat_model"] if hidden else None),
        ("hidden_lists", _lists_differ(ctx, w) if hidden else None),
        ("disclosure", _disclosure(ctx, w)),
    ]

    def keep(items):
        return [(k, s) for k, s in items if s]

    # the registered count leads the findings too: it is the headline of the edition
    registered = keep(trend[:1])
    return {
        "findings": registered + keep(findings),
        "trend": keep(trend[1:]),
        "caveats": keep(caveats),
    }


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "totals" not in ctx.tables:
        return None
    w = TEXT[ctx.lang]
    parts = sentences(ctx)
    sections = [
        {"title": w[key], "items": [text for _, text in parts[key]], "list": key != "trend"}
        for key in ("findings", "trend", "caveats")
        if parts[key]
    ]
    return ChapterContent(
        title=w["title"],
        intro=[w["lead"].format(first=ctx.years[0], last=ctx.last)],
        template="summary.html.j2",
        data={"sections": sections, "sentences": parts},
    )


CHAPTER = Chapter("summary", build)
