"""Chapter: need versus effort per police unit, ranked by the gap, with intervals."""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.need_effort import N_DRAWS
from traffickingmonitor.codes import api as codes
from traffickingmonitor.publish import local_charts
from traffickingmonitor.publish.chapters._local import fmt_decimal, shown_values
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import interval, shown

TEXT = {
    "nl": {
        "title": "Nodig versus gedaan",
        "intro": (
            "Waar is de inzet het meest nodig? Per politie-eenheid het geschatte aantal "
            "slachtoffers tegenover de geregistreerde slachtoffers, de gestarte zorg en de "
            "gemeentelijke aanpak, {y0}–{y1}, gemiddeld per jaar. De eenheden staan in volgorde "
            "van de kloof (geschat min geregistreerd) per 100.000 inwoners; het interval bij de "
            "rang laat zien hoe zeker die plaats is."
        ),
        "chart": "Kloof per 100.000 inwoners per politie-eenheid",
        "axis": "per 100.000 inwoners per jaar",
        "caption": "(punt en lijn: geschatte kloof met 95%-interval; grijze ruit: geregistreerd; logaritmische schaal)",
        "unit": "Politie-eenheid",
        "rank": "Rang (interval)",
        "registered": "Geregistreerd per jaar",
        "estimate": "Geschat per jaar (95%)",
        "gap": "Kloof per jaar (95%)",
        "gap_rate": "Kloof per 100.000 (95%)",
        "care": "Zorgstarts (alle jaren)",
        "score": "Score aanpak {year}",
        "basic": "Op basisniveau {year}",
        "summary": (
            "De grootste kloof per 100.000 inwoners heeft {unit} (rang {rank}, interval {low}–"
            "{high}): naar schatting {gap} slachtoffers per jaar meer dan er worden geregistreerd."
        ),
        "summary_unclear": (
            "De kloof per 100.000 inwoners verschilt niet duidelijk genoeg tussen de eenheden om "
            "een grootste aan te wijzen: {unit} komt het hoogst uit, maar zijn rang ligt tussen "
            "{low} en {high} (95%)."
        ),
        "summary_none": "Geen schatting te tonen.",
        "annex": "Toelichting: hoe de behoefte per eenheid is geschat",
        "annex_lines": [
            "Een schatting per politie-eenheid met multiple systems estimation is te onzeker "
            "(enkele honderden persoonsjaren per eenheid, groepen zonder schatting). Daarom wordt "
            "de landelijke schatting van elk jaar en elke slachtoffergroep verdeeld: het verborgen "
            "deel (geschat min geregistreerd) gaat naar de eenheden naar hun aandeel in de "
            "geregistreerden van die groep en dat jaar.",
            "Aanname: binnen een slachtoffergroep is het deel van de slachtoffers dat wordt "
            "geregistreerd in elke eenheid gelijk. Verschillen tussen eenheden komen dus uit de "
            "samenstelling naar groep: een eenheid met veel grensoverschrijdende of "
            "arbeidsuitbuiting, die zelden wordt gezien, krijgt een groter verborgen deel. Een "
            "eenheid die een groep slecht signaleert, ziet die slechte signalering hier niet terug.",
            "Onzekerheid: {draws} herhalingen (parametrische bootstrap); het verborgen deel van elk "
            "jaar en elke groep lognormaal getrokken met de breedte van zijn 95%-interval (gemiddelde "
            "van beide kanten op logschaal), de "
            "aandelen van de eenheden uit een Dirichletverdeling op de geregistreerden (+½). De "
            "intervallen en de rang-intervallen zijn de 2,5- en 97,5-percentielen.",
            "Per 100.000 inwoners: bevolking op {date}; berekend uit getoonde (afgeronde) "
            "schattingen. Zorgstarts: geregistreerden met een zorgstart in het jaar van melding. "
            "Aanpak: gemiddelde score en aandeel gemeenten op basisniveau in het laatste jaar "
            "van de zelfevaluatie. 'Onbekend': personen zonder Nederlandse gemeente, niet gerangschikt.",
        ],
    },
    "en": {
        "title": "Need versus effort",
        "intro": (
            "Where is effort needed most? Per police unit the estimated number of victims against "
            "registered victims, care started and the municipal approach, {y0}–{y1}, averaged per "
            "year. The units are ordered by the gap (estimated minus registered) per 100,000 "
            "inhabitants; the interval beside the rank shows how sure that place is."
        ),
        "chart": "Gap per 100,000 inhabitants per police unit",
        "axis": "per 100,000 inhabitants a year",
        "caption": "(dot and line: estimated gap with 95% interval; grey diamond: registered; log scale)",
        "unit": "Police unit",
        "rank": "Rank (interval)",
        "registered": "Registered a year",
        "estimate": "Estimated a year (95%)",
        "gap": "Gap a year (95%)",
        "gap_rate": "Gap per 100,000 (95%)",
        "care": "Care starts (all years)",
        "score": "Approach score {year}",
        "basic": "Basic level {year}",
        "summary": (
            "The largest gap per 100,000 inhabitants is in {unit} (rank {rank}, interval {low}–"
            "{high}): an estimated {gap} victims a year more than are registered."
        ),
        "summary_unclear": (
            "The gap per 100,000 inhabitants does not differ clearly enough between the units to "
            "name a largest: {unit} comes out highest, but its rank lies between {low} and "
            "{high} (95%)."
        ),
        "summary_none": "No estimate to show.",
        "annex": "Annex: how the need per unit is estimated",
        "annex_lines": [
            "A multiple systems estimate per police unit is too uncertain (a few hundred "
            "person-years per unit, groups without an estimate). The national estimate of each "
            "year and victim group is therefore allocated: its hidden part (estimated minus "
            "registered) goes to the units in proportion to their share of the group's registered "
            "persons that year.",
            "Assumption: within a victim group, the share of victims who are registered is the "
            "same in every unit. Differences between units come from their mix of groups: a unit "
            "with much cross-border or labour exploitation, which is rarely seen, gets a larger "
            "hidden part. A unit that detects a group poorly does not see that reflected here.",
            "Uncertainty: {draws} replicates (parametric bootstrap); the hidden part of each year "
            "and group drawn log-normally with the width of its 95% interval (mean of both sides on "
            "the log scale), the units' shares "
            "from a Dirichlet distribution on the registered counts (+½). Intervals and rank "
            "intervals are the 2.5 and 97.5 percentiles.",
            "Per 100,000 inhabitants: population on {date}; computed from shown (rounded) "
            "estimates. Care starts: registered persons with a care start in the year of "
            "registration. Approach: mean score and share of municipalities meeting the basic "
            "level in the latest self-assessment year. 'Unknown': persons without a Dutch "
            "municipality, not ranked.",
        ],
    },
}


