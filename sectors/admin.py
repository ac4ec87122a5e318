from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Filiere, Ministry, Sector


class SectorInline(admin.TabularInline):
    model = Sector
    fields = ["code", "name_fr", "name_en"]
    extra = 0
    show_change_link = True


class FiliereInline(admin.TabularInline):
    model = Filiere
    fields = ["code", "name_fr", "name_en"]
    extra = 0
    show_change_link = True


@admin.register(Ministry)
class MinistryAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name_fr", "name_en", "sector_count"]
    search_fields = ["acronym", "name_fr", "name_en"]
    inlines = [SectorInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_sectors=Count("sectors"))

    @admin.display(description=_("sectors"), ordering="_sectors")
    def sector_count(self, obj):
        return obj._sectors


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_en", "ministry", "filiere_count"]
    list_filter = ["ministry"]
    list_select_related = ["ministry"]
    search_fields = ["code", "name_fr", "name_en", "ministry__acronym"]
    autocomplete_fields = ["ministry"]
    inlines = [FiliereInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_filieres=Count("filieres"))

    @admin.display(description=_("filières"), ordering="_filieres")
    def filiere_count(self, obj):
        return obj._filieres


@admin.register(Filiere)
class FiliereAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_en", "sector", "ministry"]
    list_filter = ["sector__ministry", "sector"]
    list_select_related = ["sector__ministry"]
    search_fields = ["code", "name_fr", "name_en", "sector__code"]
    autocomplete_fields = ["sector"]

    @admin.display(description=_("supervising ministry"), ordering="sector__ministry__acronym")
    def ministry(self, obj):
        return obj.sector.ministry
