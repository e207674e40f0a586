from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from audit.backups import backup_create


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into var/backups/<time>/."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, help="Directory to create instead.")

    def handle(self, *args, output: Path | None = None, **options) -> None:
        target = backup_create(output=output)
        self.stdout.write(str(target))
