"""Chapter: sources and quality: the legal frame, the files, fields filled, linkage diagnostics.

Completeness and the linkage's pair counts are not in the protected tables, so they are shown
coarsened: shares in whole percents over all the edition's registrations, pair counts rounded
to tens and never a count below the threshold. Registrations are the protected totals.
"""

from __future__ import annotations

from traffickingmonitor.publish import charts
from traffickingmonitor.publish.chapters._local import fmt_decimal
from traffickingmonitor.publish.chapters.base import Block, Chapter, ChapterContent, ChapterContext
from traffickingmonitor.publish.format import worked_out

# Stored column -> the data-standard field a reader knows; in this order in the table.
FIELDS = (
    "nid_token",
    "name_token",
    "birth_date_token",
    "birth_year",
    "sex",
    "nationality",
    "residence_status",
    "residence_municipality",
    "exploitation_forms",
    "sector",
    "exploitation_country",
    "exploitation_municipality",
    "exploitation_start",
    "shelter_referral",
)

TEXT = {
    "nl": {
        "title": "Bronnen en kwaliteit",
        "frame": (
            "Mensenhandel is strafbaar gesteld in artikel 273f van het Wetboek van Strafrecht. "
            "Richtlijn 2011/36/EU, gewijzigd door Richtlijn (EU) 2024/1712, verplicht de "
            "lidstaten slachtoffers te beschermen en te ondersteunen en gegevens over "
            "mensenhandel te verzamelen; Nederland levert die aan Eurostat. GRETA, de "
            "expertgroep van het Verdrag van de Raad van Europa inzake bestrijding van "
            "mensenhandel, toetst de aanpak; UNODC verzamelt wereldwijd cijfers voor zijn Global "
            "Report on Trafficking in Persons. Deze monitor telt mogelijke slachtoffers die bij "
            "een melder bekend zijn; wie bij geen melder bekend is, ontbreekt (zie het verborgen "
            "aantal)."
        ),
        "delivered": (
            "Editie {edition}: de bestanden zoals de organisaties ze leverden, verwerkt op "
            "{date}. Meldingen tot en met {last} tellen mee."
        ),
        "files": "Geleverde bestanden",
        "file": "Bestand",
        "kind": "Soort",
        "hash": "Vingerafdruk (SHA-256)",
        "kinds": {
            "registrations": "meldingen",
            "events": "latere gebeurtenissen",
            "municipal_assessments": "zelfevaluaties gemeenten",
            "programme_indicators": "programma-indicatoren",
            "perpetrator_chain": "strafrechtketen",
        },
        "completeness": "Ingevulde velden",
        "field": "Veld",
        "filled": "Ingevuld",
        "completeness_summary": (
            "Bij {missing}% van de meldingen is de gemeente van uitbuiting niet bekend; "
            "regionale cijfers gebruiken dan de woongemeente."
        ),
        "completeness_note": (
            "Aandeel van alle{n} meldingen van de editie met een bekende waarde, afgerond op "
            "hele procenten; 'onbekend' telt als niet ingevuld."
        ),
        "labels": {
            "nid_token": "identiteitsnummer (BSN of ander)",
            "name_token": "naam",
            "birth_date_token": "geboortedatum",
            "birth_year": "geboortejaar",
            "sex": "geslacht",
            "nationality": "nationaliteit",
            "residence_status": "verblijfsstatus",
            "residence_municipality": "woongemeente",
            "exploitation_forms": "vorm van uitbuiting",
            "sector": "sector",
            "exploitation_country": "land van uitbuiting",
            "exploitation_municipality": "gemeente van uitbuiting",
            "exploitation_start": "begin van de uitbuiting",
            "shelter_referral": "verwijzing naar opvang",
        },
        "linkage": "Koppeling van meldingen tot personen",
        "splink": (
            "Meldingen met dezelfde sleutel van het identiteitsnummer horen bij één persoon. "
            "De andere paren zijn gewogen met een Fellegi-Sunter-model (Splink), getraind op "
            "deze editie, dat {compared} vergelijkt; {never} worden nooit vergeleken. Een paar "
            "met een koppelkans van ten minste {threshold} hoort bij één persoon; paren met een "
            "kans tussen {low} en {high} kan een analist beoordelen."
        ),
        "deterministic": (
            "Meldingen met dezelfde sleutel van het identiteitsnummer, of met dezelfde sleutels "
            "van naam en geboortedatum, horen bij één persoon (deterministische koppeling)."
        ),
        "item": "Kenmerk",
        "value": "Waarde",
        "rows": {
            "method": "Methode",
            "splink": "probabilistisch (Fellegi-Sunter, Splink)",
            "deterministic": "deterministisch (gelijke sleutels)",
            "merged": "Meldingen die bij een andere melding van dezelfde persoon horen",
            "links": "Gekoppelde paren (koppelkans ≥ {threshold})",
            "precision": "Verwachte precisie (juiste koppelingen)",
            "recall": "Verwachte volledigheid (gevonden koppelingen)",
            "review": "Paren in het beoordelingsgebied ({low}–{high})",
            "reviewed": "Beoordelingen door analisten toegepast",
        },
        "fewer": "minder dan {t}",
        "weights": "Paren naar koppelgewicht",
        "weight": "koppelgewicht (log2 m/u)",
        "pairs": "paren",
        "weights_summary": (
            "Van de {pairs} gewogen paren heeft {share}% een koppelkans van ten minste {threshold}."
        ),
        "weights_note": (
            "Alle paren boven de ondergrens van het model; aantallen paren afgerond op "
            "tientallen. Een paar is geen persoon: deze aantallen zeggen niets over kenmerken "
            "van slachtoffers."
        ),
        "band": "Koppelgewicht",
    },
    "en": {
        "title": "Sources and quality",
        "frame": (
            "Human trafficking is an offence under article 273f of the Dutch Criminal Code. "
            "Directive 2011/36/EU, as amended by Directive (EU) 2024/1712, obliges member states "
            "to protect and support victims and to collect data on trafficking; the Netherlands "
            "delivers these to Eurostat. GRETA, the expert group of the Council of Europe "
            "Convention on Action against Trafficking in Human Beings, evaluates the response; "
            "UNODC collects figures worldwide for its Global Report on Trafficking in Persons. "
            "This monitor counts possible victims known to a reporting organisation; those known "
            "to none are missing (see the hidden number)."
        ),
        "delivered": (
            "Edition {edition}: the files as the organisations delivered them, processed on "
            "{date}. Registrations up to and including {last} count."
        ),
        "files": "Files delivered",
        "file": "File",
        "kind": "Kind",
        "hash": "Fingerprint (SHA-256)",
        "kinds": {
            "registrations": "registrations",
            "events": "later events",
            "municipal_assessments": "municipal self-assessments",
            "programme_indicators": "programme indicators",
            "perpetrator_chain": "criminal justice chain",
        },
        "completeness": "Fields filled",
        "field": "Field",
        "filled": "Filled",
        "completeness_summary": (
            "For {missing}% of the registrations the municipality of exploitation is not known; "
            "regional figures then use the municipality of residence."
        ),
        "completeness_note": (
            "Share of all{n} registrations of the edition with a known value, rounded to whole "
            "percents; 'unknown' counts as not filled."
        ),
        "labels": {
            "nid_token": "identity number (BSN or other)",
            "name_token": "name",
            "birth_date_token": "date of birth",
            "birth_year": "year of birth",
            "sex": "sex",
            "nationality": "nationality",
            "residence_status": "residence status",
            "residence_municipality": "municipality of residence",
            "exploitation_forms": "form of exploitation",
            "sector": "sector",
            "exploitation_country": "country of exploitation",
            "exploitation_municipality": "municipality of exploitation",
            "exploitation_start": "start of the exploitation",
            "shelter_referral": "referral to a shelter",
        },
        "linkage": "Linking registrations into persons",
        "splink": (
            "Registrations sharing the token of the identity number belong to one person. The "
            "other pairs are weighed by a Fellegi-Sunter model (Splink), trained on this "
            "edition, that compares {compared}; {never} are never compared. A pair with a match "
            "probability of at least {threshold} belongs to one person; an analyst can review "
            "pairs with a probability between {low} and {high}."
        ),
        "deterministic": (
            "Registrations sharing the token of the identity number, or the tokens of name and "
            "date of birth, belong to one person (deterministic linkage)."
        ),
        "item": "Item",
        "value": "Value",
        "rows": {
            "method": "Method",
            "splink": "probabilistic (Fellegi-Sunter, Splink)",
            "deterministic": "deterministic (equal tokens)",
            "merged": "Registrations that belong to another registration's person",
            "links": "Linked pairs (match probability ≥ {threshold})",
            "precision": "Expected precision (correct links)",
            "recall": "Expected recall (links found)",
            "review": "Pairs in the review band ({low}–{high})",
            "reviewed": "Analysts' review decisions applied",
        },
        "fewer": "fewer than {t}",
        "weights": "Pairs by match weight",
        "weight": "match weight (log2 m/u)",
        "pairs": "pairs",
        "weights_summary": (
            "Of the {pairs} weighed pairs, {share}% have a match probability of at least "
            "{threshold}."
        ),
        "weights_note": (
            "All pairs above the model's floor; counts of pairs rounded to tens. A pair is not "
            "a person: these counts say nothing of the victims' characteristics."
        ),
        "band": "Match weight",
    },
}

