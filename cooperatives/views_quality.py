"""Registry quality pages: imports, exports, the duplicate queue, scorecards and open data.

Thin views: fetch and check with the `get_*_for_user` helpers (404 out of scope), call the
functions of imports, exports, duplicates, scorecards and opendata, render."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from communes.models import Region
from core import csvsafe

from . import (
    duplicate_decisions,
    exports,
    freshness,
    ilo,
    imports,
    open_data_files,
    opendata,
    scorecards,
    views_exports,
)
from .access import log_organisations
from .models import DuplicateFlag, ExportJob, ImportJob, Organisation
from .permissions import get_commune_for_user, scope_of

SHOWN_ROWS = 200
SHOWN_ERRORS = 500


def _require_writer(user) -> None:
    """Imports are for the national admin and CTD agents; anyone else gets 404."""
    scope = scope_of(user)
    if not (scope.is_admin or scope.is_agent):
        raise Http404


# Imports ----------------------------------------------------------------------------------------

class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(_("The file is too large: at most %(mb)s MB.")
                                  % {"mb": imports.MAX_BYTES // (1024 * 1024)})
        return upload


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_start(request, pcode):
    """Upload a file to check it (dry run) or import it into the commune."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.import_job_create(
                user=request.user, commune=commune, file_name=upload.name,
                content=upload.read(), dry_run=request.POST.get("action") != "import")
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("quality:import_detail", pk=job.pk)
    jobs = ImportJob.objects.filter(uploader=request.user, commune=commune).defer("content")
    return render(request, "quality/import_start.html", {
        "commune": commune, "form": form, "jobs": jobs[:20], "max_rows": imports.MAX_ROWS,
        "headers": imports.TEMPLATE_HEADERS})


@login_required
@require_safe
def import_list(request):
    """The user's imports, newest first, whatever the commune."""
    _require_writer(request.user)
    jobs = (ImportJob.objects.filter(uploader=request.user).select_related("commune")
            .defer("content"))
    return render(request, "quality/import_list.html", {"jobs": jobs[:200]})


@login_required
@require_safe
def import_detail(request, pk):
    job = imports.get_import_job_for_user(request.user, pk)
    result = job.result or {}
    errors = result.get("errors", [])
    return render(request, "quality/import_detail.html", {
        "job": job, "commune": job.commune, "result": result,
        "errors": errors[:SHOWN_ERRORS], "more_errors": max(0, len(errors) - SHOWN_ERRORS),
        "created": result.get("created", [])[:SHOWN_ROWS],
        "updated": result.get("updated", [])[:SHOWN_ROWS], "shown": SHOWN_ROWS,
        "can_confirm": (job.dry_run and job.status == ImportJob.Status.DONE and not errors
                        and bool(result.get("created") or result.get("updated"))),
    })


@login_required
@require_safe
def import_errors_csv(request, pk):
    """Every refused row of a job: line, column, reason."""
    job = imports.get_import_job_for_user(request.user, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csvsafe.writer(response)
    writer.writerow([_("Line"), _("Column"), _("Reason")])
    writer.writerows((job.result or {}).get("errors", []))
    return response


@login_required
@require_POST
def import_confirm(request, pk):
    """Import the file of a clean dry run without uploading it again."""
    job = imports.get_import_job_for_user(request.user, pk)
    try:
        new = imports.import_job_confirm(user=request.user, job=job)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("quality:import_detail", pk=job.pk)
    return redirect("quality:import_detail", pk=new.pk)


@login_required
@require_safe
def import_template(request, fmt):
    _require_writer(request.user)
    if fmt == "csv":
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(imports.template_xlsx(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="organisations-modele.{fmt}"'
    return response


# Exports ----------------------------------------------------------------------------------------

@login_required
@require_safe
def export_organisations(request, fmt):
    """The organisations the user may list, with the list's filters (?commune=…&status=…)."""
    if not scope_of(request.user).has_role:
        raise Http404
    try:
        table = exports.organisation_table(request.user, request.GET, request.get_full_path())
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages), content_type="text/plain")
    if fmt not in exports.FORMATS:
        raise Http404
    commune = request.GET.get("commune", "")
    name = exports.export_name(f"organisations-{commune}" if commune else "organisations")
    total = table.count()
    if views_exports.needs_job(total):
        return views_exports.start_job(request, kind=ExportJob.Kind.ORGANISATIONS, fmt=fmt,
                                       total=total, download_name=name)
    return exports.table_response(table, name, fmt)


# Duplicates -------------------------------------------------------------------------------------

@login_required
@require_safe
def duplicate_queue(request, pcode):
    """The commune's open possible duplicates, each with merge and dismiss forms, and the
    latest decisions."""
    commune = get_commune_for_user(request.user, pcode, need="write")
    decided = (DuplicateFlag.objects.filter(org_a__commune=commune)
               .exclude(status=DuplicateFlag.Status.OPEN)
               .select_related("org_a", "org_b", "reviewer").order_by("-decided_at", "-id"))
    labels = dict(DuplicateFlag.Reason.choices)
    flags = list(duplicate_decisions.duplicate_flags_of_commune(commune))
    for flag in flags:
        flag.reason_labels = [labels.get(code, code) for code in flag.reasons]
    log_organisations(request, (o for f in flags for o in (f.org_a, f.org_b)),
                      fields=("contact_phone",))
    return render(request, "quality/duplicates.html", {
        "commune": commune, "flags": flags, "decided": decided[:20]})


@login_required
@require_POST
def duplicate_merge(request, pk):
    flag = duplicate_decisions.get_duplicate_flag_for_user(request.user, pk)
    keep = {str(flag.org_a_id): flag.org_a, str(flag.org_b_id): flag.org_b}.get(
        request.POST.get("keep", ""))
    if keep is None:
        messages.error(request, _("Choose one of the two organisations to keep."))
    else:
        try:
            duplicate_decisions.duplicate_merge(user=request.user, flag=flag, keep=keep)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Merged into %(name)s.") % {"name": keep.name})
    return redirect("quality:duplicate_queue", pcode=flag.org_a.commune.pcode)


@login_required
@require_POST
def duplicate_dismiss(request, pk):
    flag = duplicate_decisions.get_duplicate_flag_for_user(request.user, pk)
    try:
        duplicate_decisions.duplicate_dismiss(user=request.user, flag=flag)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The two organisations stay apart; this pair will not be "
                                    "flagged again."))
    return redirect("quality:duplicate_queue", pcode=flag.org_a.commune.pcode)


