"""`python manage.py compile_translations`: the interface's translation catalogues
(locale/<language>/LC_MESSAGES/django.po) compiled into the .mo files Django reads.

Pure Python (polib), so that `make run` needs no GNU gettext; the .mo files are build
output, never committed. A catalogue is compiled again only when its .po is newer.
Fuzzy entries are left out, as msgfmt does, so an unchecked translation never shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def catalogues() -> list[Path]:
    return sorted(
        po for root in settings.LOCALE_PATHS for po in Path(root).glob("*/LC_MESSAGES/*.po")
    )


def compile_catalogue(po_path: Path, *, force: bool = False) -> bool:
    """Write the .mo beside `po_path`; False when it was already up to date."""
    mo_path = po_path.with_suffix(".mo")
    if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return False
    try:
        catalogue = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{po_path}: {exc}") from None
    for entry in catalogue.fuzzy_entries():
        catalogue.remove(entry)
    catalogue.save_as_mofile(str(mo_path))
    return True


class Command(BaseCommand):
    help = "Compile the interface's translation catalogues (.po) into .mo files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile every catalogue.")

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = [po for po in catalogues() if compile_catalogue(po, force=options["force"])]
        if options["verbosity"] >= 1:
            self.stdout.write(f"{len(compiled)} of {len(catalogues())} catalogues compiled.")