# Splink's comparisons as the report names them.
_COMPARED = {
    "nl": {
        "nid": "identiteitsnummer",
        "name": "naam",
        "birth": "geboortedatum",
        "sex": "geslacht",
        "nationality": "nationaliteit",
        "residence_municipality": "woongemeente",
        "residence_status": "verblijfsstatus",
    },
    "en": {
        "nid": "identity number",
        "name": "name",
        "birth": "date of birth",
        "sex": "sex",
        "nationality": "nationality",
        "residence_municipality": "municipality of residence",
        "residence_status": "residence status",
    },
}
_NEVER = {
    "nl": {
        "exploitation form": "vorm van uitbuiting",
        "registration date": "meldingsdatum",
        "other exploitation details": "andere gegevens over de uitbuiting",
    },
    "en": {},
}


def rounded_count(n: int, threshold: int, lang: str) -> str:
    """A count that is in no protected table: rounded to tens, and below the threshold only
    said to be so."""
    if n < threshold:
        return TEXT[lang]["fewer"].format(t=threshold)
    return worked_out(round(n, -1))


def _enumerate(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'en' if lang == 'nl' else 'and'} {items[-1]}"


def _registrations(ctx: ChapterContext) -> int | None:
    """All registrations of the edition: the sum of the shown yearly totals (None if hidden)."""
    totals = ctx.tables.get("totals")
    if totals is None:
        return None
    values = [totals.shown_count({"year": y}, "registrations") for y in ctx.years]
    return None if any(v is None for v in values) else sum(values)


