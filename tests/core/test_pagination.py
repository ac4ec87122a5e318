"""A search's pages come from one pass over the matches (the ranked ids with the total beside
them, then the page's rows): the same pages, counts and errors as the plain paginator."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperatives.models import Organisation
from core.pagination import OnePassPaginator, paginator_class

from ..api_helpers import api_client
from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve(commune_a, cassava):
    """Twelve organisations whose names hold "miel", three that do not."""
    for i in range(12):
        OrganisationFactory(commune=commune_a, primary_filiere=cassava,
                            name=f"Coop Miel {chr(ord('L') - i)}")
    for name in ("Coop Manioc", "GIC Cacao", "Union Café"):
        OrganisationFactory(commune=commune_a, primary_filiere=cassava, name=name)


def _ranked():
    return (Organisation.objects.filter(name__icontains="miel")
            .select_related("commune").order_by("name", "id"))


def test_paginator_class_is_one_pass_for_a_search_only():
    assert paginator_class({"q": " miel "}) is OnePassPaginator
    assert paginator_class({"q": "  "}) is Paginator
    assert paginator_class({}) is Paginator


@pytest.mark.parametrize("number", [1, 2, 3])
def test_pages_are_those_of_the_plain_paginator(twelve, number):
    plain = Paginator(_ranked(), 5).page(number)
    one_pass = OnePassPaginator(_ranked(), 5).page(number)
    assert [o.name for o in one_pass] == [o.name for o in plain]
    assert one_pass.paginator.count == 12
    assert one_pass.paginator.num_pages == 3
    assert (one_pass.has_next(), one_pass.start_index(), one_pass.end_index()) == (
        plain.has_next(), plain.start_index(), plain.end_index())


def test_one_query_gives_the_page_ids_and_the_count(twelve, django_assert_num_queries):
    with django_assert_num_queries(2):  # the ranked ids with the count; the page's rows
        page = OnePassPaginator(_ranked(), 5).page(2)
        names = [o.name for o in page]
        assert page.paginator.count == 12
    assert names == ["Coop Miel F", "Coop Miel G", "Coop Miel H", "Coop Miel I", "Coop Miel J"]
    # the page's rows keep the queryset's joins: no query per row for the commune
    with django_assert_num_queries(0):
        assert {o.commune.pcode for o in page} == {page[0].commune.pcode}


def test_the_page_rows_are_fetched_by_id_alone(twelve):
    """The ids come from the filtered query: the page's rows are read by id, without the
    text filter and the ordering again, with the list's deferred columns and prefetches."""
    ranked = _ranked().defer("description").prefetch_related("filieres")
    with CaptureQueriesContext(connection) as queries:
        page = OnePassPaginator(ranked, 5).page(1)
    ids_query, rows_query, filieres_query = (q["sql"] for q in queries.captured_queries)
    assert "miel" in ids_query.lower() and "OVER ()" in ids_query
    assert "miel" not in rows_query.lower() and "ORDER BY" not in rows_query
    assert '"communes_commune"' in rows_query and '"description"' not in rows_query
    assert "organisationfiliere" in filieres_query
    assert [o.name for o in page] == ["Coop Miel A", "Coop Miel B", "Coop Miel C",
                                      "Coop Miel D", "Coop Miel E"]
    assert all("filieres" in o._prefetched_objects_cache for o in page)


def test_an_annotated_list_keeps_its_annotations_on_the_page(twelve):
    from django.db.models import Value
    from django.db.models.functions import Length
    ranked = _ranked().annotate(letters=Length("name"), mark=Value(1))
    page = OnePassPaginator(ranked, 5).page(3)
    assert [(o.name, o.letters, o.mark) for o in page] == [
        ("Coop Miel K", 11, 1), ("Coop Miel L", 11, 1)]


def _by_rank():
    """Ordered by an expression first, as a search's ranking: the names ending in a vowel
    first."""
    from django.db.models import Case, IntegerField, Q, Value, When
    rank = Case(When(Q(name__endswith="A") | Q(name__endswith="E") | Q(name__endswith="I"),
                     then=Value(0)), default=Value(1), output_field=IntegerField())
    return (Organisation.objects.filter(name__icontains="miel").alias(_rank=rank)
            .order_by("_rank", "name", "id"))


