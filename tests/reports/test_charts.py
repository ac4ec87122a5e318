"""Server-rendered bar charts stay readable on a 360 px phone: 320 units wide (12-unit labels
shown at 12 px), long labels on two lines, a label still too long cut with its full name kept."""

import re

from reports.charts import bar_columns


def _chart(*labels: str) -> str:
    return bar_columns([(label, (3, 5)) for label in labels],
                       [("Needs", "c-needs"), ("Organisations", "c-orgs")], label="Chart")


def test_it_draws_the_chart_320_units_wide_with_one_panel_per_column():
    svg = _chart("MINADER", "MINEPIA")
    assert 'viewBox="0 0 320 ' in svg
    assert re.findall(r'class="head">([^<]+)<', svg) == ["Needs", "Organisations"]
    assert svg.count(">MINADER</text>") == 2  # a short label is one plain line


def test_it_wraps_a_long_label_on_two_lines_at_spaces():
    svg = _chart("Label ou marque en commun")
    assert ('<tspan x="126" dy="0">Label ou marque en</tspan>'
            '<tspan x="126" dy="15">commun</tspan>') in svg
    assert "<title>" not in svg


def test_it_cuts_a_label_too_long_for_two_lines_and_keeps_its_full_name_in_a_title():
    name = "Achat groupé d'intrants agricoles et vente groupée"
    svg = _chart(name)
    assert f"<title>{name.replace(chr(39), '&#x27;')}</title>" in svg
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)[:2]
    assert lines == ["Achat groupé", "d&#x27;intrants agrico…"]
    assert all(len(line.replace("&#x27;", "'")) <= 18 for line in lines)
