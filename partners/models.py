"""Parties to the Convention, their focal points and their own implementation statuses;
other organisations and the partnerships with them."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resolutions.models import EvidenceFileBase


class Region(models.TextChoices):
    AFRICA = "africa", _("Africa")
    ASIA = "asia", _("Asia")
    EUROPE = "europe", _("Europe")
    OCEANIA = "oceania", _("Oceania")
    SOUTH_CENTRAL_AMERICA_CARIBBEAN = (
        "south_central_america_caribbean",
        _("South and Central America and the Caribbean"),
    )
    NORTH_AMERICA = "north_america", _("North America")


class Party(models.Model):
    """A State (or regional economic integration organisation) Party to the Convention."""

    # ISO 3166-1 alpha-2, upper case; the European Union uses the reserved "EU".
    iso2 = models.CharField(max_length=2, unique=True)
    iso3 = models.CharField(max_length=3, blank=True)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=40, choices=Region.choices)
    # Date the Convention entered into force for the Party; blank when not verified.
    party_since = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(iso2__regex=r"^[A-Z]{2}$"), name="party_iso2_upper"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FocalPoint(models.Model):
    """Links a user to the one Party they report for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="focal_point"
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="focal_points")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["party", "user"]

    def __str__(self) -> str:
        return f"{self.user} ({self.party.iso2})"


class PartyImplementation(models.TextChoices):
    NOT_REPORTED = "not_reported", _("Not reported")
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class PartyStatus(models.Model):
    """One entry of a Party's own status history for a mandate addressed to Parties.
    Append-only; (party, mandate, version) is unique so concurrent reports cannot both
    land on the same version."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="statuses")
    mandate = models.ForeignKey(
        "resolutions.Mandate", on_delete=models.CASCADE, related_name="party_statuses"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=PartyImplementation.choices)
    previous_status = models.CharField(
        max_length=16,
        choices=PartyImplementation.choices,
        default=PartyImplementation.NOT_REPORTED,
    )
    narrative = models.TextField(blank=True)
    evidence_links = models.JSONField(default=list, blank=True)
    as_of = models.DateField(default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_statuses",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["party", "mandate", "-version"]
        verbose_name_plural = "party statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["party", "mandate", "version"], name="partystatus_unique_version"
            )
        ]
        indexes = [
            models.Index(fields=["mandate", "party", "-version"]),
            # A Party's latest status per mandate (the Party page's counts): an index-only
            # scan in the order DISTINCT ON (mandate) wants.
            models.Index(
                fields=["party", "mandate", "-version"],
                include=["status"],
                name="partystatus_party_latest",
            ),
        ]
        # Append-only in the database itself: a correction is a new entry.
        triggers = [
            pgtrigger.Protect(
                name="partystatus_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.party.iso2} {self.mandate_id} v{self.version}: {self.status}"


class PartyEvidenceFile(EvidenceFileBase):
    """A file a Party's report gives as evidence (a national report, a law, a photo)."""

    party_status = models.ForeignKey(PartyStatus, on_delete=models.CASCADE, related_name="files")

    class Meta:
        ordering = ["party_status", "id"]


class OrganisationKind(models.TextChoices):
    CONVENTION = "convention", _("Convention or MEA")
    UN = "un", _("UN body or programme")
    IGO = "igo", _("Intergovernmental organisation")
    NGO = "ngo", _("Non-governmental organisation")
    NETWORK = "network", _("Network or partnership")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """Another convention, an IGO, an NGO or a network such as the BLG."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    acronym = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    url = models.URLField(blank=True)
    description = models.TextField(blank=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Names and acronyms that name it in texts (the importer suggests links).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("synergies") + f"?organisation={self.slug}"


class PartnershipKind(models.TextChoices):
    MOU = "mou", _("Memorandum of understanding")
    JOINT_WORK_PROGRAMME = "jwp", _("Joint work programme")
    AGREEMENT = "agreement", _("Cooperation agreement")
    OTHER = "other", _("Other")


class Partnership(models.Model):
    """A formal arrangement between the Secretariat and an organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="partnerships"
    )
    kind = models.CharField(max_length=16, choices=PartnershipKind.choices)
    title = models.CharField(max_length=300)
    signed_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "-signed_on"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.title}"
