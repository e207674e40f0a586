"""`python manage.py import_parties FILE.csv`: create or update the Parties of a CSV file
(columns iso2,name,region,party_since; see partners/data/README.md).

All or nothing: every bad line is reported as "line N: ..." on stderr, the exit status is
2 and nothing is written. Running it again with the same file changes nothing; a Party
not in the file is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partners.services import PartyFileError, parties_import, parties_read_csv


class Command(BaseCommand):
    help = "Create or update Parties from a CSV file (iso2,name,region,party_since)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The CSV file, UTF-8, with a header line.")

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.", returncode=2) from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8.",
                returncode=2,
            ) from None
        try:
            rows = parties_read_csv(text)
        except PartyFileError as exc:
            for error in exc.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(
                f"{len(exc.errors)} bad line(s); nothing was imported.", returncode=2
            ) from None
        report = parties_import(rows=rows)
        self.stdout.write(
            f"Parties: {len(report.created)} created, {len(report.updated)} updated, "
            f"{report.unchanged} unchanged."
        )
        for iso2 in report.updated:
            self.stdout.write(f"  updated {iso2}")
