from __future__ import annotations

import pandas as pd
import pytest

from traffickingmonitor.errors import UserError
from traffickingmonitor.intake.pseudonymise import Key, load_key, normalise_name, pseudonymise


def _frame(**cols):
    base = {
        "registered_on": pd.to_datetime(["2019-03-01", "2019-09-01"]),
        "national_id": ["123456782", "123 456 782"],
        "family_name": ["Müller", "MULLER"],
        "given_names": ["Anna-Maria", "anna maria"],
        "birth_date": pd.to_datetime(["1990-05-02", None]),
        "birth_year": pd.array([pd.NA, 1990], dtype="Int64"),
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_identifiers_are_dropped_and_tokens_agree_across_spellings():
    out = pseudonymise(_frame(), Key(b"k" * 32))
    assert not {"national_id", "family_name", "given_names", "birth_date"} & set(out.columns)
    assert out["nid_token"].nunique() == 1
    assert out["name_token"].nunique() == 1
    assert out["family_phonetic_token"].nunique() == 1
    assert pd.isna(out["birth_date_token"].iloc[1])
    assert out["birth_year"].tolist() == [1990, 1990]
    # exact date: 28 on 2019-03-01; birth year only, registered after June: 2019 - 1990
    assert out["age_at_registration"].tolist() == [28, 29]


def test_swapped_given_and_family_names_keep_the_name_token():
    swapped = _frame(family_name=["Anna-Maria", "Müller"], given_names=["Müller", "Anna-Maria"])
    a = pseudonymise(_frame(), Key(b"k" * 32))
    b = pseudonymise(swapped, Key(b"k" * 32))
    assert a["name_token"].iloc[0] == b["name_token"].iloc[0]
    assert a["family_token"].iloc[0] != b["family_token"].iloc[0]


def test_tokens_depend_on_key_and_purpose():
    k1, k2 = Key(b"a" * 32), Key(b"b" * 32)
    assert k1.token("nid", "1") != k2.token("nid", "1")
    assert k1.token("family", "jan") != k1.token("given", "jan")
    assert len(k1.token("nid", "1")) == 32


def test_normalise_name():
    assert normalise_name("  Ñúñez-Óscar  d'Arc ") == "nunez oscar d arc"


def test_key_from_env_and_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAFFICKINGMONITOR_KEY", raising=False)
    with pytest.raises(UserError, match="no pseudonymisation key"):
        load_key(None)
    monkeypatch.setenv("TRAFFICKINGMONITOR_KEY", "short")
    with pytest.raises(UserError, match="too short"):
        load_key(None)
    path = tmp_path / "k"
    path.write_text("x" * 40 + "\n")
    assert load_key(path).secret == b"x" * 40
    with pytest.raises(UserError, match="cannot read key file"):
        load_key(tmp_path / "missing")
