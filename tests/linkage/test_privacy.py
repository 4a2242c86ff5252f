"""No clear identifier reaches Splink's tables, the saved model or the review export.

Scanned for: every family and given name word of the synthetic input (4 letters or more,
lower case, accents stripped), every national id and every birth date (ISO and compact).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from traffickingmonitor import store
from traffickingmonitor.intake.pseudonymise import normalise_name
from traffickingmonitor.linkage import api as linkage


@pytest.fixture(scope="module")
def identifiers(national_edition) -> set[str]:
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in national_edition.glob("registrations_*.csv")
    ]
    raw = pd.concat(frames, ignore_index=True)
    words = set()
    for col in ("family_name", "given_names"):
        for value in raw[col].unique():
            words.update(w for w in normalise_name(value).split() if len(w) >= 4)
    ids = {v for v in raw["national_id"].unique() if v}
    dates = {v for v in raw["birth_date"].unique() if v}
    return words | ids | dates | {d.replace("-", "") for d in dates}


def _leaks(text: str, identifiers: set[str]) -> set[str]:
    # a word stands alone: a name made of the letters a-f (Caba, Abebe) also turns up inside
    # the hexadecimal digits of any keyed hash, which is no leak
    words = r"(?<![0-9a-z])[a-z]{4,}(?![0-9a-z])"
    found = set(re.findall(rf"{words}|\d{{8,9}}|\d{{4}}-\d{{2}}-\d{{2}}", text.lower()))
    return found & identifiers


def test_identifiers_are_scanned_for_real(identifiers):
    assert len(identifiers) > 1000
    assert _leaks("rusu andreea 1995-10-18", identifiers)


def test_no_identifier_in_splinks_tables(linked_edition, identifiers):
    tables = linked_edition.backend.tables()
    assert tables, "the backend holds Splink's tables"
    for name, frame in tables.items():
        text = frame.astype(str).to_csv(index=False)
        assert not _leaks(text, identifiers), f"identifier in Splink table {name}"


def test_no_identifier_in_the_saved_model(linked_edition, identifiers):
    model_json = linked_edition.linked.model_json
    assert len(model_json) > 10_000
    assert not _leaks(model_json, identifiers)
    con = store.connect(linked_edition.db, read_only=True)
    try:
        stored = con.execute("SELECT model || notes FROM edition_linkage").fetchone()[0]
        links = con.execute("SELECT * FROM edition_links").df().astype(str).to_csv(index=False)
    finally:
        con.close()
    assert not _leaks(stored, identifiers)
    assert not _leaks(links, identifiers)


def test_no_identifier_in_the_review_export(linked_edition, identifiers, tmp_path):
    out = tmp_path / "review.csv"
    con = store.connect(linked_edition.db, read_only=True)
    try:
        linkage.export_review(con, out, linked_edition.edition_id, (0.01, 1.0))
    finally:
        con.close()
    text = out.read_text()
    assert len(text.splitlines()) > 100
    assert not _leaks(text, identifiers)