def _per100k(v, population: int) -> float | None:
    if v is None or isinstance(v, str) or not population:
        return None
    return round(100_000 * float(v) / population, 1)


def build(ctx: ChapterContext) -> ChapterContent | None:
    if "need_effort" not in ctx.tables:
        return None
    table = ctx.tables["need_effort"]
    w, lang = TEXT[ctx.lang], ctx.lang
    frame = table.frame.reset_index(drop=True)
    n_years = int(frame["years"].iloc[0])
    cols = {
        c: shown_values(table, c)
        for c in (
            "registered",
            "estimate",
            "ci_low",
            "ci_high",
            "gap",
            "gap_low",
            "gap_high",
            "care_starts",
        )
    }
    frame["order"] = frame["rank"].fillna(999)
    rows, chart = [], []
    year = frame["approach_year"].dropna()
    ayear = int(year.iloc[0]) if len(year) else ""
    for i in frame.sort_values("order").index:
        r = frame.loc[i]
        pop = int(r["population"])
        reg = cols["registered"][i]
        reg_year = None if reg is None else reg / n_years
        rate = [_per100k(cols[c][i], pop) for c in ("gap", "gap_low", "gap_high")]
        name = (
            r["police_unit"]
            if r["police_unit"] != codes.UNKNOWN
            else ("onbekend" if lang == "nl" else "unknown")
        )
        ranked = pd.notna(r["rank"])
        rows.append(
            [
                name,
                f"{int(r['rank'])} ({int(r['rank_low'])}–{int(r['rank_high'])})" if ranked else "–",
                shown(table.frame.loc[i, "registered"])
                if reg is None
                else fmt_decimal(reg_year, lang, 1),
                f"{shown(table.frame.loc[i, 'estimate'])} ({interval(cols['ci_low'][i], cols['ci_high'][i])})",
                f"{fmt_decimal(rate[0], lang)} ({fmt_decimal(rate[1], lang)}–{fmt_decimal(rate[2], lang)})"
                if ranked and rate[0] is not None
                else "–",
                shown(table.frame.loc[i, "care_starts"]),
                fmt_decimal(r.get("approach_score"), lang, 0),
                "–" if pd.isna(r.get("basic_level_share")) else f"{int(r['basic_level_share'])}%",
            ]
        )
        if ranked and rate[0] is not None:
            chart.append(
                {
                    "unit": name,
                    "gap": rate[0],
                    "low": rate[1],
                    "high": rate[2],
                    "registered": _per100k(reg_year, pop),
                }
            )
    top = frame[frame["rank"] == 1]
    if len(top) and cols["gap"][top.index[0]] is not None:
        t = top.iloc[0]
        # "the largest" only when the unit is first in (nearly) every draw
        sure = int(t["rank_high"]) == 1
        summary = w["summary" if sure else "summary_unclear"].format(
            unit=t["police_unit"],
            rank=1,
            low=int(t["rank_low"]),
            high=int(t["rank_high"]),
            gap=shown(table.frame.loc[top.index[0], "gap"]),
        )
    else:
        summary = w["summary_none"]
    block = Block(
        id="need-effort",
        title=f"{w['chart']}, {ctx.years[0]}–{ctx.last}",
        summary=summary,
        svg=local_charts.gap_chart(pd.DataFrame(chart), {"axis": w["axis"]}),
        caption=w["caption"],
        header=[
            w["unit"],
            w["rank"],
            w["registered"],
            w["estimate"],
            w["gap_rate"],
            w["care"],
            w["score"].format(year=ayear),
            w["basic"].format(year=ayear),
        ],
        rows=rows,
        note=table.spec.note(lang),
    )
    return ChapterContent(
        title=w["title"],
        intro=[w["intro"].format(y0=ctx.years[0], y1=ctx.last)],
        blocks=[block],
        outro_title=w["annex"],
        outro=[line.format(draws=N_DRAWS, date=codes.REFERENCE_DATE) for line in w["annex_lines"]],
    )


CHAPTER = Chapter("need-effort", build, tables=("need_effort",))
