from django.contrib import admin

from .models import IntegrityCheckRun


@admin.register(IntegrityCheckRun)
class IntegrityCheckRunAdmin(admin.ModelAdmin):
    list_display = ["ran_at", "faults"]
    readonly_fields = ["ran_at", "faults", "results"]