def _sources(ctx: ChapterContext, w: dict) -> Block:
    inputs = list(ctx.edition.inputs.itertuples())
    return Block(
        id="sources-files",
        title=w["files"],
        chart=False,
        person_counts=False,
        summary=w["delivered"].format(
            edition=ctx.edition.edition_id,
            date=ctx.edition.created_at.date().isoformat(),
            last=ctx.last,
        ),
        header=[w["file"], w["kind"], w["hash"]],
        rows=[
            [r.file_name, w["kinds"].get(r.kind, r.kind), f"{r.file_hash[:16]}…"] for r in inputs
        ],
    )


def _completeness(ctx: ChapterContext, w: dict, n: int | None) -> Block | None:
    shares = getattr(ctx.quality, "completeness", None)
    if not shares:
        return None
    rows = [[w["labels"][f], f"{round(100 * shares[f])}%"] for f in FIELDS if f in shares]
    missing = shares.get("exploitation_municipality")
    return Block(
        id="sources-completeness",
        title=w["completeness"],
        chart=False,
        person_counts=False,
        summary=(
            w["completeness_summary"].format(missing=round(100 * (1 - missing)))
            if missing is not None
            else ""
        ),
        header=[w["field"], w["filled"]],
        rows=rows,
        note=w["completeness_note"].format(n=f" {worked_out(n)}" if n is not None else ""),
    )


