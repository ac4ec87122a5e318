from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Enrolment, Programme


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "start_date", "end_date", "outcome", "note"]


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "owner_type", "ministry", "owner_commune", "partner", "kind",
                    "start_date", "end_date", "budget"]
    list_filter = ["owner_type", "kind", "ministry"]
    search_fields = ["name", "partner"]
    autocomplete_fields = ["ministry", "owner_commune", "communes", "recorded_by"]
    list_select_related = ["ministry", "owner_commune"]
    inlines = [EnrolmentInline]
    show_full_result_count = False


@admin.register(Enrolment)
class EnrolmentAdmin(SimpleHistoryAdmin):
    list_display = ["programme", "organisation", "start_date", "end_date", "outcome"]
    list_filter = ["outcome", "programme__kind"]
    search_fields = ["programme__name", "organisation__name"]
    autocomplete_fields = ["programme", "organisation", "recorded_by"]
    list_select_related = ["programme", "organisation"]
    show_full_result_count = False
