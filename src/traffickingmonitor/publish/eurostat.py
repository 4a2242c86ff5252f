"""The Eurostat annex: the report's published cells in the layout of Eurostat's ``crim_thb``.

Eurostat publishes trafficking in human beings as the collection ``crim_thb``: victims by
citizenship, by form of exploitation, by sex and age, and persons in the criminal justice
system (suspected, prosecuted, convicted). This module fills those tables from the
``ProtectedTable`` objects of an edition and from nothing else, so the figures can be
delivered without hand work and without a new number:

* every value is a cell the report already publishes (the same table, row and column, the
  same value); a hidden cell stays hidden: no value, the confidentiality flag, and the
  report's own symbol (``<10`` or ``x``) beside it;
* no category is made by adding cells. Where Eurostat asks for a category that the monitor
  only has as a sum (Eurostat's "other forms" = criminal plus other exploitation, rows a
  person can be in both of), it is left out and :data:`LEFT_OUT` says why;
* sex *by* age is not crossed in the monitor's tables: a crossing would be a table of new,
  unprotected cells. ``crim_thb_vsage`` gets the two margins (sex with age "total", age with
  sex "total") and the annex says that the crossing is not delivered.

Where each code comes from (looked up for this annex; a code we could not confirm is marked
``confirmed=False`` and listed as such in the annex and in ``eurostat/metadata.json``, to be
checked against Eurostat's code lists before a delivery):

* the collection ``crim_thb`` and its breakdowns: Eurostat's reference metadata
  (:data:`ESMS`, section 3.1): persons in the criminal justice system by legal status
  (victims / suspected / convicted) and sex; victims by citizenship (reporting country /
  other EU country / non-EU country); victims by form of exploitation (sexual / forced
  labour / others);
* the dataset code ``crim_thb_vsage`` (victims by sex and age): EIGE's metadata page for
  its trafficking indicator, which names that Eurostat dataset (:data:`EIGE_VSAGE`);
* the confidentiality flag: Eurostat's database page on flags (:data:`FLAGS`): ``c``
  (confidential) in the one list of flags until 27 January 2025, since then ``C`` in the
  list ``CONF_STATUS``. Both columns are written (``OBS_FLAG`` ``c``, ``CONF_STATUS`` ``C``);
* the columns of Eurostat's long format (``DATAFLOW``, ``TIME_PERIOD``, ``OBS_VALUE``,
  ``OBS_FLAG``): the documentation of EEA's Eurostat reader (:data:`SDMX_CSV`);
* the dataset codes ``crim_thb_vctz`` (victims by citizenship), ``crim_thb_vexp`` (victims by
  all forms of exploitation) and ``crim_thb_sex`` (persons involved by legal status and sex):
  Eurostat's table of contents (:data:`EUROSTAT_TOC`, a copy of August 2023);
* the codes of the dimensions ``citizen`` (``NAT``, ``EU27_2020_FOR``, ``NEU27_2020_FOR``,
  ``UNK``, ``TOTAL``), ``sex`` (``T``, ``F``, ``M``, ``UNK``), ``age`` (``Y_LT18``,
  ``Y_GE18``, ``UNK``, ``TOTAL``), ``leg_stat`` (``PER_SUSP``, ``PER_PRSC``, ``PER_CNV``),
  ``unit`` ``NR`` and ``freq`` ``A``: Eurostat's code lists (:data:`CODE_LISTS`, copies of
  November 2023). They are Eurostat's codes; the datasets' own structure (which of them each
  dataset uses) was not seen.

Not confirmed: the dimension of the forms of exploitation. Eurostat's list of dimensions has
no ``expl``; the reference metadata says crimes are classified by ICCS, and the ICCS code list
has ``ICCS0204`` (trafficking in persons), ``ICCS02041`` (for sexual exploitation),
``ICCS02042`` (for forced labour or services) and ``ICCS02043_02044`` (organ removal and
other purposes): the annex uses dimension ``iccs`` with those codes, and ``UNK`` for an
unknown form, each marked unconfirmed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from traffickingmonitor.disclosure.api import ProtectedTable, require_protected
from traffickingmonitor.publish import csv_safe
from traffickingmonitor.publish.i18n import catalog

ESMS = "https://ec.europa.eu/eurostat/cache/metadata/en/crim_thb_esms.htm"
EIGE_VSAGE = "https://dgs-p.eige.europa.eu/data/metadata/genvio_tra_adm_vict__crim_thb_vsage"
FLAGS = "https://ec.europa.eu/eurostat/web/main/data/database"
SDMX_CSV = "https://eea.github.io/eea.eurostat.api.fme/assets/help/feature-representation.html"
UNCONFIRMED = "unconfirmed: not found in a stored source; check against Eurostat's code list"
EUROSTAT_TOC = (
    "Eurostat's table of contents (table_of_contents_en.txt, copy of 22 August 2023 in "
    "github.com/mkatogui/app_for_exploring_eurostat)"
)
CODE_LISTS = (
    "Eurostat's code lists (dimlst, citizen, sex, age, leg_stat, unit, freq; copies of "
    "November 2023 in github.com/healthfacts/dictionaries_eurostat_hlth)"
)

GEO = "NL"  # ISO 3166 alpha-2, as Eurostat's geo codes write the Netherlands
FREQ = "A"  # annual (CODE_LISTS)
UNIT = "NR"  # number (CODE_LISTS)
#: the confidentiality flags: ``OBS_FLAG`` before 27 January 2025, ``CONF_STATUS`` since (FLAGS)
OBS_FLAG_CONFIDENTIAL = "c"
CONF_STATUS_CONFIDENTIAL = "C"
#: the columns every dataset's CSV starts and ends with (SDMX_CSV; CONF_STATUS: FLAGS)
LEAD = ("DATAFLOW", "freq", "unit")
TAIL = ("geo", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "CONF_STATUS")
#: where each delivered value comes from (beside Eurostat's columns, for the reader)
PROVENANCE = ("monitor_table", "monitor_row", "monitor_column", "monitor_value")


#: a dataset's title in the report's languages (context ``eurostat_datasets``, key: its code)
TITLES = catalog(
    "eurostat_datasets",
    dynamic=("crim_thb_vctz", "crim_thb_vexp", "crim_thb_vsage", "crim_thb_sex"),
)


@dataclass(frozen=True)
class Dataset:
    code: str
    dimensions: tuple[str, ...]  # Eurostat's dimensions between ``unit`` and ``geo``
    source: str  # where the code was confirmed, or UNCONFIRMED

    @property
    def confirmed(self) -> bool:
        return self.source != UNCONFIRMED

    def title(self, lang: str) -> str:
        return TITLES[lang][self.code]


DATASETS = (
    Dataset("crim_thb_vctz", ("citizen",), EUROSTAT_TOC),
    Dataset("crim_thb_vexp", ("iccs",), EUROSTAT_TOC),
    Dataset("crim_thb_vsage", ("sex", "age"), EIGE_VSAGE),
    Dataset("crim_thb_sex", ("leg_stat", "sex"), EUROSTAT_TOC),
)
DATASET = {d.code: d for d in DATASETS}


@dataclass(frozen=True)
class Cell:
    """One delivered series: Eurostat's codes, and the published cell each year fills it.

    ``row`` names the monitor's row besides its year (``{}`` for ``totals``), ``column`` the
    count column; ``category`` is the monitor's category the entry maps (None: a total).
    """

    dataset: str
    codes: tuple[tuple[str, str], ...]  # (Eurostat dimension, code) in dataset order
    table: str
    row: tuple[tuple[str, str], ...]
    column: str
    source: str  # where the codes were confirmed, or UNCONFIRMED

    @property
    def key(self) -> str:
        return " / ".join(code for _, code in self.codes)

    @property
    def category(self) -> str:
        return " / ".join(v for _, v in self.row) or self.column


def _cell(dataset, codes, table, row, column="persons", source=UNCONFIRMED) -> Cell:
    return Cell(dataset, tuple(codes.items()), table, tuple(row.items()), column, source)


_TOTAL = {"table": "totals", "row": {}, "source": CODE_LISTS}
#: the annex: every Eurostat series and the published cell that fills it, in delivery order
CELLS = (
    # citizenship: our groups are those of Eurostat (EU = the 27 member states from 2020,
    # without the Netherlands; codes.EU_COUNTRIES)
    _cell("crim_thb_vctz", {"citizen": "TOTAL"}, **_TOTAL),
    *(
        _cell(
            "crim_thb_vctz",
            {"citizen": code},
            "nationality_group",
            {"nationality_group": g},
            source=CODE_LISTS,
        )
        for code, g in (
            ("NAT", "NL"),
            ("EU27_2020_FOR", "EU"),
            ("NEU27_2020_FOR", "non_EU"),
            ("UNK", "unknown"),
        )
    ),
    # form of exploitation (ICCS, unconfirmed for this dataset): a person exploited in
    # several forms is in each row
    _cell("crim_thb_vexp", {"iccs": "ICCS0204"}, "totals", {}),
    _cell("crim_thb_vexp", {"iccs": "ICCS02041"}, "exploitation_form", {"forms": "sexual"}),
    _cell("crim_thb_vexp", {"iccs": "ICCS02042"}, "exploitation_form", {"forms": "labour"}),
    _cell("crim_thb_vexp", {"iccs": "UNK"}, "exploitation_form", {"forms": "unknown"}),
    # sex and age: the two margins, never their crossing
    _cell("crim_thb_vsage", {"sex": "T", "age": "TOTAL"}, **_TOTAL),
    *(
        _cell("crim_thb_vsage", codes, table, row, source=CODE_LISTS)
        for codes, table, row in (
            ({"sex": "F", "age": "TOTAL"}, "sex", {"sex": "female"}),
            ({"sex": "M", "age": "TOTAL"}, "sex", {"sex": "male"}),
            ({"sex": "UNK", "age": "TOTAL"}, "sex", {"sex": "other_unknown"}),
            ({"sex": "T", "age": "Y_LT18"}, "minor", {"minor": "minor"}),
            ({"sex": "T", "age": "Y_GE18"}, "minor", {"minor": "adult"}),
            ({"sex": "T", "age": "UNK"}, "minor", {"minor": "unknown"}),
        )
    ),
    # the criminal justice chain, all forms together; sex is not known there
    *(
        _cell(
            "crim_thb_sex",
            {"leg_stat": stage, "sex": "T"},
            "perpetrator_chain",
            {"exploitation_form": "all"},
            column,
            CODE_LISTS,
        )
        for stage, column in (
            ("PER_SUSP", "police_suspects"),
            ("PER_PRSC", "prosecution_inflow"),
            ("PER_CNV", "convictions"),
        )
    ),
)


@dataclass(frozen=True)
class LeftOut:
    """A category of the monitor's tables that the annex does not deliver, and why."""

    table: str
    dimension: str  # a dimension of the table, or "column" for a count column
    category: str
    reason: str  # a key of ``REASONS``


