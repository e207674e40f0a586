"""`python manage.py create_api_token USERNAME [--rotate]`: print the user's REST API token.

The token is the last line of the output, alone, so that scripts can take it with
`| tail -n 1`. It is created if the user has none; `--rotate` replaces it. An unknown or
inactive user is an error (exit status 2) and nothing is written.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from partners import permissions
from partners.services import api_token_ensure


class Command(BaseCommand):
    help = "Print USERNAME's REST API token (created if needed) as the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Replace the user's token with a new one; the old one stops working.",
        )

    def handle(self, *args, username: str, rotate: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.", returncode=2)
        if not user.is_active:
            raise CommandError(
                f"{username!r} is inactive: the API refuses an inactive user's token.",
                returncode=2,
            )
        token, created = api_token_ensure(user=user, rotate=rotate)
        state = "New" if created else "Existing"
        role = permissions.role_for_user(user)
        self.stdout.write(
            f"{state} API token for {username} (role: {role}). "
            "Send it as the header  Authorization: Token <token>"
        )
        self.stdout.write(token.key)
