"""`FastSelect` renders exactly what Django's `Select` renders (the organisation list's
filters: communes, filières, ministries, choices, a selected value, an empty label)."""

import copy
import re

import pytest
from django import forms
from django.test import RequestFactory
from django.utils import translation

from cooperatives.filters import OrganisationFilterSet
from cooperatives.models import Organisation
from core.forms import FastCSVSelect, FastSelect, fast_selects

pytestmark = pytest.mark.django_db


def html(bound) -> str:
    """The rendered HTML without the layout whitespace between tags."""
    return re.sub(r">\s+<", "><", str(bound).strip())


class Sample(forms.Form):
    kind = forms.ChoiceField(choices=[("a", "Café & <thé>"), ("b", 'Dit "oui"')],
                             required=False, widget=forms.Select(attrs={"class": "x"}))
    grouped = forms.ChoiceField(choices=[("Fruits", [("1", "Pomme"), ("2", "Poire")]),
                                         ("3", "Autre")])
    flag = forms.TypedChoiceField(choices=[(True, "Oui"), (False, "Non")], coerce=bool)


@pytest.mark.parametrize("data", [{}, {"kind": "b", "grouped": "2", "flag": "False"}])
def test_it_renders_the_same_html_as_django(data):
    plain = Sample(data or None)
    fast = copy.deepcopy(plain)
    fast_selects(fast)
    assert {type(f.widget) for f in fast.fields.values()} == {FastSelect}
    for name in plain.fields:
        assert html(fast[name]) == html(plain[name]), name


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("ordering", ["-name", "name,-members_total", ""])
def test_the_organisation_filters_render_the_same(commune_a, cassava, language, ordering):
    request = RequestFactory().get("/")
    data = {"commune": commune_a.pcode, "filiere": cassava.code, "status": "active",
            "ordering": ordering}
    with translation.override(language):
        plain = OrganisationFilterSet(data, Organisation.objects.all(), request=request).form
        fast = OrganisationFilterSet(data, Organisation.objects.all(), request=request).form
        fast_selects(fast)
        rendered = {name: html(fast[name]) for name in fast.fields}
        assert rendered == {name: html(plain[name]) for name in plain.fields}
    assert type(fast.fields["ordering"].widget) is FastCSVSelect
    # One ordering: a select with it chosen; several: django-filter's text input.
    assert ('<option value="-name" selected>' in rendered["ordering"]) is (ordering == "-name")
    assert ('type="text"' in rendered["ordering"]) is ("," in ordering)
    assert 'selected' in rendered["commune"] and commune_a.pcode in rendered["commune"]


def test_cached_options_render_the_same_without_a_query(commune_a, commune_b, cassava,
                                                        django_assert_num_queries):
    request = RequestFactory().get("/")
    data = {"commune": commune_b.pcode, "filiere": cassava.code}
    kept: dict = {}
    calls: list[int] = []

    def cache_many(computes):
        calls.append(len(computes))
        for key, compute in computes.items():
            if key not in kept:
                kept[key] = compute()
        return {key: kept[key] for key in computes}

    def rendered(language):
        with translation.override(language):
            form = OrganisationFilterSet(data, Organisation.objects.all(), request=request).form
            fast_selects(form, cache_many=cache_many)
            return {name: html(form[name]) for name in ("commune", "filiere", "ministry")}

    with django_assert_num_queries(7):  # the selected values, the option lists
        first = rendered("fr")
    with django_assert_num_queries(2):  # the selected commune and filière alone
        again = rendered("fr")
    assert again == first and f'value="{commune_b.pcode}" selected' in again["commune"]
    in_french = len(kept)  # one entry per model choice field
    english = rendered("en")  # its own options: labels in English
    assert in_french == 5 and len(kept) == 2 * in_french
    assert calls == [5, 5, 5]  # the five option lists asked for at once, on each page
    with translation.override("en"):
        plain = OrganisationFilterSet(data, Organisation.objects.all(), request=request).form
        assert english == {name: html(plain[name]) for name in english}


def test_written_options_are_kept_by_their_texts():
    """The options are written once per list of choices; a choice's value is chosen on each
    render, lists equal in Python but written differently never share their options."""
    yes_no = forms.Select(choices=[(True, "Oui"), (False, "Non")])
    one_zero = forms.Select(choices=[(1, "Oui"), (0, "Non")])
    fast_yes_no = FastSelect(choices=list(yes_no.choices))
    fast_one_zero = FastSelect(choices=list(one_zero.choices))
    for value in (True, False, None):
        assert html(fast_yes_no.render("a", value)) == html(yes_no.render("a", value))
        assert html(fast_one_zero.render("a", value)) == html(one_zero.render("a", value))
    assert 'value="True" selected' in fast_yes_no.render("a", True)
    assert 'value="1" selected' in fast_one_zero.render("a", 1)
    with translation.override("fr"):
        french = FastSelect(choices=[("a", translation.gettext_lazy("Active"))]).render("s", "")
    with translation.override("en"):
        english = FastSelect(choices=[("a", translation.gettext_lazy("Active"))]).render("s", "")
    assert "Active" in english and french != english


def test_the_first_option_of_a_value_alone_is_chosen():
    choices = [("x", "One"), ("x", "Again"), ("y", "Other & <more>")]
    plain = forms.Select(choices=choices)
    fast = FastSelect(choices=list(plain.choices))
    for value in ("x", "y", "z"):
        assert html(fast.render("n", value)) == html(plain.render("n", value))
    assert fast.render("n", "x").count("selected") == 1


def test_written_options_are_bounded(monkeypatch):
    from core import forms as core_forms
    monkeypatch.setattr(core_forms, "_WRITTEN", {})
    for n in range(core_forms._WRITTEN_KEPT + 10):
        FastSelect(choices=[(str(n), f"Option {n}")]).render("x", "")
    assert len(core_forms._WRITTEN) == core_forms._WRITTEN_KEPT
    assert (("0", "Option 0"),) not in core_forms._WRITTEN  # the oldest went first
    assert ((str(n), f"Option {n}"),) in core_forms._WRITTEN
