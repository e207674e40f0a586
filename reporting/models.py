"""Meetings of the Convention's bodies and the progress reports compiled for them."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from resolutions.models import MandateStatus


class Body(models.TextChoices):
    COP = "cop", _("Conference of the Parties")
    STC = "stc", _("Standing Committee")
    SCC = "scc", _("Scientific Council")


#: The prefix of a meeting's short code, per body: COP15, StC53, ScC-SC7.
BODY_CODE_PREFIX = {Body.COP: "COP", Body.STC: "StC", Body.SCC: "ScC"}

#: Meeting codes appear in URLs and document symbols: letters, digits, ".", "-", "_".
MEETING_CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

#: Placeholder for a document number the Secretariat has not assigned yet, as drafts
#: of meeting documents carry it ("UNEP/CMS/COP15/Doc.X").
UNASSIGNED_DOCUMENT_NUMBER = "X"


#: A meeting's name, per body: the article and the agreement with "meeting" differ from
#: one body to the next in French and Spanish.
MEETING_TITLES = {
    Body.COP: _("%(ordinal)s Meeting of the Conference of the Parties"),
    Body.STC: _("%(ordinal)s Meeting of the Standing Committee"),
    Body.SCC: _("%(ordinal)s Meeting of the Scientific Council"),
}


def meeting_ordinal(n: int) -> str:
    """The meeting's number as an ordinal: 1st, 2nd, 14th, 21st (1re, 2e / 1.ª, 2.ª)."""
    if n == 1:
        return pgettext("ordinal of the first meeting", "%(n)sst") % {"n": n}
    if 10 <= n % 100 <= 20 or n % 10 not in (1, 2, 3):
        return pgettext("ordinal of a meeting: 4th, 11th, 12th, 13th", "%(n)sth") % {"n": n}
    if n % 10 == 1:
        return pgettext("ordinal of a meeting: 21st, 31st", "%(n)sst") % {"n": n}
    if n % 10 == 2:
        return pgettext("ordinal of a meeting: 2nd, 22nd", "%(n)snd") % {"n": n}
    return pgettext("ordinal of a meeting: 3rd, 23rd", "%(n)srd") % {"n": n}


class Meeting(models.Model):
    body = models.CharField(max_length=8, choices=Body.choices)
    number = models.PositiveSmallIntegerField()
    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                MEETING_CODE_RE, _("Use letters, digits, dots, hyphens and underscores only.")
            )
        ],
        help_text=_("Short code used in document symbols: COP15, StC53."),
    )
    # Unknown dates stay blank: a wrong date in a meeting document is worse than none.
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    venue = models.CharField(max_length=200, blank=True, help_text=_("City, e.g. Samarkand."))
    country = models.CharField(max_length=100, blank=True)
    document_deadline = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "Date by which meeting documents are due. The progress report is compiled "
            "automatically on that day, with the status as of its start."
        ),
    )
    report_document_number = models.CharField(
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9.]+$", _("Letters, digits and dots only."))],
        help_text=_(
            "Number of the progress report in the meeting's document series: 18 for "
            "UNEP/CMS/COP15/Doc.18. Blank until assigned (the symbol then reads Doc.X)."
        ),
    )
    report_agenda_item = models.CharField(
        max_length=32,
        blank=True,
        help_text=_('Agenda item under which the progress report is presented, e.g. "18.1".'),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "body", "number"]
        constraints = [
            models.UniqueConstraint(fields=["body", "number"], name="meeting_unique_body_number"),
            models.UniqueConstraint(Lower("code"), name="meeting_unique_code_ci"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="meeting_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("reporting:meeting-detail", args=[self.code])

    @property
    def title(self) -> str:
        """The meeting as named in documents: 14th Meeting of the Conference of the Parties
        (in the active language: 14e réunion de la Conférence des Parties)."""
        template = MEETING_TITLES.get(self.body)
        if template is None:
            return f"{meeting_ordinal(self.number)} Meeting of the {self.get_body_display()}"
        return template % {"ordinal": meeting_ordinal(self.number)}

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.venue, self.country) if part)

    @property
    def report_document_symbol(self) -> str:
        """The symbol the next progress report will carry: UNEP/CMS/COP15/Doc.18."""
        number = self.report_document_number or UNASSIGNED_DOCUMENT_NUMBER
        return f"UNEP/CMS/{self.code}/Doc.{number}"


