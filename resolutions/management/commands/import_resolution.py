"""`python manage.py import_resolution FILE [--symbol S] [--title T] [--dry-run] [--json]`

Reads a resolution or decision (.txt, .pdf, .docx) and stores it: paragraphs, directives,
one mandate per tracked verb and actor, with reporting obligations and deadlines.
Addressee phrases no actor matches are kept for a person to map in the browser.

With --dry-run nothing is written; with --json the reading is printed as one JSON object
(DESIGN.md §6). Bad input (empty, binary, unreadable or too large file, no operative
part, a symbol that exists ...) ends with exit status 2 and a message naming the problem
and the line where there is one; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from reporting.models import Meeting
from resolutions import selectors, vocabulary
from resolutions.documents import text_from_file
from resolutions.models import Resolution, ResolutionKind
from resolutions.parsing import ParseError, iter_operative, parse_resolution
from resolutions.services import import_record_confirm, import_record_create

BAD_INPUT = 2


def file_error(path: Path, problem: ParseError | str) -> CommandError:
    return CommandError(f"{path}: {problem}", returncode=BAD_INPUT)


def read_text_file(path: Path) -> str:
    """The text of a .txt, .pdf or .docx file; CommandError (exit status 2) naming the
    problem for a file that is missing, too large, binary or unreadable."""
    limit = settings.IMPORT_MAX_BYTES
    try:
        size = path.stat().st_size
        if size > limit:  # refused before reading it into memory
            raise file_error(path, f"the file is too large: {size:,} bytes; the limit is {limit:,}")
        data = path.read_bytes()
    except IsADirectoryError:
        raise file_error(path, "is a directory, not a file") from None
    except OSError as exc:
        raise file_error(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return text_from_file(data, name=path.name, max_bytes=limit)
    except ParseError as exc:
        raise file_error(path, exc) from None


class Command(BaseCommand):
    help = "Import a resolution or decision from a text, PDF or Word (.docx) file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .txt, .pdf or .docx file to read.")
        parser.add_argument("--symbol", default="", help='Symbol, e.g. "11.10 (Rev.COP14)".')
        parser.add_argument("--title", default="", help="Title (default: read from the text).")
        parser.add_argument(
            "--kind",
            choices=ResolutionKind.values,
            default="",
            help="resolution or decision (default: read from the text).",
        )
        parser.add_argument(
            "--adopted-at",
            default="",
            metavar="MEETING_CODE",
            help="Code of the adopting meeting, e.g. COP14 (default: read from the text); "
            'it resolves deadlines such as "before the next meeting".',
        )
        parser.add_argument(
            "--supersedes",
            default="",
            metavar="SYMBOL",
            help="Symbol of the resolution in force this text revises: it is marked "
            "superseded and unchanged mandates keep their status history.",
        )
        parser.add_argument("--convention", default="CMS", help="Convention (default CMS).")
        parser.add_argument("--dry-run", action="store_true", help="Read only; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print the reading as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        text = read_text_file(path)
        adopted_at = self._meeting(options["adopted_at"])
        supersedes = self._superseded(options["supersedes"], options["convention"])
        if options["dry_run"]:
            try:
                reading = parse_resolution(
                    text,
                    actors=selectors.actor_vocabulary(),
                    adopted_at=adopted_at.code if adopted_at else None,
                    max_chars=settings.IMPORT_MAX_BYTES,
                )
            except ParseError as exc:
                raise self._error(path, exc) from None
            self._report(reading, options, written=None)
            return
        try:
            with transaction.atomic():
                record = import_record_create(
                    user=None,
                    text=text,
                    source_name=path.name,
                    symbol=options["symbol"],
                    title=options["title"],
                    kind=options["kind"],
                    adopted_at=adopted_at,
                    supersedes=supersedes,
                    convention=options["convention"],
                )
                resolution = import_record_confirm(record=record, user=None)
        except ParseError as exc:
            raise self._error(path, exc) from None
        except ValidationError as exc:
            raise self._error(path, _validation_message(exc)) from None
        self._report(record.reading, options, written=resolution, record_id=record.pk)

    # -- input -------------------------------------------------------------------------

    def _meeting(self, code: str) -> Meeting | None:
        if not code:
            return None
        meeting = Meeting.objects.filter(code__iexact=code).first()
        if meeting is None:
            known = ", ".join(Meeting.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                f"--adopted-at: no meeting {code!r}; known meetings: {known}", returncode=BAD_INPUT
            )
        return meeting

    def _superseded(self, symbol: str, convention: str) -> Resolution | None:
        if not symbol:
            return None
        resolution = Resolution.objects.filter(convention=convention, symbol=symbol).first()
        if resolution is None:
            raise CommandError(
                f"--supersedes: no resolution {convention} {symbol!r}", returncode=BAD_INPUT
            )
        return resolution

    @staticmethod
    def _error(path: Path, problem: ParseError | str) -> CommandError:
        return file_error(path, problem)

    # -- output ------------------------------------------------------------------------

    def _report(
        self,
        reading: dict[str, Any],
        options: dict[str, Any],
        *,
        written: Resolution | None,
        record_id: int | None = None,
    ) -> None:
        if options["json"]:
            out = dict(reading)
            if written is not None:
                out["resolution"] = {
                    "id": written.pk,
                    "symbol": written.symbol,
                    "url": written.get_absolute_url(),
                }
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=1))
            return
        title = written.title if written else reading.get("title") or "(no title found)"
        self.stdout.write(title)
        self.stdout.write(
            f"{len(reading['preamble'])} preamble paragraphs, {len(reading['operative'])} "
            f"operative paragraphs, {len(reading['annexes'])} annexes"
        )
        unmatched = []
        for label, item in iter_operative(reading):
            for directive in item["directives"]:
                actors = ", ".join(directive["actors"]) or "-"
                extra = []
                if directive.get("report_to"):
                    extra.append(f"reports to {directive['report_to']}")
                if directive.get("cadence"):
                    extra.append(directive["cadence"].replace("_", " "))
                if directive.get("due_meeting"):
                    extra.append(f"due {directive['due_meeting']}")
                if directive.get("subject_to_resources"):
                    extra.append("subject to resources")
                strength = vocabulary.strength_of(directive["verb"])
                note = f" ({'; '.join(extra)})" if extra else ""
                self.stdout.write(f"  {label:>8}  {directive['verb']} [{strength}]: {actors}{note}")
                unmatched.extend((label, directive, p) for p in directive.get("unmatched", []))
        if unmatched:
            self.stdout.write("Addressees to map to an actor:")
            for label, directive, phrase in unmatched:
                self.stdout.write(f"  paragraph {label} ({directive['verb']}): {phrase!r}")
        for warning in reading.get("warnings", []):
            where = f"line {warning['line']}: " if warning.get("line") else ""
            self.stdout.write(self.style.WARNING(f"  {where}{warning['message']}"))
        if written is None:
            self.stdout.write("Dry run: nothing was written.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {written.display_symbol} ({written.mandates.count()} mandates): "
                f"{written.get_absolute_url()}"
            )
        )
        if unmatched and record_id is not None:
            self.stdout.write(f"Map the addressees at /imports/{record_id}/")


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{'' if field == '__all__' else field + ': '}{' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
