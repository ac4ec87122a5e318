"""The organisation search through its word index (PostgreSQL; migration 0020).

A searched text holds no space (one word or part of one, what most searches are) can only
lie inside one word of `search_text`, whose words the database keeps in a vocabulary and in
postings (which organisation holds which word, where, and its name). Then:

- `WordMatch` selects the organisations whose words hold the text: the words are found in
  the vocabulary (trigram index, 183,000 words at national size), the organisations in the
  postings. The same rows as `search_text LIKE '%…%'`, without checking every matching
  organisation's text (for a word in 6 % of the names, 11,946 rows read and compared).
- `WordMatch.page` counts and ranks a page of matches from the postings alone when the list
  is ranked (or sorted by name): the rank of each match follows from where its words stand
  (the filter's `rank_of_match` says the same thing over the organisation's own columns).

Anything else (SQLite, a text with a space or a field separator, a text that folds to
nothing) goes through `search_text LIKE` as before, with the same results.
"""

from django.db import connections
from django.db.models import BooleanField, F, Func

from core.search import SEARCH_SEPARATOR

WORDS = "cooperatives_search_word"
POSTINGS = "cooperatives_search_posting"

# Where a word stands (the postings' `flags`, computed by the migration's reless_words_of).
WHOLE_FIELD, FIRST_OF_NAME, IN_NAME = 1, 2, 4

# The orderings a page can be read in from the postings: the search's ranking (the filter's
# alias), and by name either way; the id always last.
RANKED = ("_rank", "name", "id")
BY_NAME = {("name", "id"): "name, organisation_id", ("-name", "id"): "name DESC, organisation_id"}


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
    """True for the organisations holding the (folded, spaceless) text inside one of their
    words, i.e. inside their `search_text`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, folded: str):
        super().__init__(F("pk"))
        self.folded = folded

    def __repr__(self):
        return f"WordMatch({self.folded!r})"

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return (f"{column} IN (SELECT organisation_id FROM {POSTINGS} WHERE word IN "
                f"(SELECT word FROM {WORDS} WHERE word LIKE %s))",
                [*params, _like(connection, self.folded)])

    def page(self, queryset, bottom: int, size: int) -> "list[tuple] | None":
        """The page's (id, number of matches) pairs, ranked as the filter ranks them or by
        name, read from the postings; None for any other order (the caller then reads the
        organisations). The list's other conditions (scope, filters) restrict the postings
        through a subquery of the organisations' ids."""
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
        connection = connections[queryset.db]
        params = ([self.folded, _like(connection, self.folded, before="")]
                  if rank != "0" else [])
        params.append(_like(connection, self.folded))
        restriction = ""
        rest = queryset.all()
        rest.query.where.children = [c for c in rest.query.where.children
                                     if not isinstance(getattr(c, "lhs", None), WordMatch)]
        if rest.query.where.children or rest.query.distinct or rest.query.combinator:
            ids = rest.order_by().values("pk").query
            sql, rest_params = ids.get_compiler(queryset.db).as_sql()
            restriction = f" AND organisation_id IN ({sql})"
            params.extend(rest_params)
        params.extend([size, bottom])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT organisation_id, count(*) OVER () FROM ("
                f"SELECT organisation_id, name, {rank} AS rank FROM {POSTINGS} "
                f"WHERE word IN (SELECT word FROM {WORDS} WHERE word LIKE %s){restriction} "
                f"GROUP BY organisation_id, name) matches "
                f"ORDER BY {order} LIMIT %s OFFSET %s", params)
            return cursor.fetchall()
