"""The search's word index (cooperatives.search_words, migrations 0020 and 0021; PostgreSQL):
kept by the database on every kind of write (new organisations after their commit), and
giving exactly the rows, counts, ranks and pages of the plain `search_text LIKE` search it
replaces for texts without a space."""

import itertools

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperatives import search_words
from cooperatives.filters import OrganisationFilterSet
from cooperatives.models import Organisation
from core.pagination import OnePassPaginator

from ..factories import OrganisationFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the word index is PostgreSQL's (SQLite: LIKE)")]


def _pending() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT organisation_id FROM cooperatives_search_pending")
        return {row[0] for row in cursor.fetchall()}


def _postings(organisation) -> set[tuple[str, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, flags, name FROM cooperatives_search_posting "
                       "WHERE organisation_id = %s", [organisation.pk])
        return set(cursor.fetchall())


def _places(organisation) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM cooperatives_search_posting "
                       "WHERE organisation_id = %s ORDER BY ctid", [organisation.pk])
        return [row[0] for row in cursor.fetchall()]


def _words() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM cooperatives_search_word")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def banka(commune_a, cassava):
    created = OrganisationFactory(
        commune=commune_a, primary_filiere=cassava, name="Coopérative de  Banka-Œuvre Banka",
        acronym="CBO", locality="Banka", rsc_number="CM-BFG-2024-B-0042", niu="M012345678901A",
        ues_number="UES42")
    assert search_words.index_pending() == 1  # what the task does after the commit
    return created


def test_each_word_is_posted_once_with_where_it_stands(banka):
    name = banka.name
    # 1 a whole field, 2 the name's first word, 4 a word of the name.
    assert _postings(banka) == {
        ("cooperative", 2 | 4, name), ("de", 4, name), ("banka-oeuvre", 4, name),
        ("banka", 4 | 1, name),  # in the name, and the whole locality
        ("cbo", 1, name), ("cm-bfg-2024-b-0042", 1, name), ("m012345678901a", 1, name),
        ("ues42", 1, name)}
    assert {"cooperative", "banka", "ues42"} <= _words()


def test_a_rename_is_posted_and_other_writes_leave_the_postings_alone(banka):
    before = _places(banka)
    banka.members_total = 12
    banka.save()
    Organisation.objects.filter(pk=banka.pk).update(employees=3)
    assert _places(banka) == before  # not rewritten: the trigger did not fire
    banka.name = "GIC Ndé"
    banka.save()
    assert {word for word, _flags, _name in _postings(banka)} == {
        "gic", "nde", "cbo", "banka", "cm-bfg-2024-b-0042", "m012345678901a", "ues42"}
    assert {name for _word, _flags, name in _postings(banka)} == {"GIC Ndé"}
    Organisation.objects.filter(pk=banka.pk).update(locality="Kékem")
    assert ("kekem", 1, "GIC Ndé") in _postings(banka)
    assert not any(word == "banka" for word, _f, _n in _postings(banka))
    # A change of case alone leaves the folded text as it was but not the name the
    # postings sort by.
    Organisation.objects.filter(pk=banka.pk).update(name="GIC NDÉ")
    assert {name for _word, _flags, name in _postings(banka)} == {"GIC NDÉ"}


def test_bulk_writes_deletes_and_truncation_are_followed(commune_a, cassava):
    created = Organisation.objects.bulk_create(
        [Organisation(name=f"Union {n}", commune=commune_a, primary_filiere=cassava,
                      legal_form="scoops", status="active", members_total=10, members_women=4,
                      members_youth=3) for n in ("Nord", "Sud")])
    # Inserted: noted as pending (the insert does not index them), indexed afterwards.
    assert _pending() == {created[0].pk, created[1].pk}
    assert _postings(created[0]) == set()
    assert search_words.index_pending(batch=1) == 2  # one per transaction
    assert _pending() == set()
    assert {w for w, _f, _n in _postings(created[0])} == {"union", "nord"}
    assert {w for w, _f, _n in _postings(created[1])} == {"union", "sud"}
    Organisation.objects.filter(pk=created[0].pk).delete()
    assert _postings(created[0]) == set()
    assert _postings(created[1]) != set()
    late = Organisation.objects.create(
        name="Union Est", commune=commune_a, primary_filiere=cassava, legal_form="scoops",
        status="active", members_total=10, members_women=4, members_youth=3)
    assert _pending() == {late.pk}
    late.delete()  # deleted before it was indexed: no longer pending
    assert _pending() == set()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending check blocks TRUNCATE
        cursor.execute("TRUNCATE cooperatives_organisation CASCADE")
        cursor.execute("SELECT count(*) FROM cooperatives_search_posting")
        assert cursor.fetchone()[0] == 0


