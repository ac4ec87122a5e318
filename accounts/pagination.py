from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-number pagination with a client-chosen size, capped so one request stays cheap.

    A `page_size` that is not a positive whole number answers 400 (it is never silently
    replaced by the default); one above the maximum is capped to it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[-1]
        valid = len(values) == 1 and value.isascii() and value.isdigit()
        if not valid or int(value) < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [
                _("Give one page size, a whole number from 1 to %(max)s.")
                % {"max": self.max_page_size}]})
        return min(int(value), self.max_page_size)
