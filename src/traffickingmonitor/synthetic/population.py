"""The latent population: every victim of a year, registered or not.

Each year holds the victims who continue from the year before (exploitation that lasts) and new
victims. A new victim gets a nationality (year-specific weights: 2019 had many Nigerian and
Ugandan asylum seekers), then exploitation form(s) by the nationality's region profile, sex and
age by form, a residence status, a sector, the country and (in the Netherlands) municipality of
exploitation weighted by population and a residence municipality. There is no detection
frailty: how visible a victim is follows from these characteristics (:mod:`detection`). All
arrays are numpy, one row per person; dates are int32 days since 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from traffickingmonitor.codes import api as codes
from traffickingmonitor.synthetic.calibration import (
    COMBO_C,
    COMBO_L,
    COMBO_LC,
    COMBO_O,
    COMBO_S,
    COMBO_SC,
    COMBO_SL,
    NAT_CATEGORIES,
    YearTargets,
)

EPOCH = np.datetime64("1970-01-01", "D")


def day(y: int, m: int = 1, d: int = 1) -> int:
    return int((np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D") - EPOCH).astype(np.int64))


# Residence status codes used in the truth (never "unknown" there).
STATUSES: tuple[str, ...] = tuple(s for s in codes.RESIDENCE_STATUS.order() if s != codes.UNKNOWN)
ST_NL, ST_EU, ST_PERMIT, ST_B8, ST_ASYLUM, ST_UNDOC = range(6)

SEXES: tuple[str, ...] = ("female", "male", "other")
SEX_F, SEX_M, SEX_O = range(3)


@dataclass(frozen=True)
class Region:
    combos: tuple[float, ...]  # S L C SL SC LC O
    female: tuple[float, ...]  # P(female | combo)
    minor: tuple[float, ...]  # P(minor | combo)
    status: dict[str, float]
    abroad: float  # share exploited outside the Netherlands
    abroad_countries: tuple[str, ...]  # "*" = own country
    domestic_work: float = 0.10  # share of domestic work among labour sectors


REGIONS: dict[str, Region] = {
    "nl": Region(
        (0.52, 0.05, 0.22, 0.03, 0.13, 0.03, 0.02),
        (0.97, 0.35, 0.30, 0.85, 0.80, 0.25, 0.50),
        (0.30, 0.05, 0.40, 0.15, 0.40, 0.25, 0.10),
        {"nl_citizen": 1.0},
        0.04,
        ("BE", "DE", "ES", "GB"),
    ),
    "eu": Region(
        (0.42, 0.42, 0.04, 0.07, 0.02, 0.02, 0.01),
        (0.97, 0.30, 0.30, 0.85, 0.80, 0.20, 0.50),
        (0.05, 0.02, 0.10, 0.03, 0.08, 0.03, 0.05),
        {"eu_citizen": 1.0},
        0.15,
        ("DE", "BE", "GB", "FR", "*"),
    ),
    "wafr": Region(
        (0.50, 0.18, 0.03, 0.23, 0.03, 0.01, 0.02),
        (0.98, 0.55, 0.40, 0.95, 0.85, 0.40, 0.60),
        (0.07, 0.03, 0.10, 0.05, 0.08, 0.05, 0.05),
        {"asylum_seeker": 0.60, "undocumented": 0.22, "residence_permit": 0.08, "b8_permit": 0.10},
        0.50,
        ("LY", "IT", "ES", "FR", "ML", "NE", "*"),
    ),
    "eafr": Region(
        (0.28, 0.42, 0.03, 0.20, 0.02, 0.01, 0.04),
        (0.98, 0.75, 0.40, 0.95, 0.85, 0.40, 0.60),
        (0.05, 0.03, 0.10, 0.04, 0.05, 0.05, 0.05),
        {"asylum_seeker": 0.75, "undocumented": 0.12, "residence_permit": 0.08, "b8_permit": 0.05},
        0.70,
        ("AE", "SA", "OM", "QA", "KW", "LY", "*"),
        domestic_work=0.55,
    ),
    "gm": Region(
        (0.15, 0.35, 0.25, 0.05, 0.04, 0.14, 0.02),
        (0.95, 0.15, 0.05, 0.70, 0.50, 0.05, 0.30),
        (0.05, 0.04, 0.12, 0.05, 0.08, 0.08, 0.05),
        {"asylum_seeker": 0.45, "undocumented": 0.45, "residence_permit": 0.05, "b8_permit": 0.05},
        0.45,
        ("LY", "IT", "ES", "*"),
    ),
    "asia": Region(
        (0.35, 0.35, 0.15, 0.05, 0.03, 0.05, 0.02),
        (0.97, 0.45, 0.20, 0.85, 0.70, 0.20, 0.50),
        (0.06, 0.03, 0.20, 0.04, 0.10, 0.10, 0.05),
        {"undocumented": 0.45, "residence_permit": 0.25, "asylum_seeker": 0.20, "b8_permit": 0.10},
        0.20,
        ("GB", "FR", "DE", "MY", "*"),
        domestic_work=0.25,
    ),
    "vn": Region(
        (0.10, 0.30, 0.45, 0.02, 0.03, 0.10, 0.00),
        (0.97, 0.40, 0.15, 0.85, 0.70, 0.15, 0.50),
        (0.06, 0.05, 0.25, 0.04, 0.10, 0.15, 0.05),
        {"undocumented": 0.60, "asylum_seeker": 0.25, "residence_permit": 0.05, "b8_permit": 0.10},
        0.20,
        ("GB", "FR", "DE", "*"),
    ),
    "latam": Region(
        (0.75, 0.15, 0.03, 0.04, 0.02, 0.005, 0.005),
        (0.92, 0.40, 0.30, 0.85, 0.75, 0.20, 0.50),
        (0.05, 0.03, 0.10, 0.04, 0.08, 0.05, 0.05),
        {"residence_permit": 0.35, "undocumented": 0.45, "asylum_seeker": 0.10, "b8_permit": 0.10},
        0.10,
        ("ES", "PT", "BE", "*"),
    ),
    "mena": Region(
        (0.25, 0.30, 0.30, 0.03, 0.05, 0.05, 0.02),
        (0.95, 0.20, 0.10, 0.80, 0.60, 0.10, 0.40),
        (0.15, 0.05, 0.30, 0.10, 0.30, 0.20, 0.10),
        {"asylum_seeker": 0.55, "undocumented": 0.20, "residence_permit": 0.20, "b8_permit": 0.05},
        0.25,
        ("LY", "TR", "GR", "*"),
    ),
    "eeur": Region(
        (0.50, 0.35, 0.05, 0.06, 0.02, 0.01, 0.01),
        (0.97, 0.35, 0.30, 0.85, 0.75, 0.20, 0.50),
        (0.08, 0.03, 0.10, 0.05, 0.10, 0.05, 0.05),
        {"residence_permit": 0.30, "undocumented": 0.35, "asylum_seeker": 0.25, "b8_permit": 0.10},
        0.30,
        ("DE", "BE", "PL", "*"),
    ),
}

# The nationalities of the nationality margin get their own weights per year; the rest share
# the "REST" weight by these relative weights (none of them large: the 2019 top five is robust).
REST_NATIONALITIES: dict[str, tuple[str, float]] = {
    "UA": ("eeur", 6),
    "MA": ("mena", 5),
    "VN": ("vn", 5),
    "ER": ("eafr", 4),
    "CN": ("asia", 4),
    "IN": ("asia", 4),
    "BR": ("latam", 4),
    "SR": ("latam", 4),
    "GH": ("wafr", 4),
    "SL": ("wafr", 4),
    "GN": ("wafr", 4),
    "TH": ("asia", 3),
    "PH": ("asia", 3),
    "AL": ("eeur", 3),
    "TR": ("mena", 3),
    "SY": ("mena", 3),
    "AF": ("mena", 3),
    "MD": ("eeur", 3),
    "LT": ("eu", 3),
    "SK": ("eu", 3),
    "DE": ("eu", 3),
    "LV": ("eu", 2),
    "CZ": ("eu", 2),
    "PT": ("eu", 2),
    "ES": ("eu", 2),
    "FR": ("eu", 2),
    "BE": ("eu", 2),
    "IT": ("eu", 2),
    "CO": ("latam", 2),
    "DO": ("latam", 2),
    "ET": ("eafr", 2),
    "SO": ("eafr", 2),
    "EG": ("mena", 2),
    "DZ": ("mena", 2),
    "PK": ("asia", 2),
    "CM": ("wafr", 2),
    "SN": ("gm", 2),
    "KE": ("eafr", 2),
    "SD": ("eafr", 2),
    "IR": ("mena", 2),
    "IQ": ("mena", 2),
    "AO": ("latam", 2),
    "CD": ("wafr", 2),
    "RU": ("eeur", 2),
    "RS": ("eeur", 2),
    "BD": ("asia", 1),
    "ML": ("gm", 1),
    "LY": ("mena", 1),
    "BY": ("eeur", 1),
    "XK": ("eeur", 1),
    "BA": ("eeur", 1),
    "GB": ("eeur", 1),
}
CATEGORY_REGION = {
    "NL": "nl",
    "NG": "wafr",
    "UG": "eafr",
    "PL": "eu",
    "GM": "gm",
    "RO": "eu",
    "BG": "eu",
    "HU": "eu",
}

NATIONALITIES: tuple[str, ...] = (*NAT_CATEGORIES[:-1], *REST_NATIONALITIES)
REGION_NAMES: tuple[str, ...] = tuple(REGIONS)
NAT_REGION = np.array(
    [REGION_NAMES.index(CATEGORY_REGION.get(n) or REST_NATIONALITIES[n][0]) for n in NATIONALITIES],
    dtype=np.int8,
)
NAT_CATEGORY = np.array(
    [
        NAT_CATEGORIES.index(n) if n in NAT_CATEGORIES else len(NAT_CATEGORIES) - 1
        for n in NATIONALITIES
    ],
    dtype=np.int8,
)

# The minor probabilities of the region profiles are scaled by (the year's registered minor
# share / MINOR_REFERENCE): the latent share of minors follows the registered one, so that the
# calibration needs only a small minor offset (an offset that all organisations share, i.e.
# heterogeneity within the victim groups). Minors are registered more often than their latent
# share because they are over-represented in well-registered groups (Dutch sexual exploitation).
MINOR_REFERENCE = 0.14

# How much more hidden (less visible) a nationality category is than its registered share
# suggests; the latent nationality mix is target share x hiddenness.
_HIDDEN = np.array([0.75, 1.0, 0.9, 1.3, 1.1, 1.2, 1.2, 1.2, 1.2])

# Countries of exploitation: NL first, then every country used abroad.
COUNTRIES: tuple[str, ...] = tuple(
    dict.fromkeys(
        ["NL"]
        + [c for r in REGIONS.values() for c in r.abroad_countries if c != "*"]
        + list(NATIONALITIES)
    )
)
NAT_COUNTRY = np.array([COUNTRIES.index(n) for n in NATIONALITIES], dtype=np.int16)

SECTORS: tuple[str, ...] = tuple(codes.SECTOR.order())  # the data standard's, in its order
_SECTOR_BY_FORM = {
    "sexual": {"prostitution": 0.88, "other": 0.07, "hospitality": 0.05},
    "labour": {
        "agriculture": 0.20,
        "construction": 0.14,
        "hospitality": 0.14,
        "logistics": 0.10,
        "manufacturing": 0.13,
        "domestic_work": 0.10,
        "cleaning": 0.10,
        "retail": 0.05,
        "other": 0.04,
    },
    "criminal": {"drugs": 0.55, "theft_fraud": 0.35, "other": 0.10},
    "other": {"other": 0.6, "unknown": 0.4},
}
_COMBO_PRIMARY_FORMS = {
    COMBO_S: ("sexual",),
    COMBO_L: ("labour",),
    COMBO_C: ("criminal",),
    COMBO_SL: ("sexual", "labour"),
    COMBO_SC: ("sexual", "criminal"),
    COMBO_LC: ("labour", "criminal"),
    COMBO_O: ("other",),
}


@dataclass
class Persons:
    """All latent persons of the edition (grows year by year)."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.arrays["nat"]) if self.arrays else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def extend(self, new: dict[str, np.ndarray]) -> None:
        if not self.arrays:
            self.arrays = dict(new)
        else:
            for k, v in new.items():
                self.arrays[k] = np.concatenate([self.arrays[k], v])