REASONS = catalog("eurostat_reasons", dynamic=("*",))

LEFT_OUT = (
    LeftOut("exploitation_form", "forms", "criminal", "other_forms"),
    LeftOut("exploitation_form", "forms", "other", "other_forms"),
    *(
        LeftOut("age_group", "age_group", g, "finer_age")
        for g in ("0-11", "12-17", "18-22", "23-29", "30-49", "50+", "unknown")
    ),
    *(
        LeftOut("perpetrator_chain", "exploitation_form", f, "chain_form")
        for f in ("sexual", "labour", "criminal_other")
    ),
    *(
        LeftOut("perpetrator_chain", "column", s, "chain_stage")
        for s in ("summons", "court_decisions", "custodial_sentences")
    ),
)

#: the monitor's tables the annex maps, category by category (``totals`` fills the totals)
MAPPED_TABLES = (
    "nationality_group",
    "exploitation_form",
    "sex",
    "minor",
    "age_group",
    "perpetrator_chain",
)


def covered(table: str) -> dict[tuple[str, str], list[str]]:
    """(dimension, category) of ``table`` -> where the annex puts it: the dataset of each
    series it fills, or ``"left out"``. A category fills series of one dataset only, or is
    left out; only the chain's row "all" fills several (one per stage, its columns)."""
    out: dict[tuple[str, str], list[str]] = {}
    for c in CELLS:
        if c.table != table:
            continue
        for dim, cat in c.row:
            out.setdefault((dim, cat), []).append(c.dataset)
        if table == "perpetrator_chain":
            out.setdefault(("column", c.column), []).append(c.dataset)
    for lo in LEFT_OUT:
        if lo.table == table:
            out.setdefault((lo.dimension, lo.category), []).append("left out")
    return out


