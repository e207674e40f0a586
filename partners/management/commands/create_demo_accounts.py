"""`python manage.py create_demo_accounts`: one Secretariat editor and one focal point
(for Uzbekistan, host of COP14), for trying the application locally.

Passwords are random, kept in var/demo-accounts.json (never committed) and printed on
every run; a password that no longer matches (changed in the admin) is replaced.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from partners.models import Region
from partners.services import (
    focal_point_ensure,
    new_password,
    party_from_iso,
    secretariat_user_ensure,
)

SECRETARIAT_USERNAME = "secretariat"
FOCAL_POINT_USERNAME = "focal.uz"
FOCAL_POINT_PARTY = ("UZ", Region.ASIA)


class Command(BaseCommand):
    help = "Create (or refresh) the demo accounts and print their user names and passwords."

    def handle(self, *args, **options) -> None:
        store = settings.VAR_DIR / "demo-accounts.json"
        saved: dict[str, str] = {}
        if store.exists():
            saved = json.loads(store.read_text(encoding="utf-8"))

        def password_for(username: str) -> tuple[str, bool]:
            """The saved password if it still works, else a new one (True: set it)."""
            user = get_user_model().objects.filter(username=username).first()
            known = saved.get(username)
            if user is not None and known and user.check_password(known):
                return known, False
            return new_password(), True

        password, reset = password_for(SECRETARIAT_USERNAME)
        secretariat_user_ensure(username=SECRETARIAT_USERNAME, password=password if reset else None)
        saved[SECRETARIAT_USERNAME] = password

        iso2, region = FOCAL_POINT_PARTY
        party = party_from_iso(iso2, region=region)
        fp_password, fp_reset = password_for(FOCAL_POINT_USERNAME)
        focal_point_ensure(
            username=FOCAL_POINT_USERNAME,
            party=party,
            password=fp_password if fp_reset else None,
        )
        saved[FOCAL_POINT_USERNAME] = fp_password

        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(saved, indent=1), encoding="utf-8")
        store.chmod(0o600)

        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        self.stdout.write(f"  Secretariat editor: {SECRETARIAT_USERNAME} / {password}")
        self.stdout.write(f"  Focal point for {party.name}: {FOCAL_POINT_USERNAME} / {fp_password}")
