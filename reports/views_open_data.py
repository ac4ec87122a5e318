"""Public pages of the signed-off years' open data (see reports.open_data)."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import open_data


@require_safe
def closed_years(request):
    """Public: the years with closed communes, each with its CSV file."""
    return render(request, "reports/open_data_years.html",
                  {"years": open_data.closed_years(), "columns": open_data.COLUMNS})


@require_safe
def closed_year_csv(request, year: int):
    """Public: one row per commune whose `year` is closed (404 when none is)."""
    if not open_data.is_closed_anywhere(year):
        raise Http404
    response = StreamingHttpResponse(open_data.year_csv(year),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="reless-signed-off-{year}.csv"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