# --- the annex from the protected tables -------------------------------------------------


def _hidden(table: ProtectedTable, row: dict, column: str, value) -> bool:
    """A cell the report does not show as a number (a symbol, or marked suppressed)."""
    if isinstance(value, str):
        return True
    frame = table.frame
    mask = pd.Series(True, index=frame.index)
    for k, v in row.items():
        mask &= frame[k] == v
    return bool(table.suppressed.loc[mask, column].any())


def annex_frame(tables: dict[str, ProtectedTable]) -> pd.DataFrame:
    """Every delivered value, one row per series and year, in Eurostat's long format.

    ``OBS_VALUE`` is the published cell's value, or empty when the cell is hidden; then
    ``OBS_FLAG`` is ``c``, ``CONF_STATUS`` ``C`` and ``monitor_value`` the report's symbol.
    A series whose table the edition lacks is left out; so is a year the table has no row for.
    """
    rows = []
    for c in CELLS:
        table = tables.get(c.table)
        if table is None:
            continue
        require_protected(table)
        frame = table.frame
        years = sorted(int(y) for y in frame["year"].unique())
        for year in years:
            where = {"year": year, **dict(c.row)}
            try:
                value = table.value(where, c.column)
            except KeyError:
                continue
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            hidden = _hidden(table, where, c.column, value)
            rows.append(
                {
                    "DATAFLOW": c.dataset,
                    "freq": FREQ,
                    "unit": UNIT,
                    **dict(c.codes),
                    "geo": GEO,
                    "TIME_PERIOD": year,
                    "OBS_VALUE": None if hidden else int(value),
                    "OBS_FLAG": OBS_FLAG_CONFIDENTIAL if hidden else "",
                    "CONF_STATUS": CONF_STATUS_CONFIDENTIAL if hidden else "",
                    "monitor_table": c.table,
                    "monitor_row": ";".join(f"{k}={v}" for k, v in c.row),
                    "monitor_column": c.column,
                    "monitor_value": value if isinstance(value, str) else int(value),
                }
            )
    return pd.DataFrame(rows)


