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


def test_deletion_variants_share_an_element_exactly_within_one_typo():
    from traffickingmonitor.intake.pseudonymise import deletion_variants

    def near(a, b):
        return bool(set(deletion_variants(a)) & set(deletion_variants(b)))

    assert near("okonkwo", "okonkwo")
    assert near("okonkwo", "okonko")  # dropped
    assert near("okonkwo", "okonkkwo")  # doubled
    assert near("okonkwo", "okonkow")  # transposed
    assert near("okonkwo", "okonkwi")  # substituted
    assert not near("okonkwo", "okafor")
    assert not near("anna", "hanna b")
    assert deletion_variants("") == []


def test_linkage_tokens_for_typos_transposed_dates_and_name_parts():
    key = Key(b"k" * 32)
    frame = _frame(
        family_name=["Okonkwo", "Okonkow"],
        given_names=["Blessing Joy", "Joy Blessing"],
        birth_date=pd.to_datetime(["1995-06-07", "1995-07-06"]),
        birth_year=pd.array([pd.NA, pd.NA], dtype="Int64"),
    )
    out = pseudonymise(frame, key)
    a, b = out.iloc[0], out.iloc[1]
    # typo in the family name: the variant sets still meet; the first given names differ
    assert set(a["family_variant_tokens"]) & set(b["family_variant_tokens"])
    assert not set(a["given_variant_tokens"]) & set(b["given_variant_tokens"])
    # name words are order-free: "blessing" and "joy" are in both
    assert len(set(a["name_word_tokens"]) & set(b["name_word_tokens"])) == 2
    # day and month transposed: one date equals the other's transposition
    assert a["birth_date_token"] == b["birth_date_swapped_token"]
    assert a["birth_date_swapped_token"] == b["birth_date_token"]
    assert a["birth_month_token"] != b["birth_month_token"]
    for col in ("family_variant_tokens", "given_variant_tokens", "name_word_tokens"):
        assert all(len(t) in (16, 32) for t in a[col])


def test_linkage_tokens_are_missing_when_the_values_are():
    key = Key(b"k" * 32)
    out = pseudonymise(
        _frame(
            family_name=["", "Smit"],
            given_names=["", ""],
            birth_date=pd.to_datetime([None, "1990-12-12"]),
        ),
        key,
    )
    assert out["name_word_tokens"].iloc[0] is None
    assert out["family_variant_tokens"].iloc[0] is None
    assert pd.isna(out["birth_monthday_token"].iloc[0])
    # 12 December transposed is itself: no transposed token
    assert pd.isna(out["birth_date_swapped_token"].iloc[1])
    assert out["given_variant_tokens"].iloc[1] is None
