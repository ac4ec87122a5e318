"""The organisation search's word index (PostgreSQL; migrations 0020 and 0021).

A searched text without a space (one word or part of one, what most searches are) can only
lie inside one word of `search_text`, whose words the database keeps in a vocabulary (with a
trigram index: 183,000 words at national size) and in postings (which organisation holds
which word, where, and its name). A page of such a search over the whole registry (the
national administrator's and the analysts' lists, without other filters) is counted and
ranked from the postings alone: for a word in 6 % of the names, 11,946 postings read side by
side from one index instead of 11,946 organisations read and their texts compared (12
against 28-45 ms of SQL). Each match's rank follows from where its words stand, as the
filter's ranking expression says over the organisation's own columns.

`WordMatch` is the search's condition for such a text: in SQL the plain trigram-indexed
`search_text LIKE` (which serves restricted lists best: a commune's organisations are found
by their commune, then checked), and a `page` method that the one-pass paginator
(core.pagination) asks first. Anything else (SQLite, a text with a space or a field
separator, a text that folds to nothing) is the plain search alone, with the same results.
New organisations are indexed after their commit (`index_pending`, run by
cooperatives.tasks); while any waits, `page` answers None and the plain search finds them.
"""

from django.db import connections, transaction
from django.db.models import BooleanField, F, Func

from core.search import SEARCH_SEPARATOR

WORDS = "cooperatives_search_word"
POSTINGS = "cooperatives_search_posting"
PENDING = "cooperatives_search_pending"  # new organisations not indexed yet (migration 0021)
INDEX_BATCH = 5_000

# Where a word stands (the postings' `flags`, computed by the migration's reless_words_of).
WHOLE_FIELD, FIRST_OF_NAME, IN_NAME = 1, 2, 4

# The orderings a page can be read in from the postings: the search's ranking (the filter's
# alias), and by name either way; the id always last.
RANKED = ("_rank", "name", "id")
BY_NAME = {("name", "id"): "name, organisation_id", ("-name", "id"): "name DESC, organisation_id"}


def index_pending(using: str = "default", batch: int = INDEX_BATCH) -> int:
    """Index the organisations inserted since the last call (migration 0021), a batch per
    transaction; how many. Nothing to do elsewhere than PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    done = 0
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SELECT reless_index_pending(%s)", [batch])
            indexed = cursor.fetchone()[0]
        done += indexed
        if not indexed:
            return done


def index_tables(connection) -> tuple[str, ...]:
    """The word index's tables where the database keeps them (PostgreSQL): a bulk writer of
    organisations (the dataset generator, a rolled-back benchmark import) analyses them with
    its own tables, since the triggers fill them. Stale statistics (an ANALYZE taken while
    they were filling) made PostgreSQL scan all 4.9 million postings of the 3x dataset for
    every search (0.5 s) instead of reading one word's."""
    return (WORDS, POSTINGS, PENDING) if connection.vendor == "postgresql" else ()


def folded_in_database(text: str, using: str) -> str:
    """The text folded by the database's own `reless_fold` (unaccent's rules, which differ
    from Python's decomposition for some characters: "œ" becomes "oe", "½" " 1/2")."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reless_fold(%s)", [text])
        return cursor.fetchone()[0]


def match(text: str, using: str) -> "WordMatch | None":
    """The word index's filter for this searched text, or None where it cannot answer."""
    if connections[using].vendor != "postgresql":
        return None
    # unaccent's rules map no ASCII character, and lower() of ASCII letters is the same
    # in Python and in the database (UTF-8, not a Turkish locale): no round trip for those.
    folded = text.lower() if text.isascii() else folded_in_database(text, using)
    if not folded or " " in folded or SEARCH_SEPARATOR in folded:
        return None
    return WordMatch(folded)


def _like(connection, text: str, *, before: str = "%", after: str = "%") -> str:
    return before + connection.ops.prep_for_like_query(text) + after


class WordMatch(Func):
    """True for the organisations whose `search_text` holds the (folded, spaceless) text:
    in SQL the trigram-indexed `LIKE` of the plain search (which serves restricted lists
    best: a commune's or a region's organisations are found by their commune and checked);
    an otherwise unfiltered list's page is read from the word index (`page`)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, folded: str):
        super().__init__(F("search_text"))
        self.folded = folded

    def __repr__(self):
        return f"WordMatch({self.folded!r})"

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"{column} LIKE %s", [*params, _like(connection, self.folded)]

    def page(self, queryset, bottom: int, size: int) -> "list[tuple] | None":
        """The page's (id, number of matches) pairs, ranked as the filter ranks them or by
        name, read from the postings; None for any other order or when the list has other
        conditions (the caller then reads the organisations)."""
        ordering = tuple(queryset.query.order_by)
        if ordering == RANKED and "_rank" in queryset.query.annotations:
            rank = (f"min(CASE WHEN flags & {WHOLE_FIELD} <> 0 AND word = %s THEN 0 "
                    f"WHEN flags & {FIRST_OF_NAME} <> 0 AND word LIKE %s THEN 1 "
                    f"WHEN flags & {IN_NAME} <> 0 THEN 2 ELSE 3 END)")
            order = "rank, name, organisation_id"
        elif ordering in BY_NAME:
            rank, order = "0", BY_NAME[ordering]
        else:
            return None
        rest = queryset.all()
        rest.query.where.children = [c for c in rest.query.where.children
                                     if not isinstance(getattr(c, "lhs", None), WordMatch)]
        if rest.query.where.children or rest.query.distinct or rest.query.combinator:
            # Restricted (a scope, a filter): the postings of a frequent word (12,000 at
            # national size) would each be looked up among the organisations, 40 against
            # 16 ms for a commune's list; the organisations' own search does better.
            return None
        connection = connections[queryset.db]
        with connection.cursor() as cursor:
            # Organisations inserted and not indexed yet: the organisations' own search
            # finds them (the index catches up after their commit, cooperatives.tasks).
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {PENDING})")
            if cursor.fetchone()[0]:
                return None
        params = ([self.folded, _like(connection, self.folded, before="")]
                  if rank != "0" else [])
        params.extend([_like(connection, self.folded), size, bottom])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT organisation_id, count(*) OVER () FROM ("
                f"SELECT organisation_id, name, {rank} AS rank FROM {POSTINGS} "
                f"WHERE word IN (SELECT word FROM {WORDS} WHERE word LIKE %s) "
                f"GROUP BY organisation_id, name) matches "
                f"ORDER BY {order} LIMIT %s OFFSET %s", params)
            return cursor.fetchall()