@pytest.mark.parametrize("number", [1, 2, 3])
def test_ranked_pages_are_those_of_the_plain_paginator(twelve, number):
    plain = [o.name for o in Paginator(_by_rank(), 5).page(number)]
    assert [o.name for o in OnePassPaginator(_by_rank(), 5).page(number)] == plain
    if number == 1:
        assert plain == ["Coop Miel A", "Coop Miel E", "Coop Miel I", "Coop Miel B",
                         "Coop Miel C"]


def test_a_list_sorted_by_a_column_is_counted_before_it_is_sorted(twelve):
    """Sorted by a stored column, the count over every match is computed in a subquery (an
    index in the column's order would otherwise be read whole); sorted by a ranking
    expression, in the query itself."""
    from core.pagination import ordered_by_a_column
    assert ordered_by_a_column(_ranked())
    assert ordered_by_a_column(Organisation.objects.order_by("-members_total"))
    assert ordered_by_a_column(Organisation.objects.all())  # the model's default order
    assert not ordered_by_a_column(_by_rank())
    assert not ordered_by_a_column(Organisation.objects.order_by())
    for queryset, subquery in ((_ranked(), True), (_by_rank(), False)):
        with CaptureQueriesContext(connection) as queries:
            OnePassPaginator(queryset, 5).page(1)
        ids_query = queries.captured_queries[0]["sql"]
        assert "OVER ()" in ids_query
        assert ('"qualify"' in ids_query) is subquery


def test_errors_are_those_of_the_plain_paginator(twelve):
    paginator = OnePassPaginator(_ranked(), 5)
    with pytest.raises(EmptyPage):
        paginator.page(4)
    with pytest.raises(EmptyPage):
        paginator.page(0)
    with pytest.raises(PageNotAnInteger):
        paginator.page("two")
    assert [o.name for o in OnePassPaginator(_ranked(), 5).get_page(9)] == [
        "Coop Miel K", "Coop Miel L"]  # past the end: the last page
    assert OnePassPaginator(_ranked(), 5).get_page("x").number == 1


def test_an_empty_search_has_one_empty_page(twelve):
    page = OnePassPaginator(Organisation.objects.filter(name="none").order_by("id"), 5).page(1)
    assert (list(page), page.paginator.count, page.paginator.num_pages) == ([], 0, 1)


def test_the_api_search_pages_in_one_pass(twelve, agent_a):
    client = api_client(agent_a)
    url = reverse("api-organisation-list")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": "MIEL", "page_size": 5, "page": 3})
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 12 and body["next"] is None and body["previous"]
    assert [row["name"] for row in body["results"]] == ["Coop Miel K", "Coop Miel L"]
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "OVER ()" in counts[0]
    assert client.get(url, {"q": "MIEL", "page_size": 5, "page": 4}).status_code == 404


def test_the_html_search_pages_in_one_pass(twelve, agent_a, commune_a):
    response = client_for(agent_a).get(reverse("organisation_list_all"),
                                       {"q": "miel", "per_page": 25})
    assert response.status_code == 200
    assert response.context["page"].paginator.__class__ is OnePassPaginator
    assert response.context["page"].paginator.count == 12
    assert len(response.context["page"].object_list) == 12


def _left_for_the_collector(get) -> tuple[int, int]:
    """(organisations built by `get()`, those still alive when it returns) with the garbage
    collector off: only reference counting frees anything."""
    import gc
    import weakref

    from django.db.models.signals import post_init

    made: list[weakref.ref] = []

    def remember(sender, instance, **kwargs):
        made.append(weakref.ref(instance))

    was_enabled = gc.isenabled()
    gc.disable()
    post_init.connect(remember, sender=Organisation, weak=False)
    try:
        response = get()
        assert response.status_code == 200
        return len(made), len([ref for ref in made if ref() is not None])
    finally:
        post_init.disconnect(remember, sender=Organisation)
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("params", [{}, {"q": "miel"}, {"ordering": "-members_total"}])
def test_an_api_page_frees_its_organisations_as_the_request_ends(twelve, agent_a, params):
    """Written out, an API page's organisations (with their prefetched relations) are let go
    and freed by reference counting, not left in the view's cycles for the garbage collector
    (`release_rows`). One may stay until the collector runs: Django marks the shared
    queryset of a `Prefetch` with a row it was applied to."""
    api = api_client(agent_a)
    made, alive = _left_for_the_collector(
        lambda: api.get(reverse("api-organisation-list"), params))
    assert made >= 12 and alive <= 1