def test_which_texts_the_words_answer(django_assert_num_queries):
    with django_assert_num_queries(0):  # ASCII: folded without asking the database
        assert search_words.match("BANKA", "default").folded == "banka"
    # The database's folding (unaccent), not Python's: "Œ" becomes "oe".
    assert search_words.match("Œuvre", "default").folded == "oeuvre"
    assert search_words.match("de banka", "default") is None  # a space: two words
    assert search_words.match("a\x1fb", "default") is None  # the fields' separator
    assert search_words.match("\u0301", "default") is None  # folds to nothing


NAMES = ["Banka Agro", "GIC Agro", "Union de Bankassa", "Coopérative des Éleveurs de Banka",
         "Coop du Noun", "SCOOPS Cacao", "100% Manioc", "banka", "Agro_Banka", "BANKA Nord",
         "Œuvre de Banka", "Les Œufs de Bana", " Banka espacée", "Ndé 2024", "GIC  Agro",
         "Coop Agro Bana", "Agro", "agro", "Bankassa Coop", "Coop Bank"]
ACRONYMS = ["", "BANKA", "AGRO", "", "CAB", "", "", "", "", "BN"]
LOCALITIES = ["Bafang", "Bana", "Banka-village", "Banka", "Kékem", "Agro"]


@pytest.fixture
def registry(commune_a, commune_b, cassava):
    rows = []
    for i, name in enumerate(NAMES):
        rows.append(OrganisationFactory(
            commune=commune_a if i % 3 else commune_b, primary_filiere=cassava, name=name,
            acronym=ACRONYMS[i % len(ACRONYMS)], locality=LOCALITIES[i % len(LOCALITIES)],
            rsc_number=f"CM-BFG-2024-B-{i:04d}", ues_number="AGRO" if i == 7 else ""))
    search_words.index_pending()
    return rows


QUERIES = ["banka", "BANKA", "bank", "agro", "Agro", "oeuvre", "œuvre", "œ", "bana", "a",
           "2024", "b-0007", "100%", "%", "_", "o_b", "kekem", "espacee", "ankas", "nord",
           "coop", "zz", "cab", "de", "de banka"]
SPACED = {"de banka"}  # two words: the plain search
ORDERINGS = ["", "name", "-name"]


def _pages(query: dict, paginator_class, size: int) -> tuple[int, list[list[int]]]:
    """The number of matches and every page's ids, each page asked as a request asks it."""
    pages = []
    for number in itertools.count(1):
        organisations = OrganisationFilterSet(query, Organisation.objects.all()).qs
        page = paginator_class(organisations, size).page(number)
        pages.append([o.pk for o in page.object_list])
        if not page.has_next():
            return page.paginator.count, pages


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_the_words_give_the_plain_search_s_pages_counts_and_ranks(registry, commune_a,
                                                                   ordering, monkeypatch):
    """Every page, count and order, ranked or sorted by name either way, over the whole
    registry (read from the words) and restricted to a commune (the organisations' own
    search), against Django's paginator over `search_text LIKE` ranked by the filter's own
    expression."""
    for text, restricted in itertools.product(QUERIES, (False, True)):
        query = {"q": text, "ordering": ordering}
        if restricted:
            query["commune"] = commune_a.pcode
        with CaptureQueriesContext(connection) as captured:
            fast = _pages(query, OnePassPaginator, 3)
        sql = " ".join(q["sql"] for q in captured)
        if text in SPACED or restricted:  # the organisations' own search
            assert "cooperatives_search_posting" not in sql
            assert '"search_text" LIKE' in sql or '"search_text"::text LIKE' in sql
        else:  # read from the words alone
            assert "cooperatives_search_posting" in sql, text
            assert "search_text\" LIKE" not in sql and '"search_text"::text LIKE' not in sql
        with monkeypatch.context() as plain:
            plain.setattr(search_words, "match", lambda text, using: None)
            expected = _pages(query, Paginator, 3)
        assert fast == expected, (text, restricted)


