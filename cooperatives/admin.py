from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User

from .consent import CONTACT_FIELDS, contact_shown
from .history import history_filieres_refresh
from .models import (
    BureauMember,
    ChangeRequest,
    CooperationLink,
    DuplicateFlag,
    ImportJob,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    ProjectTerritory,
    RegistryEvent,
    Reless,
    RoleAssignment,
    TerritoryMembership,
    VerificationVisit,
)


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["commune", "organisation", "ministry", "department", "region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "commune", "organisation", "ministry", "department",
                    "region"]
    list_filter = ["role"]
    search_fields = ["user__username", "commune__name_fr", "organisation__name"]
    autocomplete_fields = ["user", "commune", "organisation", "ministry", "department",
                           "region"]
    list_select_related = ["user", "commune", "organisation", "ministry", "department",
                           "region"]


class FiliereInline(admin.TabularInline):
    model = OrganisationFiliere
    extra = 1
    autocomplete_fields = ["filiere"]


class EventInline(admin.TabularInline):
    model = RegistryEvent
    extra = 0


class LabelInline(admin.TabularInline):
    model = OrganisationLabel
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "acronym", "legal_form", "status", "commune", "members_total"]
    list_filter = ["status", "legal_form", "member_interest", "commune__department__region"]
    search_fields = ["name", "acronym", "rsc_number", "niu", "ues_number", "commune__name_fr",
                     "commune__pcode"]
    autocomplete_fields = ["commune", "primary_filiere", "parent_union", "converted_from_gic"]
    list_select_related = ["commune"]
    inlines = [FiliereInline, EventInline, LabelInline]
    show_full_result_count = False  # no COUNT(*) over 200,000 rows on every page
    readonly_fields = ["contact_consent"]  # the consent page records it, with its proof

    def get_exclude(self, request, obj=None):
        """A contact without its person's consent is not shown here either."""
        if obj is not None and not contact_shown(obj):
            return [*CONTACT_FIELDS]
        return super().get_exclude(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The inline filières are saved after the history record: give it the new set.
        history_filieres_refresh([form.instance.pk])


@admin.register(OrganisationLabel)
class OrganisationLabelAdmin(SimpleHistoryAdmin):
    list_display = ["organisation", "kind", "name", "certifier", "number", "valid_until"]
    list_filter = ["kind"]
    search_fields = ["organisation__name", "name", "certifier", "number"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]


@admin.register(CooperationLink)
class CooperationLinkAdmin(SimpleHistoryAdmin):
    list_display = ["source", "target", "kind", "status", "start_date", "end_date"]
    list_filter = ["status", "kind"]
    search_fields = ["source__name", "target__name"]
    autocomplete_fields = ["source", "target"]
    list_select_related = ["source", "target"]
    show_full_result_count = False


class BureauInline(admin.TabularInline):
    model = BureauMember
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Reless)
class RelessAdmin(SimpleHistoryAdmin):
    list_display = ["name", "commune", "status", "founded_on"]
    list_filter = ["status", "commune__department__region"]
    search_fields = ["name", "commune__name_fr", "commune__pcode"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]
    inlines = [BureauInline]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = ["organisation", "requested_by", "status", "created_at", "reviewer"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "requested_by__username"]
    autocomplete_fields = ["organisation", "requested_by", "reviewer"]
    list_select_related = ["organisation", "requested_by", "reviewer"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the platform's own pages write (imports, duplicate decisions): the admin lists
    them for oversight and never changes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "commune", "uploader", "dry_run", "status", "rows_total",
                    "created_count", "updated_count", "refused_count", "created_at"]
    list_filter = ["status", "dry_run"]
    search_fields = ["file_name", "commune__pcode", "commune__name_fr", "uploader__username"]
    list_select_related = ["commune", "uploader"]
    exclude = ["content"]  # the uploaded file holds contacts: never shown back


@admin.register(DuplicateFlag)
class DuplicateFlagAdmin(ReadOnlyAdmin):
    list_display = ["org_a", "org_b", "reasons", "status", "reviewer", "decided_at",
                    "created_at"]
    list_filter = ["status"]
    search_fields = ["org_a__name", "org_b__name"]
    list_select_related = ["org_a", "org_b", "reviewer"]


@admin.register(VerificationVisit)
class VerificationVisitAdmin(admin.ModelAdmin):
    """Visits are recorded on the organisation's page (cooperatives.verification keeps the
    organisation's latest in step); here they are listed, and a note naming a person may be
    corrected."""

    list_display = ["organisation", "visited_on", "outcome", "visited_by", "recorded_at"]
    list_filter = ["outcome"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation", "visited_by"]
    readonly_fields = ["organisation", "visited_on", "outcome", "new_locality", "latitude",
                       "longitude", "visited_by", "recorded_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    """Members over time: end a membership (member until) rather than delete it, so that
    past years' territory reports keep their members."""

    model = TerritoryMembership
    extra = 1
    autocomplete_fields = ["commune"]
    readonly_fields = ["confirmed_by", "confirmed_at"]


@admin.register(ProjectTerritory)
class ProjectTerritoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "purpose", "filiere", "status"]
    list_filter = ["purpose", "status"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["filiere"]
    readonly_fields = ["proposed_by", "created_at"]
    inlines = [MembershipInline]
