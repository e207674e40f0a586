from __future__ import annotations

from django.contrib import admin

from resolutions.models import (
    Actor,
    EvidenceFile,
    GbfTarget,
    ImportRecord,
    Mandate,
    MandateLink,
    Paragraph,
    ParagraphTranslation,
    Resolution,
    ResolutionTranslation,
    Sdg,
    StatusUpdate,
    UnmatchedPhrase,
)


class ParagraphInline(admin.TabularInline):
    model = Paragraph
    fk_name = "resolution"
    fields = ("order", "part", "number", "heading", "text")
    extra = 0
    show_change_link = True
    ordering = ("order",)


class MandateInline(admin.TabularInline):
    model = Mandate
    fk_name = "resolution"
    fields = ("paragraph", "verb", "actor", "strength", "status", "due_meeting", "cadence")
    readonly_fields = ("status",)
    autocomplete_fields = ("paragraph", "actor")
    extra = 0
    show_change_link = True


class ParagraphTranslationInline(admin.StackedInline):
    model = ParagraphTranslation
    fields = ("language", "heading", "text")
    extra = 0


@admin.register(Resolution)
class ResolutionAdmin(admin.ModelAdmin):
    list_display = ("symbol", "title", "kind", "convention", "adopted_at", "status")
    list_filter = ("convention", "kind", "status", "adopted_at")
    search_fields = ("symbol", "title")
    autocomplete_fields = ("supersedes",)
    inlines = [ParagraphInline, MandateInline]
    readonly_fields = ("created_at", "updated_at")


@admin.register(Paragraph)
class ParagraphAdmin(admin.ModelAdmin):
    list_display = ("__str__", "part", "number", "order")
    list_filter = ("part", "resolution")
    search_fields = ("text", "number", "resolution__symbol")
    list_select_related = ("resolution",)
    raw_id_fields = ("parent",)
    inlines = [ParagraphTranslationInline]


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "order")
    list_filter = ("kind",)
    search_fields = ("name", "slug", "aliases")
    prepopulated_fields = {"slug": ("name",)}


class StatusUpdateInline(admin.TabularInline):
    model = StatusUpdate
    fields = (
        "version",
        "created_at",
        "author",
        "previous_status",
        "status",
        "progress",
        "narrative",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "resolution", "actor", "verb", "strength", "status", "due_meeting")
    list_filter = ("strength", "status", "actor", "resolution", "subject_to_resources")
    search_fields = ("paragraph__text", "verb", "actor__name", "resolution__symbol")
    list_select_related = ("paragraph__resolution", "actor", "resolution", "due_meeting")
    autocomplete_fields = ("paragraph", "actor", "report_to")
    # The current status moves only with a StatusUpdate, written by the services.
    readonly_fields = (
        "status",
        "progress",
        "version",
        "status_changed_at",
        "created_at",
        "updated_at",
    )
    inlines = [StatusUpdateInline]


class EvidenceFileInline(admin.TabularInline):
    model = EvidenceFile
    fields = ("original_name", "content_type", "size", "file")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """Read-only: history is append-only and written through the services."""

    list_display = ("mandate", "version", "status", "progress", "author", "created_at", "source")
    list_filter = ("status", "source", "created_at")
    search_fields = ("narrative", "mandate__paragraph__text", "author__username")
    list_select_related = ("mandate__paragraph__resolution", "mandate__actor", "author")
    date_hierarchy = "created_at"
    inlines = [EvidenceFileInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UnmatchedPhraseInline(admin.TabularInline):
    model = UnmatchedPhrase
    fields = ("label", "verb", "phrase", "line", "state", "actor", "resolved_by", "resolved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    """Read-only: imports are made, corrected and confirmed on the import pages."""

    list_display = ("__str__", "title", "state", "created_by", "created_at", "resolution")
    list_filter = ("state", "kind")
    search_fields = ("symbol", "title", "source_name")
    list_select_related = ("created_by", "resolution")
    fields = (
        "state",
        "symbol",
        "title",
        "kind",
        "convention",
        "adopted_at",
        "supersedes",
        "resolution",
        "source_name",
        "created_by",
        "created_at",
        "imported_at",
        "corrections",
        "source_text",
    )
    readonly_fields = fields
    inlines = [UnmatchedPhraseInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ResolutionTranslation)
class ResolutionTranslationAdmin(admin.ModelAdmin):
    list_display = ("resolution", "language", "title", "imported_by", "updated_at")
    list_filter = ("language", "resolution")
    search_fields = ("title", "resolution__symbol", "resolution__title")
    list_select_related = ("resolution", "imported_by")
    readonly_fields = ("imported_by", "created_at", "updated_at")


@admin.register(ParagraphTranslation)
class ParagraphTranslationAdmin(admin.ModelAdmin):
    list_display = ("paragraph", "language", "updated_at")
    list_filter = ("language", "paragraph__resolution")
    search_fields = ("text", "heading", "paragraph__resolution__symbol")
    list_select_related = ("paragraph__resolution",)
    raw_id_fields = ("paragraph",)


@admin.register(GbfTarget)
class GbfTargetAdmin(admin.ModelAdmin):
    list_display = ["code", "title"]
    search_fields = ["code", "title"]


@admin.register(Sdg)
class SdgAdmin(admin.ModelAdmin):
    list_display = ["number", "title"]


@admin.register(MandateLink)
class MandateLinkAdmin(admin.ModelAdmin):
    """Links are decided on the mandate page (confirm, remove); here they are only read."""

    list_display = ["mandate", "kind", "organisation", "gbf_target", "sdg", "state", "source"]
    list_filter = ["state", "kind", "source"]
    raw_id_fields = ["mandate", "decided_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
