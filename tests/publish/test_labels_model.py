"""Model names in the report as a reader names them, never the model syntax."""

import pytest

from traffickingmonitor.publish.labels import category_label, model_label


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_interactions_are_named_by_their_organisations(lang):
    text = model_label("care:other, police:labour_inspectorate", lang)
    org = lambda code: category_label("reporting_org", code, lang)  # noqa: E731
    assert text == f"{org('care')} × {org('other')}; {org('police')} × {org('labour_inspectorate')}"
    assert ":" not in text and "_" not in text


@pytest.mark.parametrize(
    ("model", "lang", "shown"),
    [
        ("", "nl", "alleen hoofdeffecten"),
        (None, "en", "main effects only"),
        (" ", "en", "main effects only"),
    ],
)
def test_no_interaction_is_main_effects_only(model, lang, shown):
    assert model_label(model, lang) == shown
