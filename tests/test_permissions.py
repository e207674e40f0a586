"""The role checks every page and endpoint relies on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from partners import permissions
from partners.models import Party
from resolutions.models import Mandate

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(
    secretariat_user, reader_user, focal_point_user, other_focal_point_user, django_user_model
):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "x")
    return {
        "anonymous": AnonymousUser(),
        "reader": reader_user,
        "focal_uz": focal_point_user,
        "focal_br": other_focal_point_user,
        "secretariat": secretariat_user,
        "admin": admin,
    }


def test_roles(users):
    assert {name: permissions.role_for_user(u) for name, u in users.items()} == {
        "anonymous": "anonymous",
        "reader": "reader",
        "focal_uz": "focal_point",
        "focal_br": "focal_point",
        "secretariat": "secretariat",
        "admin": "secretariat",
    }


@pytest.mark.parametrize(
    "check",
    [
        permissions.can_edit_mandate,
        permissions.can_edit_resolutions,
        permissions.can_manage_meetings,
        permissions.can_compile_report,
    ],
)
def test_secretariat_only_checks(users, check):
    allowed = {name for name, user in users.items() if check(user)}
    assert allowed == {"secretariat", "admin"}


def test_party_status_reporting(seed, users):
    uz = Party.objects.get(iso2="UZ")
    to_parties = Mandate.objects.filter(resolution=seed, actor__slug="parties").first()
    to_secretariat = Mandate.objects.filter(resolution=seed, actor__slug="secretariat").first()
    allowed = {
        name
        for name, user in users.items()
        if permissions.can_report_party_status(user, uz, to_parties)
    }
    assert allowed == {"focal_uz", "secretariat", "admin"}
    # Nobody reports a Party status on a mandate that is not addressed to Parties.
    assert not any(
        permissions.can_report_party_status(user, uz, to_secretariat) for user in users.values()
    )


def test_inactive_users_lose_their_role(users):
    for name in ("secretariat", "focal_uz"):
        user = users[name]
        user.is_active = False
        user.save()
        fresh = type(user).objects.get(pk=user.pk)
        assert permissions.role_for_user(fresh) == "reader"
        assert not permissions.can_edit_mandate(fresh)
