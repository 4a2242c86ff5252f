"""The base of each chapter, in one line under its title: what is counted, where, when.

Kept together, so that an editor sees every chapter's base at once and the chapters that
share one (persons by year of registration) say it the same way.
"""

from __future__ import annotations

from traffickingmonitor.publish.chapters.base import ChapterContext

BASES = {
    "nl": {
        "registered": (
            "Basis: personen (na koppeling van meldingen) en meldingen, per jaar van registratie, "
            "{y0}–{y1}; regio's naar de plaats van uitbuiting, anders de woonplaats."
        ),
        "revictimisation": (
            "Basis: personen, vanaf hun eerste registratie in {y0}–{y1}, gevolgd tot {cutoff}."
        ),
        "crime-overlap": (
            "Basis: personen, {window} jaar voor en na hun eerste registratie in {y0}–{y1}."
        ),
        "care-reach": (
            "Basis: personen, vanaf hun eerste registratie in {y0}–{y1}; regio's en gemeenten "
            "naar de woonplaats."
        ),
        "hidden": (
            "Basis: personen per jaar van registratie op de lijsten van de melders, {y0}–{y1}."
        ),
        "local": (
            "Basis: persoonsjaren, {y0}–{y1} samen, naar de gemeente van uitbuiting en naar de "
            "woongemeente (twee varianten naast elkaar)."
        ),
        "approach": "Basis: gemeenten, hun jaarlijkse zelfevaluatie.",
        "need-effort": "Basis: persoonsjaren per politie-eenheid (woonplaats), {y0}–{y1}.",
        "programme": (
            "Basis: indicatoren van het programma per jaar; cijfers uit de monitor zijn "
            "personen per jaar van registratie."
        ),
        "chain": "Basis: verdachten en strafzaken per jaar, geen slachtoffers.",
        "eurostat": (
            "Basis: gepubliceerde cellen van dit rapport (personen per jaar van registratie, "
            "{y0}–{y1}; de daderketen per jaar), in de indeling van Eurostat."
        ),
    },
    "en": {
        "registered": (
            "Base: persons (after linking registrations) and registrations, by year of "
            "registration, {y0}–{y1}; regions by place of exploitation, else residence."
        ),
        "revictimisation": (
            "Base: persons, from their first registration in {y0}–{y1}, followed up to {cutoff}."
        ),
        "crime-overlap": (
            "Base: persons, {window} years before and after their first registration in {y0}–{y1}."
        ),
        "care-reach": (
            "Base: persons, from their first registration in {y0}–{y1}; regions and "
            "municipalities by residence."
        ),
        "hidden": "Base: persons by year of registration on the organisations' lists, {y0}–{y1}.",
        "local": (
            "Base: person-years, {y0}–{y1} together, by municipality of exploitation and by "
            "municipality of residence (two variants side by side)."
        ),
        "approach": "Base: municipalities, their yearly self-assessment.",
        "need-effort": "Base: person-years per police unit (residence), {y0}–{y1}.",
        "programme": (
            "Base: the programme's indicators per year; figures from the monitor are persons by "
            "year of registration."
        ),
        "chain": "Base: suspects and criminal cases per year, not victims.",
        "eurostat": (
            "Base: published cells of this report (persons by year of registration, {y0}–{y1}; "
            "the perpetrator chain by year), in Eurostat's layout."
        ),
    },
}


def base_line(chapter_id: str, ctx: ChapterContext) -> str:
    """The chapter's base in the report's language ("" for a chapter without one)."""
    text = BASES[ctx.lang].get(chapter_id)
    if text is None:
        return ""
    notes = getattr(ctx.edition, "notes", None) or {}
    cutoff = (notes.get("revictimisation") or {}).get("cutoff") or "–"
    window = (notes.get("crime_overlap") or {}).get("window_years", 5)
    return text.format(y0=ctx.years[0], y1=ctx.last, cutoff=cutoff, window=window)
