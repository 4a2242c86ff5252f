"""Words of the report in Dutch and English, and labels of categories."""

from __future__ import annotations

import functools

from traffickingmonitor.codes import api as codes

_DIMENSION_LISTS = {
    "victim_groups": codes.VICTIM_GROUP,
    "victim_group": codes.VICTIM_GROUP,
    "forms": codes.EXPLOITATION_FORM,
    "sex": codes.SEX_GROUP,
    "age_group": codes.AGE_GROUP,
    "minor": codes.MINOR,
    "nationality_group": codes.NATIONALITY_GROUP,
    "residence_status": codes.RESIDENCE_STATUS,
    "reporting_org": codes.REPORTING_ORG,
    "event_type": codes.EVENT_TYPE,
    "offence_group": codes.OFFENCE_GROUP,
    "criterion": codes.ASSESSMENT_CRITERION,
    # the criminal justice chain's forms (the registrations' forms are ``forms``)
    "exploitation_form": codes.CHAIN_FORM,
}
#: The programme's indicators (and those the monitor fills in) by name: Dutch, English.
INDICATORS = {
    "awareness_campaign_reach": (
        "bereik bewustwordingscampagne (%)",
        "awareness campaign reach (%)",
    ),
    "professionals_trained": ("getrainde professionals", "professionals trained"),
    "school_prevention_sessions": ("preventielessen op scholen", "school prevention sessions"),
    "registered_possible_victims": (
        "gemelde mogelijke slachtoffers",
        "registered possible victims",
    ),
    "signals_from_municipalities": ("signalen van gemeenten", "signals from municipalities"),
    "labour_inspections_with_trafficking_signals": (
        "arbeidsinspecties met signalen",
        "labour inspections with trafficking signals",
    ),
    "victims_in_categorical_shelter": (
        "slachtoffers in categorale opvang",
        "victims in categorical shelter",
    ),
    "b8_permits_granted": ("verleende B8-vergunningen", "B8 permits granted"),
    "care_coordination_coverage": ("dekking zorgcoördinatie (%)", "care coordination coverage (%)"),
    "police_suspects": ("verdachten bij de politie", "police suspects"),
    "convictions": ("veroordelingen", "convictions"),
    "financial_investigations": ("financiële onderzoeken", "financial investigations"),
    "municipalities_with_approach": (
        "gemeenten met aanpak (%)",
        "municipalities with an approach (%)",
    ),
    "regional_coordinators": ("regionale coördinatoren", "regional coordinators"),
    "care_registrations": (
        "personen gemeld door zorgorganisaties (monitor)",
        "persons registered by care organisations (monitor)",
    ),
    "care_within_90_days": (
        "slachtoffers met zorg binnen 90 dagen, % (monitor)",
        "victims with care within 90 days, % (monitor)",
    ),
    "revictimisation_5y": (
        "opnieuw slachtoffer binnen 5 jaar, % (monitor)",
        "victim again within 5 years, % (monitor)",
    ),
    "municipalities_basic_level": (
        "gemeenten op basisniveau, % (monitor)",
        "municipalities meeting the basic level, % (monitor)",
    ),
}

#: A dimension's name (a breakdown of the cohort chapters, a covariate of the Cox model).
GROUP_BY_LABEL = {
    "nl": {
        "all": "Alle personen",
        "victim_group": "Slachtoffergroep",
        "sex": "Geslacht",
        "minor": "Minderjarig of meerderjarig",
        "age_group": "Leeftijdsgroep",
        "nationality_group": "Nationaliteit",
        "residence_status": "Verblijfsstatus",
        "cohort_year": "Jaar van eerste registratie",
        "police_unit": "Regio (politie-eenheid)",
        "municipality": "Gemeente",
    },
    "en": {
        "all": "All persons",
        "victim_group": "Victim group",
        "sex": "Sex",
        "minor": "Minor or adult",
        "age_group": "Age group",
        "nationality_group": "Nationality",
        "residence_status": "Residence status",
        "cohort_year": "Year of first registration",
        "police_unit": "Region (police unit)",
        "municipality": "Municipality",
    },
}

# Values that are no code of a list: their words per dimension.
_DIMENSION_WORDS = {
    "offence_group": {"any": ("elk delict", "any offence")},
    "criterion": {"basic_level": ("basisniveau", "basic level")},
    "period": {"before": ("voor", "before"), "after": ("na", "after")},
    "indicator": INDICATORS,
}

