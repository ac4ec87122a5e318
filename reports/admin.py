from django.contrib import admin

from .models import ReportRun


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "scope", "year", "status", "queued_at", "finished_at", "attempts"]
    list_filter = ["kind", "status"]
    search_fields = ["scope"]
    readonly_fields = ["result"]
    autocomplete_fields = ["commune", "requested_by"]