def dataset_frame(annex: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """One dataset's rows with its own columns, in Eurostat's order."""
    columns = [*LEAD, *dataset.dimensions, *TAIL, *PROVENANCE]
    part = annex[annex["DATAFLOW"] == dataset.code] if len(annex) else annex
    out = part.reindex(columns=columns).reset_index(drop=True)
    out["OBS_VALUE"] = out["OBS_VALUE"].astype("Int64")
    return out


def mapping_frame(lang: str) -> pd.DataFrame:
    """The mapping of categories: each Eurostat series and the monitor cell that fills it,
    then each monitor category left out and why."""
    rows = [
        {
            "dataset": c.dataset,
            "eurostat_codes": ";".join(f"{d}={v}" for d, v in c.codes),
            "monitor_table": c.table,
            "monitor_row": ";".join(f"{k}={v}" for k, v in c.row),
            "monitor_column": c.column,
            "code_source": c.source,
            "left_out_reason": "",
        }
        for c in CELLS
    ]
    rows += [
        {
            "dataset": "",
            "eurostat_codes": "",
            "monitor_table": lo.table,
            "monitor_row": "" if lo.dimension == "column" else f"{lo.dimension}={lo.category}",
            "monitor_column": lo.category if lo.dimension == "column" else "",
            "code_source": "",
            "left_out_reason": REASONS[lang][lo.reason],
        }
        for lo in LEFT_OUT
    ]
    return pd.DataFrame(rows)


def write_annex(tables: dict[str, ProtectedTable], folder: Path, lang: str) -> Path:
    """``folder`` (the report's ``tables/eurostat``): one CSV per crim_thb dataset, the
    mapping, and ``metadata.json`` (where each code comes from, which are unconfirmed)."""
    folder.mkdir(parents=True, exist_ok=True)
    annex = annex_frame(tables)
    files = []
    for dataset in DATASETS:
        frame = dataset_frame(annex, dataset)
        if frame.empty:
            continue
        name = f"{dataset.code}.csv"
        _write(folder / name, csv_safe.to_csv(frame).encode("utf-8"))
        files.append(
            {
                "file": name,
                "dataset": dataset.code,
                "title": dataset.title(lang),
                "dataset_code_source": dataset.source,
                "rows": len(frame),
                "confidential": int((frame["OBS_FLAG"] == OBS_FLAG_CONFIDENTIAL).sum()),
            }
        )
    _write(folder / "mapping.csv", csv_safe.to_csv(mapping_frame(lang)).encode("utf-8"))
    meta = {
        "geo": GEO,
        "years": sorted(int(y) for y in annex["TIME_PERIOD"].unique()) if len(annex) else [],
        "flags": {
            "OBS_FLAG": OBS_FLAG_CONFIDENTIAL,
            "CONF_STATUS": CONF_STATUS_CONFIDENTIAL,
            "source": FLAGS,
        },
        "format_source": SDMX_CSV,
        "collection_source": ESMS,
        "unconfirmed_codes": sorted(
            {d.code for d in DATASETS if not d.confirmed}
            | {f"{d}={v}" for c in CELLS if c.source == UNCONFIRMED for d, v in c.codes}
        ),
        "not_crossed": "sex by age (crim_thb_vsage): the two margins only",
        "files": files,
    }
    _write(folder / "metadata.json", json.dumps(meta, indent=2, ensure_ascii=False).encode())
    return folder


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
