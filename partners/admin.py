from __future__ import annotations

from django.contrib import admin

from partners.models import (
    FocalPoint,
    Organisation,
    Partnership,
    Party,
    PartyEvidenceFile,
    PartyStatus,
)
from resolutions.admin import EvidenceFileInline


class FocalPointInline(admin.TabularInline):
    model = FocalPoint
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "iso2", "iso3", "region", "party_since")
    list_filter = ("region",)
    search_fields = ("name", "iso2", "iso3")
    inlines = [FocalPointInline]


@admin.register(FocalPoint)
class FocalPointAdmin(admin.ModelAdmin):
    list_display = ("user", "party", "created_at")
    list_filter = ("party__region",)
    search_fields = ("user__username", "user__email", "party__name", "party__iso2")
    autocomplete_fields = ("user", "party")
    list_select_related = ("user", "party")


class PartyEvidenceFileInline(EvidenceFileInline):
    model = PartyEvidenceFile


@admin.register(PartyStatus)
class PartyStatusAdmin(admin.ModelAdmin):
    """Read-only: a Party's history is append-only and written through the services."""

    list_display = ("party", "mandate", "version", "status", "author", "created_at")
    list_filter = ("status", "party__region", "created_at")
    search_fields = ("party__name", "party__iso2", "narrative")
    list_select_related = ("party", "mandate__paragraph__resolution", "mandate__actor", "author")
    date_hierarchy = "created_at"
    inlines = [PartyEvidenceFileInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "acronym", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "acronym", "slug")
    prepopulated_fields = {"slug": ("acronym",)}
    inlines = [PartnershipInline]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "kind", "signed_on", "ends_on")
    list_filter = ("kind", "organisation__kind")
    search_fields = ("title", "organisation__name", "organisation__acronym", "notes")
    autocomplete_fields = ("organisation",)
