from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-number pagination with a client-chosen size, bounded so one request stays cheap.

    `page` is a whole number from 1 and `page_size` one from 1 to the maximum; anything else
    (zero, negative, not a number, repeated) answers 400, never a silent default. A page past
    the last one answers 404. The schema declares the same bounds."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()  # `page=last` is not a number: 400 like any other word

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
