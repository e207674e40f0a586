"""`python manage.py create_focal_point USERNAME ISO2`: make USERNAME a national focal
point of the Party ISO2 (a member of the "Focal points" group, linked to that Party).

A new user gets a random password, printed once as the last line. An existing user keeps
their password (nothing is printed) and is linked to the Party; a focal point of another
Party is moved to this one. An unknown Party is an error (exit status 2), nothing written.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from partners.models import FocalPoint, Party
from partners.services import focal_point_ensure, new_password


class Command(BaseCommand):
    help = "Create (or link) USERNAME as a focal point of the Party ISO2."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("iso2", help="The Party's ISO 3166-1 alpha-2 code, e.g. UZ.")

    def handle(self, *args, username: str, iso2: str, **options) -> None:
        party = Party.objects.filter(iso2=iso2.upper()).first()
        if party is None:
            raise CommandError(
                f"No Party with the code {iso2!r}: load the list of Parties first "
                "(python manage.py load_seed) or add it in the admin.",
                returncode=2,
            )
        user = get_user_model().objects.filter(username=username).first()
        previous = FocalPoint.objects.select_related("party").filter(user=user).first()
        password = new_password() if user is None else None
        focal_point_ensure(username=username, party=party, password=password)
        if user is None:
            self.stdout.write(f"Created {username}, focal point for {party.name} ({party.iso2}).")
        elif previous is not None and previous.party_id != party.pk:
            self.stdout.write(
                f"Moved {username} from {previous.party.name} to {party.name} ({party.iso2})."
            )
        elif previous is not None:
            self.stdout.write(f"{username} is already a focal point for {party.name}.")
        else:
            self.stdout.write(f"Linked {username} as focal point for {party.name} ({party.iso2}).")
        if password is not None:
            self.stdout.write("Password (shown once):")
            self.stdout.write(password)
