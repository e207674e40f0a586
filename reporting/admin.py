from __future__ import annotations

from django.contrib import admin

from reporting.models import Meeting, ProgressReport


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "body",
        "number",
        "start_date",
        "end_date",
        "venue",
        "country",
        "document_deadline",
        "report_document_number",
    )
    list_filter = ("body",)
    search_fields = ("code", "venue", "country")
    date_hierarchy = "start_date"


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    """Read-only: reports are compiled by the reporting services, never edited."""

    list_display = (
        "meeting",
        "version",
        "document_symbol",
        "state",
        "progress",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "meeting__body")
    search_fields = ("meeting__code", "error")
    list_select_related = ("meeting", "requested_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
