"""`python manage.py import_translation FILE --resolution SYMBOL --language fr|es [--dry-run]`

Stores the French or Spanish text of a resolution already imported, paragraph by
paragraph. The text must line up with the English one (the same preamble paragraphs,
operative numbers, sub-paragraphs and annexes): otherwise every paragraph that does not is
listed, the exit status is 2 and nothing is written. Importing the same text again
changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from resolutions.management.commands.import_resolution import (
    BAD_INPUT,
    file_error,
    read_text_file,
)
from resolutions.models import Resolution, TextLanguage
from resolutions.services import resolution_translation_import


class Command(BaseCommand):
    help = "Import the French or Spanish text of a resolution, aligned paragraph by paragraph."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .txt, .pdf or .docx file to read.")
        parser.add_argument(
            "--resolution",
            required=True,
            metavar="SYMBOL_OR_ID",
            help='The English resolution: its symbol ("11.10 (Rev.COP14)") or id.',
        )
        parser.add_argument("--language", required=True, choices=TextLanguage.values)
        parser.add_argument("--convention", default="CMS", help="Convention (default CMS).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        resolution = self._resolution(options["resolution"], options["convention"])
        text = read_text_file(path)
        try:
            outcome = resolution_translation_import(
                resolution=resolution,
                language=options["language"],
                text=text,
                source_name=path.name,
                user=None,
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            problems = [m for messages in exc.message_dict.values() for m in messages]
            raise file_error(
                path, "the text does not line up:\n  " + "\n  ".join(problems)
            ) from None
        language = dict(TextLanguage.choices)[options["language"]]
        self.stdout.write(
            f"{resolution.display_symbol}, {language}: {outcome.created} paragraphs added, "
            f"{outcome.changed} corrected, {outcome.unchanged} unchanged."
        )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")

    @staticmethod
    def _resolution(value: str, convention: str) -> Resolution:
        found = Resolution.objects.filter(convention=convention, symbol=value).first()
        if found is None and value.isdigit():
            found = Resolution.objects.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(f"--resolution: no resolution {value!r}", returncode=BAD_INPUT)
        return found
