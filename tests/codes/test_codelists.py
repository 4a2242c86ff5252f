"""The code lists' labels: in the catalogs, one per code and language, nothing else."""

from __future__ import annotations

import pytest

from traffickingmonitor.codes.api import ALL_LISTS, SEX, UNKNOWN
from traffickingmonitor.publish import i18n


def test_every_code_has_a_label_in_both_languages_and_the_catalog_nothing_else():
    want = {f"{cl.name}.{code}" for cl in ALL_LISTS.values() for code in cl.order()}
    for lang in i18n.LANGS:
        have = set(i18n.contexts(lang).get("codes", {}))
        assert want - have == set(), f"{lang}: codes without a label"
        assert have - want == set(), f"{lang}: labels of no code"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_labels_differ_within_a_list(lang):
    """Two codes of one list with one label could not be told apart in a table."""
    for cl in ALL_LISTS.values():
        labels = [cl.label(c, lang) for c in cl.order()]
        assert len(set(labels)) == len(labels), (cl.name, labels)


def test_a_label_is_read_by_list_and_code():
    assert (SEX.label("female", "nl"), SEX.label("female", "en")) == ("vrouw", "female")
    assert [c.label("nl") for c in SEX.codes][-1] == SEX.label(UNKNOWN, "nl") == "onbekend"
    # a value of no list is shown as it is
    assert SEX.label("x-not-a-code", "nl") == "x-not-a-code"