class ReportState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


#: States in which a report is still to be compiled; at most one per meeting.
IN_FLIGHT_STATES = (ReportState.PENDING, ReportState.RUNNING)


class ReportSource(models.TextChoices):
    WEB = "web", _("Browser")
    API = "api", _("API")
    COMMAND = "command", _("Command line")
    SCHEDULE = "schedule", _("Document deadline")


class ReportFormat(models.TextChoices):
    DOCX = "docx", _("Word")
    PDF = "pdf", _("PDF")
    HTML = "html", _("HTML")
    CSV = "csv", _("CSV")
    JSON = "json", _("JSON")


class ProgressReport(models.Model):
    """One version of the progress report for one meeting. Once done, it never changes:
    compiling again makes the next version.

    The row, not the broker, is the source of truth: `state` says whether it still has
    to be compiled, and the sweep re-queues one whose message or worker was lost."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    # Frozen from the meeting when the report is requested: the issued document keeps
    # its symbol even if the meeting's numbering is edited later.
    document_symbol = models.CharField(max_length=64)
    agenda_item = models.CharField(max_length=32, blank=True)
    state = models.CharField(
        max_length=16, choices=ReportState.choices, default=ReportState.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0-100.")
    error = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=ReportSource.choices, default="web")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker has started compiling it."
    )
    task_id = models.CharField(max_length=64, blank=True, help_text="Last Celery task queued.")
    queued_at = models.DateTimeField(null=True, blank=True)
    cut_off = models.DateTimeField(help_text="Status updates after this moment are not counted.")
    period_start = models.DateTimeField(
        null=True, blank=True, help_text="Start of the period covered (the previous meeting)."
    )
    files = models.JSONField(
        default=dict,
        blank=True,
        help_text="Stored file names by format: docx, pdf, html, csv, json.",
    )
    checksums = models.JSONField(
        default=dict, blank=True, help_text="SHA-256 of each stored file, by format."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "version"], name="progressreport_unique_version"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="progressreport_progress_max_100"
            ),
            # Two clicks on "Compile report" cannot queue two versions at once.
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(state__in=IN_FLIGHT_STATES),
                name="progressreport_one_in_flight_per_meeting",
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.meeting.code} progress report v{self.version}"

    def get_absolute_url(self) -> str:
        return f"{self.meeting.get_absolute_url()}#report-v{self.version}"

    @property
    def is_done(self) -> bool:
        return self.state == ReportState.DONE

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT_STATES

    @property
    def file_stem(self) -> str:
        """Base name of the report's files: UNEP-CMS-COP15-Doc.18-v2."""
        return f"{re.sub(r'[^A-Za-z0-9.]+', '-', self.document_symbol)}-v{self.version}"

    def download_url(self, fmt: str) -> str:
        return reverse("reporting:report-download", args=[self.meeting.code, self.version, fmt])


class ReportEntry(models.Model):
    """One mandate as a report froze it at its cut-off. Versions and meetings are
    compared through these rows; the labels are copied so an issued report reads the same
    even after the resolution is edited."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="entries")
    mandate = models.ForeignKey(
        "resolutions.Mandate", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    position = models.PositiveIntegerField(help_text="Order in the report.")
    resolution = models.CharField(max_length=100, help_text="As cited: Resolution 11.10.")
    paragraph = models.CharField(max_length=64)
    actor = models.CharField(max_length=200)
    verb = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=MandateStatus.choices)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["report", "position"]
        verbose_name_plural = "report entries"
        constraints = [
            models.UniqueConstraint(fields=["report", "mandate"], name="reportentry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.resolution} ¶{self.paragraph} {self.actor}: {self.status}"
