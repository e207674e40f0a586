from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from audit.backups import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` over the database (DATABASE_URL) and MEDIA_ROOT. "
        "What the backup holds replaces what is there."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", type=Path, help="A directory made by `make backup`.")
        parser.add_argument("--database-url", default="", help="Restore into this database.")
        parser.add_argument("--media-root", type=Path, help="Restore files here instead.")

    def handle(self, *args, source: Path, database_url: str, media_root, **options) -> None:
        backup_restore(source=source, database_url=database_url, media_root=media_root)
        self.stdout.write(f"Restored {source}.")
