"""Management commands of the foundation: demo accounts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from partners import permissions

pytestmark = pytest.mark.django_db


def _accounts(output: str) -> dict[str, str]:
    return dict(re.findall(r":\s+(\S+) / (\S+)$", output, flags=re.MULTILINE))


def test_demo_accounts_are_printed_work_and_survive_a_second_run(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_seed")
    call_command("create_demo_accounts")
    first = _accounts(capsys.readouterr().out)
    assert set(first) == {"secretariat", "focal.uz"}

    # django-axes counts sign-ins per request: authenticate() is always given one.
    sign_in = RequestFactory().post("/accounts/login/")
    editor = authenticate(sign_in, username="secretariat", password=first["secretariat"])
    focal = authenticate(sign_in, username="focal.uz", password=first["focal.uz"])
    assert permissions.role_for_user(editor) == "secretariat"
    assert editor.is_staff
    assert permissions.party_for_user(focal).iso2 == "UZ"

    call_command("create_demo_accounts")
    assert _accounts(capsys.readouterr().out) == first
    assert (tmp_path / "demo-accounts.json").stat().st_mode & 0o077 == 0


def test_a_changed_password_is_replaced_and_printed(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("create_demo_accounts")
    first = _accounts(capsys.readouterr().out)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="secretariat")
    user.set_password("changed-elsewhere-123")
    user.save()
    call_command("create_demo_accounts")
    second = _accounts(capsys.readouterr().out)
    assert second["secretariat"] != first["secretariat"]
    sign_in = RequestFactory().post("/accounts/login/")
    assert authenticate(sign_in, username="secretariat", password=second["secretariat"])