def test_the_ranks_read_from_the_words(registry):
    """A field equal to the text (name, acronym, locality, UES number), then names starting
    with it, then names holding it; by name within each rank."""
    by_index = {i: o.pk for i, o in enumerate(registry)}

    def by_name(indexes):
        return list(Organisation.objects.filter(pk__in=[by_index[i] for i in indexes])
                    .order_by("name", "id").values_list("pk", flat=True))

    organisations = OrganisationFilterSet({"q": "AGRO"}, Organisation.objects.all()).qs
    page = OnePassPaginator(organisations, 50).page(1)
    assert page.paginator.count == 12
    assert [o.pk for o in page.object_list] == (
        by_name([2, 12]          # the acronym is the text
                + [5, 11]        # the locality
                + [7]            # the UES register number, the last field
                + [16, 17])      # the name, in either case
        + by_name([8])           # "Agro_Banka" starts with it
        + by_name([0, 1, 14, 15]))  # the others hold it


def test_a_page_reads_the_vocabulary_s_trigram_index_and_the_postings_index(registry):
    organisations = OrganisationFilterSet({"q": "banka"}, Organisation.objects.all()).qs
    with CaptureQueriesContext(connection) as captured:
        OnePassPaginator(organisations, 3).page(1)
    page_sql = next(q["sql"] for q in captured if "cooperatives_search_posting" in q["sql"])
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")  # as on a large table
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "cooperatives_search_word_trgm" in plan, plan
    assert "cooperatives_search_posting_word" in plan, plan


def test_while_organisations_wait_to_be_indexed_searches_read_the_organisations(
        registry, commune_a, cassava):
    """A new organisation is found at once: while any id is pending, the whole registry's
    pages come from the organisations' own search (the same pages), then from the words."""
    newcomer = Organisation.objects.create(
        name="Banka Nouvelle", commune=commune_a, primary_filiere=cassava, legal_form="scoops",
        status="active", members_total=10, members_women=4, members_youth=3)
    assert _pending() == {newcomer.pk}

    def page_of(text):
        organisations = OrganisationFilterSet({"q": text}, Organisation.objects.all()).qs
        with CaptureQueriesContext(connection) as captured:
            page = OnePassPaginator(organisations, 50).page(1)
        sql = " ".join(q["sql"] for q in captured)
        return page.paginator.count, [o.pk for o in page.object_list], sql

    waiting = page_of("nouvelle")
    assert waiting[:2] == (1, [newcomer.pk])
    assert "cooperatives_search_posting" not in waiting[2]
    before = page_of("banka")
    assert newcomer.pk in before[1]
    search_words.index_pending()
    after = page_of("banka")
    assert "cooperatives_search_posting" in after[2]
    assert after[:2] == before[:2]
    assert page_of("nouvelle")[:2] == (1, [newcomer.pk])


def test_an_organisation_s_creation_sends_the_indexing_task_after_its_commit(
        commune_a, cassava, monkeypatch, django_capture_on_commit_callbacks):
    from cooperatives import tasks

    sent = []
    monkeypatch.setattr(tasks.index_search_words, "apply_async",
                        lambda args, countdown=None: sent.append("index"))
    with django_capture_on_commit_callbacks(execute=True):
        created = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    assert sent == ["index"]
    assert tasks.index_search_words() == 1  # the task itself indexes what waits
    assert _pending() == set() and _postings(created)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        created.members_total += 1
        created.save()  # not a creation: nothing to index (a rename is indexed at once)
    assert sent == []


def test_an_unreachable_broker_fails_no_creation(commune_a, cassava, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    """The task is not sent (logged); the organisation is created and found, and beat's
    entry indexes it later."""
    from cooperatives import tasks

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.index_search_words, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        created = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    assert _pending() == {created.pk}
    assert tasks.index_search_words() == 1