_GENERIC = {
    "unknown": ("onbekend", "unknown"),
    "other": ("overig", "other"),
    "all": ("alle groepen (som)", "all groups (sum)"),
}
# Only the number of reporting organisations per person reads "1 melder": other dimensions
# with the values 1 and 2 (action lines) are not organisations.
_N_ORGS = {
    "1": ("1 melder", "1 organisation"),
    "2": ("2 melders", "2 organisations"),
    "2+": ("2 of meer melders", "2 or more organisations"),
    "3+": ("3 of meer melders", "3 or more organisations"),
}
_MUNICIPALITY_DIMS = ("municipality", "residence_municipality", "exploitation_municipality")


def category_label(dimension: str, code, lang: str) -> str:
    code = str(code)
    if dimension in _DIMENSION_LISTS and code in _DIMENSION_LISTS[dimension].values:
        return _DIMENSION_LISTS[dimension].label(code, lang)
    words = _DIMENSION_WORDS.get(dimension, {}).get(code)
    if words:
        return words[0 if lang == "nl" else 1]
    if dimension == "method" and code in TEXT[lang]["hn_methods"]:
        return TEXT[lang]["hn_methods"][code]
    if dimension == "covariate" and code in GROUP_BY_LABEL[lang]:
        return GROUP_BY_LABEL[lang][code]
    if dimension in ("level", "reference"):  # a Cox model's levels: of any breakdown
        if code.startswith("not_"):
            return "niet in deze groep" if lang == "nl" else "not in this group"
        for codelist in _DIMENSION_LISTS.values():
            if code in codelist.values:
                return codelist.label(code, lang)
    if dimension == "n_orgs" and code in _N_ORGS:
        return _N_ORGS[code][0 if lang == "nl" else 1]
    if dimension == "action_line" and code.isdigit():
        return f"{'Actielijn' if lang == 'nl' else 'Action line'} {code}"
    if dimension in _MUNICIPALITY_DIMS:
        name = _municipality_names().get(code)
        if name:
            return name
    if dimension == "area":  # the approach monitor's areas: the country and the provinces
        if code == "NL":
            return "Nederland" if lang == "nl" else "Netherlands"
        name = _province_names().get(code)
        if name:
            return name
    if code in _GENERIC:
        return _GENERIC[code][0 if lang == "nl" else 1]
    if dimension == "nationality":
        return codes.country_name(code, lang)
    return code


@functools.cache
def _province_names() -> dict[str, str]:
    """CBS province code (``PV..``) -> name."""
    table = codes.municipalities()
    return dict(zip(table["province_code"], table["province"], strict=False))


@functools.cache
def _municipality_names() -> dict[str, str]:
    table = codes.municipalities()
    return dict(zip(table["code"], table["name"], strict=True))


