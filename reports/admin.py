from django.contrib import admin

from .models import FrozenReport, ReportRun, SignoffStep, YearSignoff


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "scope", "year", "status", "queued_at", "finished_at", "attempts"]
    list_filter = ["kind", "status"]
    search_fields = ["scope"]
    readonly_fields = ["result"]
    autocomplete_fields = ["commune", "requested_by"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The sign-off moves only through its steps (reports.signoff), which keep its history:
    the admin shows it and changes nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = SignoffStep
    extra = 0
    fields = ["action", "state", "version", "by", "at", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(YearSignoff)
class YearSignoffAdmin(ReadOnlyAdmin):
    list_display = ["commune", "year", "state", "version"]
    list_filter = ["state", "year"]
    search_fields = ["commune__pcode", "commune__name_fr"]
    list_select_related = ["commune"]
    inlines = [StepInline]


@admin.register(FrozenReport)
class FrozenReportAdmin(ReadOnlyAdmin):
    list_display = ["signoff", "kind", "version", "computed_at", "frozen_at"]
    list_filter = ["kind"]
    list_select_related = ["signoff__commune"]
