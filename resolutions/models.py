"""Resolutions and decisions, their paragraphs, the actors they address, the mandates they
create, and each mandate's status history.

Writes go through `resolutions.services`; nothing here overrides `save()`.
"""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ResolutionKind(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    DECISION = "decision", _("Decision")


class ResolutionStatus(models.TextChoices):
    IN_FORCE = "in_force", pgettext_lazy("resolution status", "In force")
    SUPERSEDED = "superseded", pgettext_lazy("resolution status", "Superseded")
    REPEALED = "repealed", pgettext_lazy("resolution status", "Repealed")


class Resolution(models.Model):
    convention = models.CharField(
        max_length=32, default="CMS", help_text="The convention whose COP adopted the text."
    )
    # Editable data, never a constant: "11.10 (Rev.COP14)", "14.11-14.13".
    symbol = models.CharField(max_length=64)
    kind = models.CharField(
        max_length=16, choices=ResolutionKind.choices, default=ResolutionKind.RESOLUTION
    )
    title = models.CharField(max_length=300)
    adopted_at = models.ForeignKey(
        "reporting.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolutions_adopted",
    )
    status = models.CharField(
        max_length=16, choices=ResolutionStatus.choices, default=ResolutionStatus.IN_FORCE
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    source_text = models.TextField(blank=True, help_text="The text as imported.")
    source_name = models.CharField(max_length=255, blank=True, help_text="Imported file name.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["convention", "symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "symbol"], name="resolution_unique_symbol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_symbol}: {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("resolutions:resolution-detail", args=[self.pk])

    @property
    def display_symbol(self) -> str:
        """The symbol as cited: Resolution 11.10 (Rev.COP14), Decision 14.11."""
        return f"{self.get_kind_display()} {self.symbol}"


class ParagraphPart(models.TextChoices):
    PREAMBLE = "preamble", pgettext_lazy("paragraph part", "Preamble")
    OPERATIVE = "operative", pgettext_lazy("paragraph part", "Operative")
    ANNEX = "annex", pgettext_lazy("paragraph part", "Annex")


class Paragraph(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="paragraphs")
    part = models.CharField(max_length=16, choices=ParagraphPart.choices)
    # Operative numbers as printed: "29", "99.11"; sub-paragraphs "a", "ii". Blank for
    # preamble paragraphs, which are unnumbered.
    number = models.CharField(max_length=32, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    order = models.PositiveIntegerField(help_text="Position in the whole document, from 1.")
    heading = models.CharField(
        max_length=300, blank=True, help_text='Annex title, or a decision\'s "Directed to ...".'
    )
    text = models.TextField()
    # The importer's reading of an operative paragraph, as imported: every directive
    # with its verb, phrases and actors, declaratory ones included. Mandates are the
    # tracked, editable rows made from it; this stays for display and revision diffs.
    reading = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["resolution", "order"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "order"], name="paragraph_unique_order")
        ]
        indexes = [models.Index(fields=["resolution", "part", "order"])]

    def __str__(self) -> str:
        label = self.number or f"{self.get_part_display().lower()} {self.order}"
        return f"{self.resolution.symbol} ¶{label}"

    @property
    def label(self) -> str:
        """The paragraph's number as cited: "29", "29 (a)"."""
        if self.parent_id and self.parent is not None:
            return f"{self.parent.label} ({self.number})"
        return self.number


class ActorKind(models.TextChoices):
    BODY = "body", _("CMS body")
    GOVERNMENT = "government", _("Governments")
    INSTRUMENT = "instrument", _("CMS instrument")
    ORGANISATION = "organisation", _("Organisations")
    COMMUNITY = "community", _("Communities and stakeholders")


class Actor(models.Model):
    """An addressee of resolutions, from a controlled vocabulary that grows as data."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ActorKind.choices)
    aliases = models.JSONField(
        default=list, blank=True, help_text="Phrases that name this actor in texts."
    )
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=100, help_text="Display order.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("resolutions:actor-detail", args=[self.slug])


class Strength(models.TextChoices):
    DIRECTIVE = "directive", pgettext_lazy("mandate strength", "Directive")
    EXHORTATION = "exhortation", pgettext_lazy("mandate strength", "Exhortation")


class MandateStatus(models.TextChoices):
    NOT_STARTED = "not_started", pgettext_lazy("mandate status", "Not started")
    IN_PROGRESS = "in_progress", pgettext_lazy("mandate status", "In progress")
    COMPLETED = "completed", pgettext_lazy("mandate status", "Completed")
    ONGOING = "ongoing", pgettext_lazy("mandate status", "Ongoing")
    DELAYED = "delayed", pgettext_lazy("mandate status", "Delayed")
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("mandate status", "Not applicable")
    SUPERSEDED = "superseded", pgettext_lazy("mandate status", "Superseded")


class Cadence(models.TextChoices):
    NONE = "", pgettext_lazy("cadence", "None")
    EACH_MEETING = "each_meeting", _("At each meeting")
    ANNUAL = "annual", _("Every year")


class Mandate(models.Model):
    """One directive of one paragraph for one actor: what to track."""

    # Copied from paragraph.resolution by the services (paragraphs never move between
    # resolutions), so that the admin can show mandates inline on their resolution and
    # lists can filter by resolution on an indexed column.
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="mandates")
    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="mandates")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="mandates")
    position = models.PositiveIntegerField(
        default=100, help_text="Order within the paragraph: by directive, then by addressee."
    )
    verb = models.CharField(max_length=32, help_text='Lemma: "request", "encourage", "call_on".')
    verb_phrase = models.CharField(
        max_length=64, blank=True, help_text='As written: "Further requests".'
    )
    addressee_phrase = models.CharField(
        max_length=300, blank=True, help_text='As written: "the Executive Secretary".'
    )
    strength = models.CharField(max_length=16, choices=Strength.choices)
    subject_to_resources = models.BooleanField(
        default=False, help_text='The text says "subject to the availability of resources".'
    )
    due_meeting = models.ForeignKey(
        "reporting.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mandates_due",
    )
    cadence = models.CharField(max_length=16, choices=Cadence.choices, blank=True, default="")
    report_to = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports_received",
        help_text="Body the actor reports to, with the cadence or due meeting.",
    )
    # Current state, kept in step with the latest StatusUpdate by the services.
    status = models.CharField(
        max_length=16, choices=MandateStatus.choices, default=MandateStatus.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    # Number of status updates so far. A writer names the version it read; the update
    # is refused when another landed first (optimistic concurrency, no lost updates).
    version = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resolution", "paragraph__order", "position", "actor__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["paragraph", "verb", "actor"], name="mandate_unique_directive"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__isnull=True) | models.Q(progress__lte=100),
                name="mandate_progress_max_100",
            ),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["actor", "status"]),
            models.Index(fields=["updated_at", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.paragraph} {self.verb} {self.actor.slug}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("resolutions:mandate-detail", args=[self.pk])

    def shown_links(self) -> list[MandateLink]:
        """The links shown (suggested and confirmed), in display order: the list that
        `selectors.links_prefetch` attached, else one query."""
        prefetched = self.__dict__.get("visible_links")
        if prefetched is not None:
            return prefetched
        from resolutions.selectors import visible_links

        return list(visible_links().filter(mandate=self))

    @property
    def is_overdue(self) -> bool:
        """Due at a meeting that has started, and not done."""
        meeting = self.due_meeting
        return mandate_is_overdue(None if meeting is None else meeting.start_date, self.status)


def mandate_is_overdue(
    due_start: dt.date | None, status: str, *, today: dt.date | None = None
) -> bool:
    """A mandate due at a meeting starting on `due_start` is overdue under `status` once the
    meeting has started (by `today`, default the local date), unless the status closes it
    (Mandate.is_overdue, API rows)."""
    return (
        due_start is not None
        and due_start <= (today or timezone.localdate())
        and status not in CLOSED_STATUSES
    )


#: Statuses under which a mandate asks nothing more of its actor.
CLOSED_STATUSES = frozenset(
    {MandateStatus.COMPLETED, MandateStatus.NOT_APPLICABLE, MandateStatus.SUPERSEDED}
)


class UpdateSource(models.TextChoices):
    WEB = "web", pgettext_lazy("update source", "Browser")
    BULK = "bulk", _("Bulk update")
    API = "api", _("API")
    IMPORT = "import", pgettext_lazy("update source", "Import")


class StatusUpdate(models.Model):
    """One entry of a mandate's history. Append-only: a correction is a new entry."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="updates")
    # The mandate version this update created; (mandate, version) is unique, so of two
    # writers that read the same version only one can land.
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=MandateStatus.choices)
    previous_status = models.CharField(max_length=16, choices=MandateStatus.choices)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    narrative = models.TextField(blank=True)
    evidence_links = models.JSONField(default=list, blank=True)
    as_of = models.DateField(default=timezone.localdate, help_text="Date the status holds for.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_updates",
    )
    source = models.CharField(max_length=16, choices=UpdateSource.choices, default="web")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["mandate", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "version"], name="statusupdate_unique_version"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__isnull=True) | models.Q(progress__lte=100),
                name="statusupdate_progress_max_100",
            ),
        ]
        # Append-only in the database itself, whatever the write path: a correction is a
        # new entry. (PostgreSQL only; SQLite has no triggers.)
        triggers = [
            pgtrigger.Protect(
                name="statusupdate_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.mandate} v{self.version}: {self.status}"


def evidence_upload_to(instance: EvidenceFileBase, filename: str) -> str:
    return f"evidence/{timezone.now():%Y/%m}/{filename}"


class EvidenceFileBase(models.Model):
    """A file given as evidence: stored under MEDIA_ROOT, checked by
    `resolutions.evidence.evidence_files_check` before it is saved, served only as a
    download (`resolutions.evidence.evidence_response`)."""

    file = models.FileField(upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class EvidenceFile(EvidenceFileBase):
    """A file attached to a Secretariat status update as evidence."""

    status_update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="files")

    class Meta:
        ordering = ["status_update", "id"]


class MandateNarratives(models.Model):
    """One full-text search document per mandate: every narrative written about it, the
    Secretariat's and the Parties', so that a search reads one GIN index over mandates
    instead of collecting matches from a million status updates.

    PostgreSQL only, and written only by the database: triggers on the insert of a status
    update or a Party status add the new narrative's tsvector
    (resolutions/migrations/0008_mandate_narratives.py); `resolutions.search` rebuilds it
    all after a bulk load. History is append-only, so adding is all it ever needs. The
    document keeps lexemes without positions (small, checked fast), so phrase searches
    read the histories instead. On the embedded SQLite default the table stays empty and
    search reads the narratives."""

    mandate = models.OneToOneField(
        Mandate, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    search_vector = SearchVectorField()

    class Meta:
        verbose_name_plural = "mandate narratives"

    def __str__(self) -> str:
        return f"Narratives of mandate {self.mandate_id}"


# --- Import -------------------------------------------------------------------------------


class ImportState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("import state", "Draft")
    IMPORTED = "imported", pgettext_lazy("import state", "Imported")
    DISCARDED = "discarded", pgettext_lazy("import state", "Discarded")


class ImportRecord(models.Model):
    """One import of a resolution text: the text, the importer's reading of it with a
    person's corrections applied, the details to store it under, and what came of it.
    A draft until confirmed; then `resolution` is what was created."""

    state = models.CharField(max_length=16, choices=ImportState.choices, default="draft")
    source_name = models.CharField(max_length=255, blank=True, help_text="Uploaded file name.")
    source_text = models.TextField(help_text="The text as read from the file or pasted.")
    # The reading shown and stored: parse_resolution's output with `corrections` applied.
    reading = models.JSONField(default=dict, blank=True)
    # A person's corrections of directives: {"<paragraph label>#<directive index>":
    # {"verb": ..., "actors": [...]}}. Kept apart so that a new reading (another adopting
    # meeting, a new alias) keeps them.
    corrections = models.JSONField(default=dict, blank=True)
    convention = models.CharField(max_length=32, default="CMS")
    symbol = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=300, blank=True)
    kind = models.CharField(
        max_length=16, choices=ResolutionKind.choices, default=ResolutionKind.RESOLUTION
    )
    adopted_at = models.ForeignKey(
        "reporting.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    supersedes = models.ForeignKey(
        Resolution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.ForeignKey(
        Resolution, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolution_imports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-created_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.symbol or self.source_name or 'text'} ({self.state})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("resolutions:import-preview", args=[self.pk])


class PhraseState(models.TextChoices):
    OPEN = "open", pgettext_lazy("phrase state", "To map")
    MAPPED = "mapped", pgettext_lazy("phrase state", "Mapped to an actor")
    DISMISSED = "dismissed", pgettext_lazy("phrase state", "Not an addressee")


class UnmatchedPhrase(models.Model):
    """An addressee phrase the importer could not map to a known actor ("the Ramsar
    Regional Initiatives"). Kept until a person maps it to an actor (which adds the
    phrase as an alias, and the mandate when already imported) or dismisses it."""

    import_record = models.ForeignKey(
        ImportRecord, on_delete=models.CASCADE, related_name="phrases"
    )
    resolution = models.ForeignKey(
        Resolution,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="unmatched_phrases",
    )
    paragraph = models.ForeignKey(
        Paragraph, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    label = models.CharField(max_length=64, help_text='Paragraph as cited: "4", "2 (b)".')
    directive_index = models.PositiveSmallIntegerField()
    verb = models.CharField(max_length=32)
    phrase = models.CharField(max_length=300)
    line = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=PhraseState.choices, default="open")
    actor = models.ForeignKey(
        Actor, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["import_record", "id"]
        indexes = [models.Index(fields=["state", "import_record"])]

    def __str__(self) -> str:
        return f"¶{self.label} {self.verb}: {self.phrase}"


# --- Texts in the Convention's other official languages -----------------------------------


class TextLanguage(models.TextChoices):
    """Languages a resolution's text can be held in besides English, the language it is
    imported and read in."""

    FRENCH = "fr", "Français"
    SPANISH = "es", "Español"


class ResolutionTranslation(models.Model):
    """The text of a resolution in another official language, as imported. Its
    paragraphs line up one to one with the English ones (ParagraphTranslation)."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=8, choices=TextLanguage.choices)
    title = models.CharField(max_length=300)
    source_name = models.CharField(max_length=255, blank=True)
    source_text = models.TextField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resolution", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", "language"], name="resolution_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resolution.symbol} ({self.language})"


class ParagraphTranslation(models.Model):
    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8, choices=TextLanguage.choices)
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["paragraph", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["paragraph", "language"], name="paragraph_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.paragraph} ({self.language})"


# --- Synergies: links of mandates to other conventions, organisations and goals ----------


class GbfTarget(models.Model):
    """A target of the Kunming-Montreal Global Biodiversity Framework (CBD decision 15/4)."""

    code = models.CharField(max_length=8, unique=True, help_text='"T1" to "T23".')
    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=300, help_text="Short title as published by the CBD.")
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "GBF target"

    def __str__(self) -> str:
        return f"Target {self.number}: {self.title}"


class Sdg(models.Model):
    """One of the 17 Sustainable Development Goals."""

    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["number"]
        verbose_name = "Sustainable Development Goal"

    def __str__(self) -> str:
        return f"SDG {self.number}: {self.title}"


class LinkKind(models.TextChoices):
    ORGANISATION = "organisation", _("Convention or organisation")
    GBF_TARGET = "gbf_target", _("GBF target")
    SDG = "sdg", _("Sustainable Development Goal")


class LinkState(models.TextChoices):
    # Proposed by the importer from the paragraph's text; never shown as confirmed.
    SUGGESTED = "suggested", pgettext_lazy("link state", "Suggested")
    CONFIRMED = "confirmed", pgettext_lazy("link state", "Confirmed")
    # Removed by the Secretariat. Kept so that a later import does not suggest it again;
    # never shown as a link.
    REJECTED = "rejected", pgettext_lazy("link state", "Removed")


class LinkSource(models.TextChoices):
    IMPORTER = "importer", pgettext_lazy("link source", "Importer")
    PERSON = "person", _("Added by a person")


class MandateLink(models.Model):
    """A mandate's link to one convention or organisation, GBF target or SDG: exactly one
    of `organisation`, `gbf_target`, `sdg` is set, matching `kind`."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mandate_links",
    )
    gbf_target = models.ForeignKey(
        GbfTarget, on_delete=models.CASCADE, null=True, blank=True, related_name="mandate_links"
    )
    sdg = models.ForeignKey(
        Sdg, on_delete=models.CASCADE, null=True, blank=True, related_name="mandate_links"
    )
    state = models.CharField(max_length=16, choices=LinkState.choices, default="suggested")
    source = models.CharField(max_length=16, choices=LinkSource.choices, default="importer")
    phrase = models.CharField(
        max_length=300, blank=True, help_text="The words of the paragraph that suggested it."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["mandate", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="organisation",
                        organisation__isnull=False,
                        gbf_target__isnull=True,
                        sdg__isnull=True,
                    )
                    | models.Q(
                        kind="gbf_target",
                        organisation__isnull=True,
                        gbf_target__isnull=False,
                        sdg__isnull=True,
                    )
                    | models.Q(
                        kind="sdg",
                        organisation__isnull=True,
                        gbf_target__isnull=True,
                        sdg__isnull=False,
                    )
                ),
                name="mandatelink_one_target",
            ),
            models.UniqueConstraint(
                fields=["mandate", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="mandatelink_unique_organisation",
            ),
            models.UniqueConstraint(
                fields=["mandate", "gbf_target"],
                condition=models.Q(gbf_target__isnull=False),
                name="mandatelink_unique_gbf_target",
            ),
            models.UniqueConstraint(
                fields=["mandate", "sdg"],
                condition=models.Q(sdg__isnull=False),
                name="mandatelink_unique_sdg",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"])]

    def __str__(self) -> str:
        return f"{self.mandate_id} → {self.target} ({self.state})"

    @property
    def target(self) -> models.Model:
        return self.organisation or self.gbf_target or self.sdg  # type: ignore[return-value]

    @property
    def target_key(self) -> str:
        """The slug, code or number the API filters take: ramsar, T21, 17."""
        if self.organisation_id:
            return self.organisation.slug  # type: ignore[union-attr]
        if self.gbf_target_id:
            return self.gbf_target.code  # type: ignore[union-attr]
        return str(self.sdg.number)  # type: ignore[union-attr]

    @property
    def label(self) -> str:
        if self.organisation_id:
            org = self.organisation
            return org.acronym or org.name  # type: ignore[union-attr]
        if self.gbf_target_id:
            return f"GBF {self.gbf_target.code}"  # type: ignore[union-attr]
        return f"SDG {self.sdg.number}"  # type: ignore[union-attr]

    @property
    def title(self) -> str:
        if self.organisation_id:
            return self.organisation.name  # type: ignore[union-attr]
        if self.gbf_target_id:
            return self.gbf_target.title  # type: ignore[union-attr]
        return self.sdg.title  # type: ignore[union-attr]