TEXT = {
    "nl": {
        "title": "Slachtoffermonitor mensenhandel",
        "subtitle": "Geregistreerde mogelijke slachtoffers",
        "edition": "Editie",
        "generated": "Gemaakt op",
        "code_version": "Codeversie",
        "inputs_hash": "Vingerafdruk invoer",
        "contents": "Inhoud",
        "key_figures": "Kerncijfers",
        "registered": "Geregistreerde slachtoffers en hun kenmerken",
        "method": "Methode en geheimhouding",
        "year": "Jaar",
        "persons": "personen",
        "registrations": "meldingen",
        "Persons": "Personen",
        "Registrations": "Meldingen",
        "category": "Categorie",
        "data_table": "Gegevens bij de figuur",
        "chart_of": "Figuur",
        "table_of": "Tabel",
        "suppressed_note": "Een aantal van 1 tot de drempel wordt weergegeven als",
        "kf_persons": "mogelijke slachtoffers geregistreerd in {year}",
        "kf_registrations": "meldingen in {year}",
        "kf_change": "{sign}{pct}% ten opzichte van {prev}",
        "kf_women": "vrouw (van de vrouwen en mannen)",
        "kf_minors": "minderjarig (van wie de leeftijd bekend is)",
        "kf_multi": "door meer dan één organisatie gemeld",
        "kf_top": "meest voorkomende nationaliteit",
        "kf_hidden": "geschat totaal aantal slachtoffers in {year}, geregistreerd en niet",
        "kf_hidden_interval": "95%-interval {low}–{high}",
        "not_shown": "niet te tonen",
        "sources": "Bronnen van deze editie",
        "file": "Bestand",
        "kind": "Soort",
        "hash": "SHA-256",
        "disclosure": "Geheimhouding",
        "definitions": "Begrippen",
        "linkage": "Koppeling",
        "page": "pagina",
        "summary_trend": (
            "In {last} zijn {value} {what} geregistreerd, {change} ten opzichte van {prev}."
        ),
        "summary_trend_nochange": "In {last} zijn {value} {what} geregistreerd.",
        "summary_largest": "De grootste groep in {last}: {label}, {value} personen.",
        "summary_close": (
            "De twee grootste groepen in {last}, {l1} ({v1} personen) en {l2} ({v2}), "
            "verschillen niet duidelijk in omvang."
        ),
        "summary_none": "In {last} zijn de aantallen te klein om te tonen.",
        "more": "meer",
        "fewer": "minder",
        "no_chart": "Geen figuur: de aantallen zijn te klein om te tonen.",
        "hidden": "Verborgen aantal",
        "hn_all": "alle groepen (som)",
        "hn_registered": "Geregistreerd",
        "hn_estimate": "Geschat totaal",
        "hn_missing": "Niet geregistreerd (geschat)",
        "hn_interval": "95%-interval",
        "hn_status_h": "Status",
        "hn_group": "Slachtoffergroep",
        "hn_model": "Interacties in het model",
        "hn_method": "Modelkeuze",
        "hn_status": {
            "estimated": "geschat",
            "skipped": "te weinig gegevens",
            "incomplete": "onvolledig",
        },
        "hn_methods": {
            "stepwise": "stapsgewijs (p < 0,02)",
            "bic": "BIC",
            "aic": "AIC",
            "main": "alleen hoofdeffecten",
        },
        "hn_summary": (
            "Het geschatte totaal aantal slachtoffers in {year} is {estimate} (95%-interval "
            "{interval}), van wie er {observed} geregistreerd zijn; niet geregistreerd "
            "(schatting min geregistreerd): {missing} ({missing_interval})."
        ),
        "hn_lists": "{year}: lijsten {lists}",
        "hn_merged": " (samengevoegd met overige melders: {merged})",
        "hn_caption": "Grijze staven: geregistreerde personen; punt met lijn: schatting met 95%-interval.",
        "hn_groups_note": (
            "Per slachtoffergroep telt elke persoon één keer, in de eerste groep van deze "
            "volgorde: {order}. In de tabel naar slachtoffergroep in hoofdstuk 2 kan één persoon "
            "in meer groepen vallen; daarom zijn de geregistreerde aantallen hier kleiner."
        ),
        "hn_lists_change": (
            "Let op: de lijsten (melders) verschillen tussen de jaren ({changes}); de schattingen "
            "van die jaren zijn daarom niet volledig vergelijkbaar."
        ),
        "hn_reconcile": (
            "In {year} is de som van de schattingen per slachtoffergroep {total}; één model over "
            "alle groepen samen geeft {low}–{high}, naar de modelkeuze. Dit rapport gebruikt de "
            "som per groep: de kans om bij een melder bekend te worden verschilt sterk tussen de "
            "groepen, en één model over alle groepen samen schat het totaal dan te laag."
        ),
        "hn_by_group": "Schatting per slachtoffergroep",
        "hn_sensitivity": "Gevoeligheid voor de modelkeuze",
        "hn_lists_title": "Gebruikte lijsten (melders)",
        "open_data": "De tabellen van dit rapport staan als CSV met beschrijving in de map tables/.",
    },
    "en": {
        "title": "Human trafficking victim monitor",
        "subtitle": "Registered possible victims",
        "edition": "Edition",
        "generated": "Generated on",
        "code_version": "Code version",
        "inputs_hash": "Input fingerprint",
        "contents": "Contents",
        "key_figures": "Key figures",
        "registered": "Registered victims and their characteristics",
        "method": "Method and disclosure control",
        "year": "Year",
        "persons": "persons",
        "registrations": "registrations",
        "Persons": "Persons",
        "Registrations": "Registrations",
        "category": "Category",
        "data_table": "Data of the figure",
        "chart_of": "Figure",
        "table_of": "Table",
        "suppressed_note": "A count from 1 to the threshold is shown as",
        "kf_persons": "possible victims registered in {year}",
        "kf_registrations": "registrations in {year}",
        "kf_change": "{sign}{pct}% compared with {prev}",
        "kf_women": "female (of women and men)",
        "kf_minors": "minors (of those whose age is known)",
        "kf_multi": "reported by more than one organisation",
        "kf_top": "most frequent nationality",
        "kf_hidden": "estimated total of victims in {year}, registered or not",
        "kf_hidden_interval": "95% interval {low}–{high}",
        "not_shown": "not shown",
        "sources": "Sources of this edition",
        "file": "File",
        "kind": "Kind",
        "hash": "SHA-256",
        "disclosure": "Disclosure control",
        "definitions": "Definitions",
        "linkage": "Linkage",
        "page": "page",
        "summary_trend": "In {last}, {value} {what} were registered, {change} than in {prev}.",
        "summary_trend_nochange": "In {last}, {value} {what} were registered.",
        "summary_largest": "The largest group in {last}: {label}, {value} persons.",
        "summary_close": (
            "The two largest groups in {last}, {l1} ({v1} persons) and {l2} ({v2}), do not "
            "differ clearly in size."
        ),
        "summary_none": "In {last}, the counts are too small to show.",
        "more": "more",
        "fewer": "fewer",
        "no_chart": "No figure: the counts are too small to show.",
        "hidden": "Hidden number",
        "hn_all": "all groups (sum)",
        "hn_registered": "Registered",
        "hn_estimate": "Estimated total",
        "hn_missing": "Not registered (estimated)",
        "hn_interval": "95% interval",
        "hn_status_h": "Status",
        "hn_group": "Victim group",
        "hn_model": "Interactions in the model",
        "hn_method": "Model choice",
        "hn_status": {
            "estimated": "estimated",
            "skipped": "too little data",
            "incomplete": "incomplete",
        },
        "hn_methods": {
            "stepwise": "stepwise (p < 0.02)",
            "bic": "BIC",
            "aic": "AIC",
            "main": "main effects only",
        },
        "hn_summary": (
            "The estimated total of victims in {year} is {estimate} (95% interval {interval}), of "
            "whom {observed} were registered; not registered (estimate minus registered): "
            "{missing} ({missing_interval})."
        ),
        "hn_lists": "{year}: lists {lists}",
        "hn_merged": " (merged with other reporters: {merged})",
        "hn_caption": "Grey bars: registered persons; dot and line: estimate with 95% interval.",
        "hn_groups_note": (
            "Per victim group every person counts once, in the first group of this order: "
            "{order}. In the table by victim group in chapter 2 one person can be in several "
            "groups; the registered counts here are therefore smaller."
        ),
        "hn_lists_change": (
            "Note: the lists (reporting organisations) differ between years ({changes}); the "
            "estimates of those years are therefore not fully comparable."
        ),
        "hn_reconcile": (
            "In {year}, the sum of the estimates per victim group is {total}; one model of all "
            "groups together gives {low}–{high}, depending on the model choice. This report uses "
            "the sum per group: the chance of becoming known to a reporting organisation differs "
            "strongly between the groups, and one model of all groups together then "
            "underestimates the total."
        ),
        "hn_by_group": "Estimate per victim group",
        "hn_sensitivity": "Sensitivity to the choice of model",
        "hn_lists_title": "Lists used (reporting organisations)",
        "open_data": "The tables of this report are in the folder tables/ as CSV with a description.",
    },
}