# Scorecards -------------------------------------------------------------------------------------

@login_required
@require_safe
def scorecard_table(request):
    """Every commune's scorecard, sortable (?ordering=-score) and by region (?region=)."""
    if not scope_of(request.user).reads_country:
        raise Http404
    ordering = request.GET.get("ordering", "-score")
    if ordering not in scorecards.ORDERINGS:
        ordering = "-score"
    region = Region.objects.filter(pcode=request.GET.get("region", "")).first()
    cards = scorecards.scorecards()
    if region is not None:
        cards = [card for card in cards if card.region == region.pcode]
    return render(request, "quality/scorecards.html", {
        "cards": scorecards.sort_scorecards(cards, ordering), "ordering": ordering,
        "region": region, "regions": Region.objects.order_by("pcode"),
        "weights": scorecards.WEIGHTS})


# Open data --------------------------------------------------------------------------------------

@require_safe
def open_data(request):
    """Public: national, regional and commune figures, the dataset's links and licence."""
    return render(request, "quality/open_data.html", {
        "figures": opendata.open_figures(), "licence_url": opendata.LICENCE_URL,
        "licence_name": opendata.LICENCE_NAME, "territory_source": opendata.TERRITORY_SOURCE,
        "organisations": Organisation.objects.count(), "ilo_levels": ilo.LEVELS})


def _open_file(request, name: str, write, content_type: str, filename: str) -> HttpResponse:
    """An open-data file as written ahead (open_data_files): Content-Length, ETag,
    Last-Modified, Cache-Control; 503 with Retry-After while its first version is written."""
    found, path = open_data_files.current(name, write)
    if found is None:
        response = HttpResponse(
            _("The open-data file is being prepared. Please try again in a minute."),
            status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "30"
        return response
    # When the file was written: a deletion leaves the organisations' latest update as it
    # was, and the file changed all the same.
    modified = datetime.datetime.fromisoformat(found["written_at"]).timestamp()
    response = get_conditional_response(request, etag=found["etag"],
                                        last_modified=int(modified))
    if response is None:
        response = FileResponse(open(path, "rb"), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = found["etag"]
    response["Last-Modified"] = http_date(modified)
    response["Link"] = f'<{opendata.LICENCE_URL}>; rel="license"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def open_data_csv(request):
    return _open_file(request, open_data_files.CSV, open_data_files.write_csv,
                      "text/csv; charset=utf-8", "reless-organisations.csv")


@require_safe
def open_data_jsonld(request):
    base = request.build_absolute_uri("/").rstrip("/")
    return _open_file(request, open_data_files.jsonld_name(base),
                      lambda: open_data_files.write_jsonld(base),
                      "application/ld+json; charset=utf-8", "reless-organisations.jsonld")


@require_safe
def open_data_ilo_csv(request, level):
    """Public: the ILO statistics of cooperatives of the whole registry at one level
    (cooperatives.ilo), as CSV; public aggregates only."""
    if level not in ilo.LEVELS:
        raise Http404
    rows = freshness.cached(f"opendata:ilo:{level}", [freshness.NATIONAL],
                            lambda: ilo.ilo_statistics(Organisation.objects.all(), level=level))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="reless-ilo-{level}.csv"'
    response["Link"] = f'<{opendata.LICENCE_URL}>; rel="license"'
    writer = csvsafe.writer()
    response.write(writer.writerow(ilo.COLUMNS))
    for row in rows:
        response.write(writer.writerow([row[c] for c in ilo.COLUMNS]))
    return response


@login_required
@require_safe
def duplicates_national(request):
    """The national admin's view of possible duplicates: the communes with open flags, most
    first, each leading to its queue (where the commune's agents decide)."""
    if not scope_of(request.user).is_admin:
        raise Http404
    rows = list(DuplicateFlag.objects.filter(status=DuplicateFlag.Status.OPEN)
            .values("org_a__commune__pcode", "org_a__commune__name_fr",
                    "org_a__commune__department__region__name_fr")
            .annotate(open=Count("id")).order_by("-open", "org_a__commune__pcode"))  # ≤ 360
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "quality/duplicates_national.html", {
        "page": page, "total": sum(r["open"] for r in rows)})
