"""Template context: the current user's role, so templates show only allowed controls.

Values are callables: templates call them when used, so a page that never asks runs no
query for them.
"""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest

from partners import permissions


def roles(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "user_is_secretariat": partial(permissions.is_secretariat, user),
        "user_party": partial(permissions.party_for_user, user),
    }