def _draw(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Categorical draw per row: ``probs`` is (n_groups, k), ``rows`` selects the group."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(rows))
    return (u[:, None] > cum[rows]).sum(axis=1).astype(np.int8)


class Municipalities:
    def __init__(self) -> None:
        from traffickingmonitor.codes.api import municipalities

        m = municipalities().sort_values("code").reset_index(drop=True)
        self.codes = m["code"].to_numpy(dtype=object)
        self.population = m["population"].to_numpy(dtype=float)
        units = sorted(m["police_unit"].unique())
        self.police_unit = np.array([units.index(u) for u in m["police_unit"]], dtype=np.int8)
        self.n_units = len(units)

        def cum(power: float) -> np.ndarray:
            w = self.population**power
            c = np.cumsum(w)
            return c / c[-1]

        self.cum_sexual = cum(1.15)
        self.cum_labour = cum(0.9)
        self.cum_criminal = cum(1.1)
        self.cum_plain = cum(1.0)
        self.cum_spread = cum(0.6)

    def draw(self, rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
        return np.searchsorted(cum, rng.random(n), side="right").astype(np.int16)


def nationality_weights(targets: YearTargets) -> np.ndarray:
    """Latent nationality distribution for new victims of a year."""
    cat = targets.nats / targets.nats.sum() * _HIDDEN
    cat = cat / cat.sum()
    w = np.zeros(len(NATIONALITIES))
    n_cat = len(NAT_CATEGORIES) - 1
    w[:n_cat] = cat[:n_cat]
    rest = np.array([v[1] for v in REST_NATIONALITIES.values()], dtype=float)
    w[n_cat:] = cat[-1] * rest / rest.sum()
    return w


def new_persons(
    rng: np.random.Generator,
    n: int,
    year: int,
    targets: YearTargets,
    munis: Municipalities,
) -> dict[str, np.ndarray]:
    """Attributes of ``n`` new latent victims first exploited in ``year``."""
    nat = rng.choice(len(NATIONALITIES), size=n, p=nationality_weights(targets)).astype(np.int16)
    region = NAT_REGION[nat]
    regions = [REGIONS[r] for r in REGION_NAMES]
    combo = _draw(rng, np.array([r.combos for r in regions]), region)
    other_organ = (combo == COMBO_O) & (rng.random(n) < 0.05)

    # sex: P(female | region, combo); a few persons of sex "other" (mostly trans women in
    # sexual exploitation)
    p_f = np.array([r.female for r in regions])[region, combo]
    u = rng.random(n)
    sex = np.where(u < p_f, SEX_F, SEX_M).astype(np.int8)
    sex[(rng.random(n) < 0.004) & np.isin(combo, (COMBO_S, COMBO_SL))] = SEX_O

    # age on 1 July of the year
    # minors: more in the years with more registered minors (see MINOR_REFERENCE)
    p_minor = np.array([r.minor for r in regions])[region, combo]
    p_minor = np.minimum(p_minor * (targets.minor[1] / targets.total) / MINOR_REFERENCE, 0.95)
    minor = rng.random(n) < p_minor
    age = np.where(
        minor,
        np.where(rng.random(n) < 0.12, rng.uniform(8, 12, n), rng.uniform(12, 18, n)),
        18 + np.minimum(rng.gamma(2.0, np.where(combo == COMBO_S, 4.8, 6.0), n), 52),
    )
    birth = (day(year, 7, 1) - np.floor(age * 365.25)).astype(np.int32)

    status_p = np.zeros((len(regions), len(STATUSES)))
    for i, r in enumerate(regions):
        for k, v in r.status.items():
            status_p[i, STATUSES.index(k)] = v
    status = _draw(rng, status_p, region)

    # country and municipality of exploitation
    abroad = rng.random(n) < np.array([r.abroad for r in regions])[region]
    country = np.zeros(n, np.int16)  # 0 = NL
    for ri, r in enumerate(regions):
        sel = np.flatnonzero(abroad & (region == ri))
        if len(sel) == 0:
            continue
        pick = rng.integers(0, len(r.abroad_countries), len(sel))
        options = np.array(
            [COUNTRIES.index(c) if c != "*" else -1 for c in r.abroad_countries], dtype=np.int16
        )
        own = NAT_COUNTRY[nat[sel]]
        chosen = options[pick]
        country[sel] = np.where(chosen < 0, own, chosen)
    abroad = country != 0

    has_s = np.isin(combo, (COMBO_S, COMBO_SL, COMBO_SC))
    has_l = np.isin(combo, (COMBO_L, COMBO_SL, COMBO_LC))
    has_c = np.isin(combo, (COMBO_C, COMBO_SC, COMBO_LC))
    muni_s = munis.draw(rng, munis.cum_sexual, n)
    muni_l = munis.draw(rng, munis.cum_labour, n)
    muni_c = munis.draw(rng, munis.cum_criminal, n)
    muni_p = munis.draw(rng, munis.cum_plain, n)
    expl_muni = np.where(has_c, muni_c, np.where(has_l, muni_l, np.where(has_s, muni_s, muni_p)))
    expl_muni = np.where(abroad, -1, expl_muni).astype(np.int16)

    # residence municipality: legal residents mostly live where they were exploited
    res_any = munis.draw(rng, munis.cum_plain, n)
    res_spread = munis.draw(rng, munis.cum_spread, n)
    legal = np.isin(status, (ST_NL, ST_EU, ST_PERMIT, ST_B8))
    same = (rng.random(n) < 0.7) & (expl_muni >= 0)
    res_muni = np.where(same, expl_muni, res_any)
    res_muni = np.where(status == ST_ASYLUM, res_spread, res_muni)
    none = (status == ST_UNDOC) & (rng.random(n) < 0.6)
    none |= (status == ST_EU) & abroad & (rng.random(n) < 0.5)
    none |= ~legal & (status != ST_ASYLUM) & (status != ST_UNDOC)
    res_muni = np.where(none, -1, res_muni).astype(np.int16)

    # sector: drawn for one of the person's forms
    sector = np.full(n, SECTORS.index("unknown"), np.int8)
    pick_second = rng.random(n) < 0.5
    u = rng.random(n)
    for c, forms in _COMBO_PRIMARY_FORMS.items():
        for j, form in enumerate(forms):
            sel = (combo == c) & (
                (pick_second if j == 1 else ~pick_second) if len(forms) == 2 else True
            )
            sel = np.flatnonzero(sel)
            if len(sel) == 0:
                continue
            dist = dict(_SECTOR_BY_FORM[form])
            if form == "labour":
                for ri, r in enumerate(regions):
                    rs = sel[region[sel] == ri]
                    if len(rs) == 0:
                        continue
                    d = dict(dist)
                    d["domestic_work"] = r.domestic_work
                    sector[rs] = _sector_draw(d, u[rs])
            else:
                sector[sel] = _sector_draw(dist, u[sel])

    # start of exploitation: up to a few years before the year
    expl_start = (day(year, 1, 1) + rng.integers(-3 * 365, 300, n)).astype(np.int32)
    return {
        "nat": nat,
        "combo": combo,
        "organ": other_organ,
        "sex": sex,
        "birth": birth,
        "status": status,
        "country": country,
        "expl_muni": expl_muni,
        "res_muni": res_muni,
        "sector": sector,
        "expl_start": expl_start,
        "first_year": np.full(n, year, np.int16),
    }


def _sector_draw(dist: dict[str, float], u: np.ndarray) -> np.ndarray:
    keys = list(dist)
    p = np.array([dist[k] for k in keys])
    cum = np.cumsum(p) / p.sum()
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(keys) - 1)
    return np.array([SECTORS.index(k) for k in keys], dtype=np.int8)[idx]


def forms_flags(combo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sexual, labour, criminal, other) membership of true combos."""
    s = np.isin(combo, (COMBO_S, COMBO_SL, COMBO_SC))
    lab = np.isin(combo, (COMBO_L, COMBO_SL, COMBO_LC))
    c = np.isin(combo, (COMBO_C, COMBO_SC, COMBO_LC))
    o = combo == COMBO_O
    return s, lab, c, o


def _ymd_key(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(d).astype("datetime64[D]")
    y = x.astype("datetime64[Y]")
    m = x.astype("datetime64[M]")
    month = (m - y).astype(np.int64)
    dom = (x - m).astype(np.int64)
    return y.astype(np.int64) + 1970, month * 32 + dom


def age_on(birth: np.ndarray, when: int | np.ndarray) -> np.ndarray:
    """Age in completed years on day ``when`` (int days)."""
    by, bk = _ymd_key(birth)
    wy, wk = _ymd_key(when)
    return wy - by - (wk < bk)


def minor_on(birth: np.ndarray, when: int | np.ndarray) -> np.ndarray:
    """Under 18 on day ``when`` (int days)."""
    return age_on(birth, when) < 18
