from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)


class EntryInline(admin.TabularInline):
    model = DiagnosticEntry
    extra = 0
    autocomplete_fields = ["sector"]


class IdeaInline(admin.TabularInline):
    model = ProjectIdea
    extra = 0


class ActorInline(admin.TabularInline):
    model = DiagnosticActor
    extra = 0


class ResourceInline(admin.TabularInline):
    model = TerritorialResource
    extra = 0


@admin.register(TerritorialDiagnostic)
class DiagnosticAdmin(SimpleHistoryAdmin):
    list_display = ["commune", "year", "source", "status", "validated_at"]
    list_filter = ["status", "source", "year", "commune__department__region"]
    search_fields = ["commune__name_fr", "commune__pcode"]
    autocomplete_fields = ["commune", "validated_by"]
    list_select_related = ["commune"]
    inlines = [EntryInline, IdeaInline, ActorInline, ResourceInline]


@admin.register(DiagnosticEntry)
class EntryAdmin(SimpleHistoryAdmin):
    list_display = ["need", "sector", "priority_rank", "diagnostic"]
    list_filter = ["sector__ministry", "level"]
    search_fields = ["need", "problem", "locality", "diagnostic__commune__name_fr"]
    autocomplete_fields = ["diagnostic", "sector"]
    list_select_related = ["sector", "diagnostic__commune"]
    show_full_result_count = False


@admin.register(Intervention)
class InterventionAdmin(SimpleHistoryAdmin):
    list_display = ["programme", "ministry", "commune", "start_date", "end_date", "budget"]
    list_filter = ["ministry", "commune__department__region"]
    search_fields = ["programme", "commune__name_fr", "commune__pcode"]
    autocomplete_fields = ["commune", "filiere", "sector", "beneficiaries", "recorded_by"]
    list_select_related = ["ministry", "commune"]
    show_full_result_count = False