METHOD = {
    "nl": {
        "definitions": [
            "Een melding is één registratie van een mogelijk slachtoffer door één organisatie.",
            "Een persoon is één mens na koppeling van meldingen van verschillende organisaties; "
            "een persoon die in meerdere jaren is gemeld, telt in elk van die jaren.",
            "Slachtoffergroepen: binnenlandse seksuele uitbuiting (Nederlandse nationaliteit), "
            "grensoverschrijdende seksuele uitbuiting (andere of onbekende nationaliteit), "
            "arbeidsuitbuiting, criminele uitbuiting, overig en onbekend. Eén persoon kan in meer "
            "groepen vallen.",
            "Leeftijd: bij de eerste melding in het jaar; alleen een geboortejaar bekend geeft de "
            "verwachte leeftijd (geboorte halverwege het jaar).",
            "Plaats: de gemeente van uitbuiting, anders de woongemeente (indeling 2023).",
        ],
    },
    "en": {
        "definitions": [
            "A registration is one report of a possible victim by one organisation.",
            "A person is one human being after linking the registrations of different "
            "organisations; a person registered in several years counts in each of those years.",
            "Victim groups: domestic sexual exploitation (Dutch nationality), cross-border sexual "
            "exploitation (other or unknown nationality), labour exploitation, criminal "
            "exploitation, other and unknown. One person can be in several groups.",
            "Age: at the first registration in the year; where only the birth year is known, the "
            "expected age (birth at mid-year).",
            "Place: the municipality of exploitation, else of residence (2023 boundaries).",
        ],
    },
}


def model_label(model: str | None, lang: str) -> str:
    """A log-linear model's interactions as a reader names them: ``care:other, police:kmar``
    becomes "zorgcoördinatoren en zorginstellingen × overige melders; politie × ..."; no
    interaction is "main effects only"."""
    terms = [t.strip() for t in str(model or "").split(",") if t.strip()]
    if not terms:
        return "alleen hoofdeffecten" if lang == "nl" else "main effects only"
    return "; ".join(
        " × ".join(category_label("reporting_org", part, lang) for part in term.split(":"))
        for term in terms
    )
