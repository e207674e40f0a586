"""`python manage.py create_api_token USERNAME`: the token is the last line of the output,
it is reused until rotated, and it acts with its user's role."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from resolutions.models import Mandate
from tests.api_helpers import mandate_etag, post_status_update, problem
from tests.processes import manage

ROOT = Path(__file__).resolve().parent.parent.parent


def _token(capsys, *args: str) -> tuple[str, str]:
    call_command("create_api_token", *args)
    out = capsys.readouterr().out
    return out.splitlines()[-1], out


@pytest.mark.django_db
def test_the_token_is_the_last_line_and_stays_the_same(capsys, secretariat_user):
    key, out = _token(capsys, "secretariat")
    assert key == Token.objects.get(user=secretariat_user).key
    assert len(key) == 40 and key.isalnum()
    assert "New API token for secretariat (role: secretariat)" in out
    again, out = _token(capsys, "secretariat")
    assert again == key and out.startswith("Existing API token")
    assert Token.objects.count() == 1


@pytest.mark.django_db
def test_rotating_replaces_the_token(capsys, client, secretariat_user, seed):
    old, _ = _token(capsys, "secretariat")
    new, _ = _token(capsys, "secretariat", "--rotate")
    assert new != old
    problem(client.get("/api/v1/actors/", HTTP_AUTHORIZATION=f"Token {old}"), 401)
    assert client.get("/api/v1/actors/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


@pytest.mark.django_db
def test_a_token_acts_with_its_users_role(capsys, client, seed, focal_point_user, secretariat_user):
    mandate = Mandate.objects.filter(actor__slug="parties").first()
    etag = mandate_etag(client, mandate.pk)
    focal, _ = _token(capsys, "focal.uz")
    editor, _ = _token(capsys, "secretariat")
    body = {"status": "in_progress"}
    refused = post_status_update(
        client, mandate.pk, body, etag=etag, HTTP_AUTHORIZATION=f"Token {focal}"
    )
    problem(refused, 403)
    accepted = post_status_update(
        client, mandate.pk, body, etag=etag, HTTP_AUTHORIZATION=f"Token {editor}"
    )
    assert accepted.status_code == 201 and accepted.json()["author"] == "secretariat"


@pytest.mark.django_db
def test_unknown_or_inactive_users_are_an_error_with_status_2(secretariat_user):
    with pytest.raises(CommandError) as unknown:
        call_command("create_api_token", "nobody")
    assert unknown.value.returncode == 2 and "nobody" in str(unknown.value)
    secretariat_user.is_active = False
    secretariat_user.save(update_fields=["is_active"])
    with pytest.raises(CommandError) as inactive:
        call_command("create_api_token", "secretariat")
    assert inactive.value.returncode == 2 and "inactive" in str(inactive.value)
    assert not Token.objects.exists()


def _manage(*args: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return manage(*args, env={"DATABASE_URL": url})


@pytest.mark.django_db(transaction=True)
def test_the_command_as_run_from_a_shell(secretariat_user):
    done = _manage("create_api_token", "secretariat")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == Token.objects.get(user=secretariat_user).key
    failed = _manage("create_api_token", "nobody")
    assert failed.returncode == 2
    assert "No user named 'nobody'" in failed.stderr
    assert failed.stdout == ""
