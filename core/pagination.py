import copy

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.sql.where import AND
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class OnePassPaginator(Paginator):
    """Pages of a search, where the database reads every match anyway to rank them: the
    page's ids and the total number of matches come from one query (`COUNT(*) OVER ()`
    beside the ranked ids, before LIMIT), then the page's rows, joins and prefetches are
    fetched for those ids alone. The plain paginator scans the matches twice (COUNT, then
    the page) and joins every match before sorting them: for a frequent word at national
    size, 16 + 44 ms against about 20 ms.

    Falls back to the plain way when the list is not a plain queryset, with orphans, or when
    the page is empty (the count then says whether it is past the end)."""

    def page(self, number):
        number = self._whole_number(number)
        if (not isinstance(self.object_list, QuerySet) or self.orphans
                or self.object_list.query.combinator or "count" in self.__dict__):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        own = _self_paging_condition(self.object_list)
        rows = own.page(self.object_list, bottom, self.per_page) if own is not None else None
        if rows == [] and bottom:  # past the end, or no match: the count says which
            first = own.page(self.object_list, 0, 1)
            self.__dict__["count"] = first[0][1] if first else 0
        elif rows == []:
            self.__dict__["count"] = 0
        elif rows is None:
            rows = self._ranked_ids(bottom)
        if not rows:
            return super().page(number)
        self.__dict__["count"] = rows[0][1]  # the cached_property, filled by the same scan
        position = {pk: i for i, (pk, _matches) in enumerate(rows)}
        objects = sorted(rows_of(self.object_list, list(position)),
                         key=lambda item: position[item.pk])
        return self._get_page(objects, number, self)

    def _ranked_ids(self, bottom: int) -> list:
        """The page's (id, number of matches) pairs, read from the list's own query."""
        counted = self.object_list.annotate(_matches=Window(Count("pk")))
        if ordered_by_a_column(self.object_list):
            # PostgreSQL would read the column's index in that order, checking each row,
            # as if LIMIT could stop it early, though the count needs every match: the whole
            # index for a search sorted by name (300 against 37 ms for a frequent word at
            # national size). Filtering on the window (always true) puts it in a subquery,
            # so the matches are found through the search index, counted, then sorted.
            counted = counted.filter(_matches__gt=0)
        return list(counted.values_list("pk", "_matches")[bottom:bottom + self.per_page])

    def get_page(self, number):
        """As Paginator.get_page (not a number: the first page; out of range: the last),
        without counting first."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def _whole_number(self, number) -> int:
        """What `validate_number` checks before it needs the count."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


def _self_paging_condition(queryset: QuerySet):
    """A condition every row of the list meets that reads the list's pages itself, from an
    index of its own (cooperatives.search_words.WordMatch: a search's word index), or None.
    Its `page(queryset, bottom, size)` gives the page's (id, number of matches) pairs, or
    None when it cannot for this list's order."""
    where = queryset.query.where
    if where.connector != AND or where.negated:
        return None
    for condition in where.children:
        expression = getattr(condition, "lhs", None)
        if callable(getattr(expression, "page", None)):
            return expression
    return None


def ordered_by_a_column(queryset: QuerySet) -> bool:
    """Whether the list's order starts with a stored column (which an index may hold), not
    with an expression computed for each row (a search's ranking)."""
    query = queryset.query
    ordering = query.order_by or (query.default_ordering and query.get_meta().ordering) or ()
    if not ordering or not isinstance(ordering[0], str):
        return False
    return ordering[0].lstrip("-") not in query.annotations


def rows_of(queryset: QuerySet, pks: list) -> QuerySet:
    """The rows of these ids as `queryset` builds them (its joined relations, deferred
    columns and prefetches) without its filters and ordering: the ids come from the filtered,
    scoped query itself, and re-applying a search's text filter and ranking to fetch them
    costs more than fetching them (3.0 against 6.8 ms for a page of 50 at national size).
    A queryset with annotations (which may depend on its joins) keeps everything."""
    if queryset.query.annotation_select or queryset._fields is not None:
        return queryset.filter(pk__in=pks)
    rows = type(queryset)(model=queryset.model, using=queryset.db).filter(pk__in=pks).order_by()
    rows.query.select_related = copy.deepcopy(queryset.query.select_related)
    rows.query.deferred_loading = queryset.query.deferred_loading
    rows._prefetch_related_lookups = queryset._prefetch_related_lookups
    return rows


def release_rows(page: Page) -> None:
    """Let a page's model instances go once they are written out. An instance whose
    relations were prefetched into its managers holds them in querysets that point back to
    it, and the view, which the request points back to, holds the page, its paginator and
    the list's queryset (whose `Prefetch` querysets keep an instance they were applied to
    as a hint): reference cycles
    that only the garbage collector frees, when it next runs in some later request (an API
    page of 50 organisations left about 2,000 such objects). Dropped here, they are freed
    as the request ends. The paginator keeps its count, which the page's links read."""
    for row in page.object_list:
        row.__dict__.pop("_prefetched_objects_cache", None)
    page.paginator.count  # noqa: B018 (known by now: the page number was checked with it)
    page.paginator.object_list = []
    page.object_list = []


def paginator_class(query) -> type[Paginator]:
    """The paginator for a list asked with these query parameters: one pass for a search."""
    return OnePassPaginator if query.get("q", "").strip() else Paginator


class Pagination(PageNumberPagination):
    """Page-number pagination with a client-chosen size, bounded so one request stays cheap.

    `page` is a whole number from 1 and `page_size` one from 1 to the maximum; anything else
    (zero, negative, not a number, repeated) answers 400, never a silent default. A page past
    the last one answers 404. The schema declares the same bounds."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()  # `page=last` is not a number: 400 like any other word

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = paginator_class(request.query_params)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        message = (_("Give one page size, a whole number from 1 to %(max)s.")
                   % {"max": self.max_page_size})
        value = _whole_number(request, self.page_size_query_param, message)
        if value is None:
            return self.page_size
        if not 1 <= value <= self.max_page_size:
            raise _invalid(self.page_size_query_param, message)
        return value

    def get_page_number(self, request, paginator):
        message = _("Give one page number, a whole number from 1.")
        value = _whole_number(request, self.page_query_param, message)
        if value is None:
            return 1
        if value < 1:
            raise _invalid(self.page_query_param, message)
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: {"minimum": 1},
                  self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size,
                                               "default": self.page_size}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


def _whole_number(request, name: str, message: str) -> int | None:
    """The parameter's value as an int (None when absent); 400 with `message` when it is not
    one whole number written in digits."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    value = values[-1]
    if len(values) != 1 or not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise _invalid(name, message)
    return int(value)


def _invalid(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})
