"""`python manage.py load_seed`: the role groups, the actor vocabulary, the known meetings,
the seed resolution and the list of Parties (partners/data/cms-parties.csv; Parties already
in the database are left as they are). Running it again changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from partners.services import groups_sync, parties_load_shipped
from resolutions.seed import seed_load


class Command(BaseCommand):
    help = (
        "Load the roles, actor vocabulary, known meetings, seed resolution and Parties "
        "(idempotent)."
    )

    def handle(self, *args, **options) -> None:
        groups_sync()
        report = seed_load()
        parties = parties_load_shipped()
        self.stdout.write(f"Actors written: {report.actors_written}")
        self.stdout.write(f"Meetings written: {report.meetings_written}")
        for symbol in report.resolutions_created:
            self.stdout.write(f"Resolution {symbol}: loaded")
        for symbol in report.resolutions_present:
            self.stdout.write(f"Resolution {symbol}: already present, left as it is")
        self.stdout.write(
            f"Parties: {len(parties.created)} created, {len(parties.updated)} updated, "
            f"{parties.unchanged} unchanged"
        )
        changed = report.changed or parties.changed
        self.stdout.write(
            self.style.SUCCESS("Seed loaded." if changed else "Seed already up to date.")
        )
