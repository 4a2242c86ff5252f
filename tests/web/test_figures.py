"""Tables on the municipality page: readable headers, scaled columns shown in their unit."""

from __future__ import annotations

import re

from traffickingmonitor.publish.web.figures import _cell, _scale


def test_columns_stored_times_ten_are_shown_in_their_unit():
    assert _scale("median_days_x10") == 10 and _scale("hr_x1000") == 1000
    assert _scale("persons") == 1 and _scale("max_x2") == 1
    assert _cell(230, 10, "nl") == "23,0" and _cell(230, 10, "en") == "23.0"
    assert _cell(1250, 1000, "en") == "1.250"
    assert _cell(1234) == "1 234" and _cell("<10", 10) == "<10" and _cell(None) == "–"


def test_municipality_page_has_no_raw_column_names(clients):
    page = clients["public"].get("/municipalities/GM0363")
    assert page.status_code == 200
    # column headers only: a row header may be a count, shown as "x" where it is hidden
    headers = re.findall(r'<th scope="col"[^>]*>\s*([^<]*?)\s*</th>', page.text)
    assert headers, "the page shows no table"
    raw = [h for h in headers if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+|[a-z_]+", h)]
    assert raw == []


def test_labels_of_action_lines_and_municipalities():
    """Issue 13 (12): an action line is not "1 melder", a municipality shows its name."""
    from traffickingmonitor.publish.labels import category_label

    assert category_label("action_line", "1", "nl") == "Actielijn 1"
    assert category_label("action_line", 2, "en") == "Action line 2"
    assert category_label("n_orgs", "2", "nl") == "2 melders"  # where it belongs
    assert category_label("municipality", "GM0363", "nl") == "Amsterdam"
    assert category_label("residence_municipality", "GM0014", "en") == "Groningen"
    assert category_label("exploitation_municipality", "GM9999", "en") == "GM9999"  # unknown