def _linkage(ctx: ChapterContext, w: dict, n: int | None) -> list[Block]:
    notes = (getattr(ctx.edition, "notes", None) or {}).get("linkage") or {}
    lang, t = ctx.lang, ctx.rule.threshold
    settings = notes.get("settings") or {}
    threshold = notes.get("threshold")
    low, high = settings.get("review_band") or (None, None)
    fmt = lambda v: fmt_decimal(v, lang, 2)  # noqa: E731
    if str(notes.get("method", "")).lower().startswith("splink"):
        text = w["splink"].format(
            compared=_enumerate(
                [_COMPARED[lang].get(c, c) for c in notes.get("comparisons", [])], lang
            ),
            never=_enumerate(
                [_NEVER[lang].get(c, c) for c in notes.get("never_compared", [])], lang
            ).capitalize(),
            threshold=fmt(threshold),
            low=fmt(low),
            high=fmt(high),
        )
    else:
        text = w["deterministic"]
    estimate = notes.get("estimate") or {}
    reviews = notes.get("reviews") or {}
    r = w["rows"]
    splink = str(notes.get("method", "")).lower().startswith("splink")
    rows = [[r["method"], r["splink" if splink else "deterministic"]]]
    persons = notes.get("persons")
    if n and persons is not None:
        rows.append([r["merged"], f"{round(100 * (n - persons) / n)}%"])
    if "links_kept" in estimate:
        rows.append(
            [
                r["links"].format(threshold=fmt(threshold)),
                rounded_count(int(estimate["links_kept"]), t, lang),
            ]
        )
    for key in ("precision", "recall"):
        value = estimate.get(f"expected_{key}")
        if value is not None:
            rows.append([r[key], f"{fmt_decimal(100 * value, lang, 1)}%"])
    if "uncertain_pairs" in estimate and low is not None:
        rows.append(
            [
                r["review"].format(low=fmt(low), high=fmt(high)),
                rounded_count(int(estimate["uncertain_pairs"]), t, lang),
            ]
        )
    if reviews:
        applied = int(reviews.get("matches_applied", 0)) + int(reviews.get("no_matches_applied", 0))
        rows.append([r["reviewed"], "0" if applied == 0 else rounded_count(applied, t, lang)])
    blocks = [
        Block(
            id="sources-linkage",
            title=w["linkage"],
            chart=False,
            person_counts=False,
            summary=text,
            header=[w["item"], w["value"]],
            rows=rows,
        )
    ]
    histogram = getattr(ctx.quality, "histogram", None)
    if histogram:
        bins = list(range(min(histogram), max(histogram) + 1))
        counts = [int(round(histogram.get(b, 0), -1)) for b in bins]
        total = sum(histogram.values())
        bands = _bands(histogram)
        linked = estimate.get("links_kept")
        blocks.append(
            Block(
                id="sources-weights",
                title=w["weights"],
                person_counts=False,
                summary=(
                    w["weights_summary"].format(
                        pairs=rounded_count(total, t, lang),
                        share=round(100 * linked / total),
                        threshold=fmt(threshold),
                    )
                    if linked is not None and total
                    else ""
                ),
                svg=charts.histogram_chart(bins, counts, w["weight"], w["pairs"]),
                header=[w["band"], w["pairs"].capitalize()],
                rows=[[label, rounded_count(k, t, lang)] for label, k in bands],
                note=w["weights_note"],
            )
        )
    return blocks


def _bands(histogram: dict[int, int]) -> list[tuple[str, int]]:
    """Pairs per band of five match weights (the chart has them per unit)."""
    out: dict[int, int] = {}
    for b, k in histogram.items():
        start = 5 * (b // 5)
        out[start] = out.get(start, 0) + k
    return [(f"{s} – {s + 5}", out[s]) for s in sorted(out)]


def build(ctx: ChapterContext) -> ChapterContent:
    w = TEXT[ctx.lang]
    n = _registrations(ctx)
    blocks = [_sources(ctx, w)]
    completeness = _completeness(ctx, w, n)
    if completeness is not None:
        blocks.append(completeness)
    blocks += _linkage(ctx, w, n)
    return ChapterContent(title=w["title"], intro=[w["frame"]], blocks=blocks)


CHAPTER = Chapter("sources", build)
