"""`python manage.py compile_report MEETING_CODE [--sync]`: queue the next version of a
meeting's progress report, or with --sync compile it here and print the files' paths."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting import services
from reporting.models import Meeting, ReportSource, ReportState


class Command(BaseCommand):
    help = (
        "Queue the next version of a meeting's progress report (a worker compiles it), or "
        "with --sync compile it in the foreground and print the paths of its files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("meeting", help="Meeting code, e.g. COP15 or StC56.")
        parser.add_argument(
            "--sync", action="store_true", help="Compile here and now instead of queueing."
        )

    def handle(self, *args, meeting: str, sync: bool, **options) -> None:
        found = Meeting.objects.filter(code__iexact=meeting.strip()).first()
        if found is None:
            known = ", ".join(Meeting.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                f"There is no meeting with the code {meeting!r}. "
                f"Known meetings: {known or 'none'}.",
                returncode=2,
            )
        report, created = services.report_request(
            meeting=found, user=None, source=ReportSource.COMMAND, queue=not sync
        )
        label = f"{report.document_symbol} version {report.version} (report {report.pk})"
        if not created:
            self.stdout.write(f"{label} is already pending or running.")
        if not sync:
            report.refresh_from_db()
            if report.state == ReportState.DONE:
                # No broker configured: the task ran in this process on commit.
                self._print_files(report, f"Compiled {label}:")
            else:
                self.stdout.write(f"Queued {label}; a worker will compile it.")
            return
        outcome = services.report_compile(report_id=report.pk)
        if outcome.outcome == "busy":
            raise CommandError(f"{label} is being compiled by a worker right now.")
        report.refresh_from_db()
        if report.state != ReportState.DONE:
            raise CommandError(f"{label} failed: {report.error}")
        self._print_files(report, f"Compiled {label}:")

    def _print_files(self, report, heading: str) -> None:
        self.stdout.write(heading)
        for fmt, name in report.files.items():
            try:
                where = default_storage.path(name)
            except NotImplementedError:  # storage without local paths (object storage)
                where = default_storage.url(name)
            self.stdout.write(f"  {fmt}: {where}")
