"""Recording noise: what the registrations say about a person, as opposed to the truth.

Every rate is in ``NOISE`` (also written to truth/summary.json). Names get typos (substituted,
dropped, doubled or transposed letters, lost diacritics), sometimes given and family name are
swapped, second given names dropped, or names left out (care registrations are more often
anonymous). Birth dates are sometimes missing, reduced to the birth year, replaced by the
1 January placeholder common in asylum registrations, or wrong (day and month swapped, year
off by one). The national id (a synthetic BSN) is only recorded for persons who have one, and
not always (police most often). Secondary reports of a person-year may record a degraded
exploitation form ("unknown" or one of two forms); the primary report never does.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from traffickingmonitor.synthetic.calibration import COMBO_O, COMBO_U, COMBOS, ORGS
from traffickingmonitor.synthetic.names import NamePool
from traffickingmonitor.synthetic.population import (
    NATIONALITIES,
    ST_ASYLUM,
    ST_B8,
    ST_UNDOC,
    STATUSES,
    Persons,
)
from traffickingmonitor.synthetic.registrations import Registrations

NODATE = np.iinfo(np.int32).min

NOISE: dict = {
    "names_missing": {
        "police": 0.01,
        "kmar": 0.02,
        "labour_inspectorate": 0.03,
        "care": 0.08,
        "other": 0.05,
    },
    "family_typo": 0.05,
    "given_typo": 0.04,
    "names_swapped": 0.025,
    "second_given_dropped": 0.30,  # of persons with two given names
    "birth_year_only": 0.06,
    "birth_missing": 0.06,
    "birth_wrong": 0.04,
    "birth_jan1_placeholder": 0.04,
    "birth_jan1_placeholder_asylum_undocumented_non_eu": 0.15,
    "sex_unknown": 0.015,
    "nationality_unknown": 0.03,
    "national_id_recorded": {  # for persons who have one
        "police": 0.75,
        "kmar": 0.60,
        "labour_inspectorate": 0.50,
        "care": 0.35,
        "other": 0.30,
    },
    "form_secondary_unknown": 0.03,
    "form_secondary_one_of_two": 0.10,
    "sector_missing": 0.12,
    "exploitation_country_missing": 0.06,
    "exploitation_municipality_missing": 0.15,
    "residence_municipality_missing": 0.10,
    "exploitation_start_recorded": 0.55,
    "exploitation_start_first_of_month": 0.20,
    "residence_status_unknown": 0.05,
    "shelter_referral_if_admitted": {
        "police": 0.40,
        "kmar": 0.30,
        "labour_inspectorate": 0.30,
        "care": 0.70,
        "other": 0.40,
    },
    "shelter_referral_without_admission": 0.05,
}

SEX_CODES: tuple[str, ...] = ("female", "male", "other", "unknown")
STATUS_CODES: tuple[str, ...] = (*STATUSES, "unknown")


def form_strings() -> list[str]:
    """All recorded exploitation_form strings, indexable."""
    out = [";".join(c) for c in COMBOS]
    out += ["organ_removal", "sexual", "labour", "criminal"]
    return list(dict.fromkeys(out))


FORM_STRINGS = form_strings()
_FORM_INDEX = {s: i for i, s in enumerate(FORM_STRINGS)}

_KEYBOARD = {
    "a": "sqz",
    "b": "vn",
    "c": "xvk",
    "d": "sfe",
    "e": "wri",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uoe",
    "j": "hk",
    "k": "jlc",
    "l": "k",
    "m": "n",
    "n": "mb",
    "o": "ipu",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "adz",
    "t": "ry",
    "u": "yio",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "ij",
    "z": "sx",
}


def _strip_accents(s: str) -> str:
    s = s.replace("ł", "l").replace("Ł", "L").replace("ı", "i")
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))


def typo(s: str, u: np.ndarray) -> str:
    """A realistic misspelling of ``s`` driven by four uniforms ``u``."""
    if not s:
        return s
    stripped = _strip_accents(s)
    if stripped != s and u[0] < 0.4:
        return stripped
    n = len(s)
    i = min(int(u[1] * n), n - 1)
    op = u[2]
    if n > 3 and op < 0.3:  # drop a letter
        out = s[:i] + s[i + 1 :]
    elif op < 0.5:  # double a letter
        out = s[: i + 1] + s[i] + s[i + 1 :]
    elif n > 2 and op < 0.7 and i < n - 1 and s[i] != " " and s[i + 1] != " ":
        out = s[:i] + s[i + 1] + s[i] + s[i + 2 :]  # transpose
    else:  # substitute with a neighbouring key
        ch = s[i]
        opts = _KEYBOARD.get(ch.lower())
        if not opts:
            return s + "e" if u[3] < 0.5 else s[:-1] if n > 3 else s + "a"
        new = opts[min(int(u[3] * len(opts)), len(opts) - 1)]
        out = s[:i] + (new.upper() if ch.isupper() else new) + s[i + 1 :]
    return out if out.strip() and out != s else s + "h"


def _apply_typos(pool: NamePool, idx: np.ndarray, sel: np.ndarray, u: np.ndarray) -> None:
    """Replace idx[sel] by misspelled variants (in place)."""
    strings = pool.strings
    rows = np.flatnonzero(sel & (idx >= 0))
    out = np.fromiter(
        (pool.intern(typo(strings[idx[r]], u[r])) for r in rows), dtype=np.int32, count=len(rows)
    )
    idx[rows] = out


def _dates_from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    base = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1).astype(
        "timedelta64[M]"
    )
    out = base.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    return out.astype(np.int64).astype(np.int32)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = days.astype("datetime64[D]")
    y = x.astype("datetime64[Y]")
    mth = x.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (mth - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (x - mth).astype(np.int64) + 1,
    )


def record(
    rng: np.random.Generator,
    regs: Registrations,
    persons: Persons,
    reg_index: np.ndarray,
    family: np.ndarray,
    given: np.ndarray,
    first_given: np.ndarray,
    bsn: np.ndarray,
    b8_date: np.ndarray,
    shelter_date: np.ndarray,
    pool: NamePool,
    is_eu_nat: np.ndarray,
) -> dict[str, np.ndarray]:
    """Recorded values per registration row (codes, pool indices, int days; -1/NODATE = empty).

    ``reg_index`` maps a person index to its row in the per-registered-person arrays
    (``family``, ``given``, ``first_given``, ``bsn``, ``b8_date``, ``shelter_date``).
    """
    n = len(regs)
    org = regs.org
    p = regs.person
    r = reg_index[p]
    org_rate = lambda key: np.array([NOISE[key][o] for o in ORGS])[org]  # noqa: E731

    # names
    fam = family[r].copy()
    giv = given[r].copy()
    drop2 = (rng.random(n) < NOISE["second_given_dropped"]) & (giv != first_given[r])
    giv[drop2] = first_given[r][drop2]
    u = rng.random((n, 4))
    _apply_typos(pool, fam, rng.random(n) < NOISE["family_typo"], u)
    u = rng.random((n, 4))
    _apply_typos(pool, giv, rng.random(n) < NOISE["given_typo"], u)
    swap = rng.random(n) < NOISE["names_swapped"]
    fam[swap], giv[swap] = giv[swap], fam[swap].copy()
    missing = rng.random(n) < org_rate("names_missing")
    fam[missing] = -1
    giv[missing] = -1

    # birth date / year
    birth = persons["birth"][p].astype(np.int64)
    y, m, d = _ymd(birth)
    status = persons["status"][p]
    nat = persons["nat"][p]
    non_eu_irregular = ~is_eu_nat[nat] & np.isin(status, (ST_ASYLUM, ST_UNDOC))
    non_eu_irregular &= nat != NATIONALITIES.index("NL")
    u = rng.random(n)
    p_jan1 = np.where(
        non_eu_irregular,
        NOISE["birth_jan1_placeholder_asylum_undocumented_non_eu"],
        NOISE["birth_jan1_placeholder"],
    )
    c1 = NOISE["birth_year_only"]
    c2 = c1 + NOISE["birth_missing"]
    c3 = c2 + NOISE["birth_wrong"]
    year_only = u < c1
    none = (u >= c1) & (u < c2)
    wrong = (u >= c2) & (u < c3)
    jan1 = (u >= c3) & (u < c3 + p_jan1)
    rec_y, rec_m, rec_d = y.copy(), m.copy(), d.copy()
    can_swap = wrong & (d <= 12) & (d != m)
    rec_m[can_swap], rec_d[can_swap] = d[can_swap], m[can_swap]
    shift = wrong & ~can_swap
    rec_y[shift] += np.where(rng.random(int(shift.sum())) < 0.5, -1, 1)
    rec_d[shift] = np.minimum(rec_d[shift], 28)
    rec_m[jan1] = 1
    rec_d[jan1] = 1
    birth_date = _dates_from_ymd(rec_y, rec_m, rec_d)
    birth_date[year_only | none] = NODATE
    birth_year = rec_y.astype(np.int32)
    birth_year[none] = -1

    sex = persons["sex"][p].astype(np.int8)
    sex[rng.random(n) < NOISE["sex_unknown"]] = SEX_CODES.index("unknown")
    nationality = nat.astype(np.int16)
    nationality[rng.random(n) < NOISE["nationality_unknown"]] = -1

    has_bsn = bsn[r] >= 0
    show = has_bsn & (rng.random(n) < org_rate("national_id_recorded"))
    national_id = np.where(show, bsn[r], -1)

    # exploitation form (string index)
    combo = regs.rec_combo
    organ = persons["organ"][p]
    form = np.array([_FORM_INDEX[";".join(c)] for c in COMBOS], dtype=np.int8)[combo]
    form[(combo == COMBO_O) & organ] = _FORM_INDEX["organ_removal"]
    secondary = ~regs.primary & (combo != COMBO_U)
    u = rng.random(n)
    to_unknown = secondary & (u < NOISE["form_secondary_unknown"])
    two = np.isin(
        form, [_FORM_INDEX[s] for s in ("sexual;labour", "sexual;criminal", "labour;criminal")]
    )
    one_of_two = (
        secondary & two & ~to_unknown & (rng.random(n) < NOISE["form_secondary_one_of_two"])
    )
    rows = np.flatnonzero(one_of_two)
    keep_first = rng.random(len(rows)) < 0.5
    form[rows] = [
        _FORM_INDEX[FORM_STRINGS[f].split(";")[0 if k else 1]]
        for f, k in zip(form[rows], keep_first, strict=True)
    ]
    form[to_unknown] = _FORM_INDEX["unknown"]

    sector = persons["sector"][p].astype(np.int8)
    sector[rng.random(n) < NOISE["sector_missing"]] = -1
    country = persons["country"][p].astype(np.int16)
    country[rng.random(n) < NOISE["exploitation_country_missing"]] = -1
    expl_muni = persons["expl_muni"][p].astype(np.int16)
    expl_muni[(country != 0) | (rng.random(n) < NOISE["exploitation_municipality_missing"])] = -1
    res_muni = persons["res_muni"][p].astype(np.int16)
    res_muni[rng.random(n) < NOISE["residence_municipality_missing"]] = -1

    start = persons["expl_start"][p].astype(np.int64)
    rec_start = rng.random(n) < NOISE["exploitation_start_recorded"]
    sy, sm, _ = _ymd(start)
    month_first = rng.random(n) < NOISE["exploitation_start_first_of_month"]
    start = np.where(month_first, _dates_from_ymd(sy, sm, np.ones_like(sm)), start)
    expl_start = np.where(rec_start & (start < regs.date), start, NODATE).astype(np.int32)

    rec_status = status.astype(np.int8).copy()
    b8 = b8_date[r]
    rec_status[(b8 >= 0) & (b8 < regs.date)] = ST_B8
    rec_status[rng.random(n) < NOISE["residence_status_unknown"]] = STATUS_CODES.index("unknown")

    sh = shelter_date[r]
    admitted = sh >= regs.date
    refer = admitted & (rng.random(n) < org_rate("shelter_referral_if_admitted"))
    ref_date = np.maximum(regs.date, sh - rng.integers(0, 15, n))
    loose = ~admitted & (rng.random(n) < NOISE["shelter_referral_without_admission"])
    loose_date = regs.date + rng.integers(0, 31, n)
    shelter = np.where(refer, ref_date, np.where(loose, loose_date, NODATE)).astype(np.int32)

    return {
        "national_id": national_id.astype(np.int64),
        "family": fam,
        "given": giv,
        "birth_date": birth_date,
        "birth_year": birth_year,
        "sex": sex,
        "nationality": nationality,
        "form": form,
        "sector": sector,
        "country": country,
        "expl_muni": expl_muni,
        "res_muni": res_muni,
        "expl_start": expl_start,
        "status": rec_status,
        "shelter": shelter,
    }


def bsn_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct synthetic 9-digit numbers passing the Dutch 11-check."""
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    out = np.zeros(0, np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.2) + 16
        digits = rng.integers(0, 10, (k, 8))
        digits[:, 0] = rng.integers(1, 7, k)
        check = (digits @ weights) % 11
        ok = check < 10
        num = (digits[ok] @ (10 ** np.arange(8, 0, -1))) + check[ok]
        out = np.concatenate([out, num])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]


def bsn_valid(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) - digits[8]
    return total % 11 == 0
