"""POST /api/v1/mandates/{id}/status-updates/: conditional on If-Match, authorised by role,
safe to retry with an Idempotency-Key; and no other write anywhere in the API."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from cms_mandates.rest import IdempotencyClaim
from resolutions.models import Mandate, StatusUpdate
from resolutions.services import mandate_status_update
from tests.api_helpers import mandate_etag, post_status_update, problem, token_headers
from tests.factories import UserFactory
from tests.factories import secretariat_user as make_secretariat_user

pytestmark = pytest.mark.django_db

BODY = {
    "status": "in_progress",
    "progress": 40,
    "narrative": "Joint work plan agreed with the BLG.",
    "evidence_links": ["https://www.cbd.int/blg/"],
}


@pytest.fixture
def mandate(seed) -> Mandate:
    return Mandate.objects.get(resolution=seed, paragraph__number="23", actor__slug="blg")


@pytest.fixture
def editor(secretariat_user) -> dict[str, str]:
    return token_headers(secretariat_user)


@pytest.fixture
def key() -> str:
    """A new Idempotency-Key: stored keys outlive the test database, whose ids restart."""
    return str(uuid.uuid4())


# --- 201 ----------------------------------------------------------------------------------


def test_a_current_etag_records_the_update(client, mandate, editor, secretariat_user):
    etag = mandate_etag(client, mandate.pk)
    response = post_status_update(client, mandate.pk, BODY, etag=etag, **editor)
    assert response.status_code == 201, response.content
    body = response.json()
    update = StatusUpdate.objects.get(mandate=mandate)
    assert (
        response["Location"]
        == body["url"]
        == f"http://testserver/api/v1/status-updates/{update.pk}/"
    )
    assert body["version"] == 1 and body["status"] == "in_progress" and body["progress"] == 40
    assert body["previous_status"] == "not_started"
    assert body["evidence_links"] == BODY["evidence_links"]
    assert body["author"] == "secretariat" and body["source"] == "api"
    assert update.author == secretariat_user and update.source == "api"
    mandate.refresh_from_db()
    assert (mandate.status, mandate.progress, mandate.version) == ("in_progress", 40, 1)
    # mandate_etag is what GET now returns: the If-Match of the next update.
    assert body["mandate_etag"] == mandate_etag(client, mandate.pk) != etag
    second = post_status_update(
        client, mandate.pk, {"status": "completed"}, etag=body["mandate_etag"], **editor
    )
    assert second.status_code == 201
    assert second.json()["version"] == 2
    assert second.json()["progress"] == 40  # omitted: unchanged


def test_progress_null_clears_it_and_as_of_is_kept(client, mandate, editor):
    etag = mandate_etag(client, mandate.pk)
    post_status_update(client, mandate.pk, BODY, etag=etag, **editor)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = post_status_update(
        client,
        mandate.pk,
        {"status": "in_progress", "progress": None, "as_of": yesterday},
        etag=mandate_etag(client, mandate.pk),
        **editor,
    )
    assert response.status_code == 201
    assert response.json()["progress"] is None and response.json()["as_of"] == yesterday


def test_an_update_that_changes_nothing_is_a_204_and_records_nothing(client, mandate, editor):
    etag = mandate_etag(client, mandate.pk)
    response = post_status_update(
        client, mandate.pk, {"status": "not_started"}, etag=etag, **editor
    )
    assert response.status_code == 204 and response.content == b""
    assert not StatusUpdate.objects.exists()
    assert mandate_etag(client, mandate.pk) == etag


# --- 412, 428, 400, 404, 405 ------------------------------------------------------------


def test_a_stale_etag_is_a_412_naming_the_update_that_won(
    client, mandate, editor, secretariat_user
):
    stale = mandate_etag(client, mandate.pk)
    winner = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="ongoing",
        narrative="Reported at each meeting.",
        expected_version=0,
    )
    body = problem(post_status_update(client, mandate.pk, BODY, etag=stale, **editor), 412)
    assert body["type"] == "/api/v1/problems/stale-version/"
    assert body["current_version"] == 1
    assert body["current_etag"] == mandate_etag(client, mandate.pk)
    assert body["latest_update"]["id"] == winner.pk
    assert body["latest_update"]["narrative"] == "Reported at each meeting."
    assert "version 1, not 0" in body["detail"]
    assert StatusUpdate.objects.count() == 1
    # The current ETag from the problem is accepted.
    retry = post_status_update(client, mandate.pk, BODY, etag=body["current_etag"], **editor)
    assert retry.status_code == 201


@pytest.mark.parametrize("if_match", ['"something-else"', "garbage", '"mandate-{other}-v0-abc"'])
def test_an_etag_that_is_not_this_mandates_is_a_412(client, mandate, editor, if_match):
    other = Mandate.objects.exclude(pk=mandate.pk).first()
    body = problem(
        post_status_update(
            client, mandate.pk, BODY, etag=if_match.format(other=other.pk), **editor
        ),
        412,
    )
    assert body["current_version"] == 0 and body["latest_update"] is None
    assert not StatusUpdate.objects.exists()


def test_the_weak_form_of_the_etag_is_accepted(client, mandate, editor):
    etag = mandate_etag(client, mandate.pk)
    response = post_status_update(client, mandate.pk, BODY, etag=f"W/{etag}", **editor)
    assert response.status_code == 201


@pytest.mark.parametrize("if_match", [None, "", "*"])
def test_without_a_version_it_is_a_428(client, mandate, editor, if_match):
    body = problem(post_status_update(client, mandate.pk, BODY, etag=if_match, **editor), 428)
    assert f"/api/v1/mandates/{mandate.pk}/" in body["detail"]
    assert "current_etag" not in body  # no blind retry: read the mandate first
    assert not StatusUpdate.objects.exists()


def test_several_etags_are_a_400(client, mandate, editor):
    etag = mandate_etag(client, mandate.pk)
    body = problem(post_status_update(client, mandate.pk, BODY, etag=f'{etag}, "x"', **editor), 400)
    assert list(body["errors"]) == ["If-Match"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"status": None}, "status"),
        ({"progress": 101}, "progress"),
        ({"progress": "lots"}, "progress"),
        ({"evidence_links": ["not a link"]}, "evidence_links.0"),
        ({"evidence_links": ["ftp://example.org/report.pdf"]}, "evidence_links"),
        ({"evidence_links": "https://example.org"}, "evidence_links"),
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "31/12/2025"}, "as_of"),
        ({"narrative": "x" * 20_001}, "narrative"),
    ],
)
def test_bad_input_is_a_400_by_field_and_writes_nothing(client, mandate, editor, change, field):
    etag = mandate_etag(client, mandate.pk)
    body = problem(
        post_status_update(client, mandate.pk, {**BODY, **change}, etag=etag, **editor), 400
    )
    assert field in body["errors"], body["errors"]
    assert not StatusUpdate.objects.exists()
    mandate.refresh_from_db()
    assert mandate.version == 0


def test_an_oversized_body_is_a_400(client, mandate, editor, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    etag = mandate_etag(client, mandate.pk)
    big = {**BODY, "narrative": "x" * 15_000}
    for extra in ({"HTTP_IDEMPOTENCY_KEY": key}, {}):
        response = post_status_update(client, mandate.pk, big, etag=etag, **editor, **extra)
        assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in problem(response, 400)["detail"]
    assert not StatusUpdate.objects.exists()


def test_a_missing_status_is_a_400(client, mandate, editor):
    etag = mandate_etag(client, mandate.pk)
    body = problem(post_status_update(client, mandate.pk, {}, etag=etag, **editor), 400)
    assert body["errors"] == {"status": ["This field is required."]}


def test_an_unknown_mandate_is_a_404(client, seed, editor):
    problem(post_status_update(client, 999999, BODY, etag='"mandate-999999-v0"', **editor), 404)


def test_the_status_updates_address_only_takes_post(client, mandate, editor):
    response = client.get(f"/api/v1/mandates/{mandate.pk}/status-updates/", **editor)
    problem(response, 405)
    assert response["Allow"] == "POST, OPTIONS"


# --- Who may write ------------------------------------------------------------------------


@pytest.fixture
def roles(seed, reader_user, focal_point_user, other_focal_point_user, secretariat_user):
    return {
        "anonymous": None,
        "reader": reader_user,
        "focal point of Party A": focal_point_user,
        "focal point of Party B": other_focal_point_user,
        "secretariat": secretariat_user,
    }


EXPECTED = {
    "anonymous": 401,
    "reader": 403,
    "focal point of Party A": 403,
    "focal point of Party B": 403,
    "secretariat": 201,
}


@pytest.mark.parametrize("actor", ["parties", "secretariat"])
@pytest.mark.parametrize("credentials", ["token", "session"])
def test_authorisation_matrix_for_status_updates(client, roles, actor, credentials):
    """Each role against the one write of the API, on a mandate addressed to Parties (that
    focal points report on with their Party status, not here) and one to the Secretariat."""
    from django.test import Client

    mandate = Mandate.objects.filter(actor__slug=actor).first()
    outcome = {}
    for role, user in roles.items():
        caller = Client(enforce_csrf_checks=False)
        headers: dict[str, str] = {}
        if user is not None and credentials == "token":
            headers = token_headers(user)
        elif user is not None:
            caller.force_login(user)
        etag = mandate_etag(caller, mandate.pk, **headers)
        response = post_status_update(caller, mandate.pk, BODY, etag=etag, **headers)
        outcome[role] = response.status_code
        if response.status_code != 201:
            problem(response, response.status_code)
            mandate.refresh_from_db()
            assert mandate.version == 0
    assert outcome == EXPECTED
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1
    assert permissions_of(roles) == {"secretariat"}


def permissions_of(roles) -> set[str]:
    from partners.permissions import can_edit_mandate

    return {r for r, u in roles.items() if can_edit_mandate(u or AnonymousUser())}


RESOURCES = ["resolutions", "paragraphs", "actors", "mandates", "status-updates"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_there_is_no_other_write(client, roles, resource, secretariat_user):
    """Every other method on every list and detail: 401 without credentials, 405 with."""
    from tests.resolutions.test_api import _path

    first = client.get(f"/api/v1/{resource}/?page_size=1").json()["results"]
    addresses = [f"/api/v1/{resource}/"]
    if first:
        addresses.append(_path(first[0]["url"]))
    for address in addresses:
        for method in ("post", "put", "patch", "delete"):
            call = getattr(client, method)
            anonymous = call(address, data="{}", content_type="application/json")
            assert anonymous.status_code == 401, (method, address)
            signed = call(
                address,
                data="{}",
                content_type="application/json",
                **token_headers(secretariat_user),
            )
            assert signed.status_code == 405, (method, address)


# --- Idempotency-Key ----------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_response(client, mandate, editor, key):
    etag = mandate_etag(client, mandate.pk)
    first = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    assert first.status_code == 201
    # The retry carries the same (now stale) ETag: it is not run again, it is replayed.
    retry = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry["Location"] == first["Location"]
    assert retry["Content-Type"] == first["Content-Type"]
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert StatusUpdate.objects.count() == 1
    # Same content, other key order and spacing: the same request.
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=2)
    again = client.post(
        f"/api/v1/mandates/{mandate.pk}/status-updates/",
        data=reordered,
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        HTTP_IDEMPOTENCY_KEY=key,
        **editor,
    )
    assert again.status_code == 201 and again.content == first.content


def test_the_same_key_for_another_request_is_a_422(client, mandate, editor, key):
    etag = mandate_etag(client, mandate.pk)
    post_status_update(client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor)
    body = problem(
        post_status_update(
            client,
            mandate.pk,
            {**BODY, "progress": 50},
            etag=etag,
            HTTP_IDEMPOTENCY_KEY=key,
            **editor,
        ),
        422,
    )
    assert body["type"] == "/api/v1/problems/idempotency-key-reused/"
    other = Mandate.objects.exclude(pk=mandate.pk).first()
    problem(
        post_status_update(
            client,
            other.pk,
            BODY,
            etag=mandate_etag(client, other.pk),
            HTTP_IDEMPOTENCY_KEY=key,
            **editor,
        ),
        422,
    )
    assert StatusUpdate.objects.count() == 1


def test_keys_belong_to_their_user(client, mandate, editor, key):
    colleague = token_headers(make_secretariat_user("secretariat.two"))
    etag = mandate_etag(client, mandate.pk)
    first = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    assert first.status_code == 201
    # Another user with the same key and body is another request: it runs (and is stale).
    problem(
        post_status_update(
            client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **colleague
        ),
        412,
    )


def test_a_failed_request_releases_its_key(client, mandate, editor, key, secretariat_user):
    stale = mandate_etag(client, mandate.pk)
    mandate_status_update(
        mandate=mandate, user=secretariat_user, status="ongoing", expected_version=0
    )
    problem(
        post_status_update(
            client, mandate.pk, BODY, etag=stale, HTTP_IDEMPOTENCY_KEY=key, **editor
        ),
        412,
    )
    fresh = mandate_etag(client, mandate.pk)
    retry = post_status_update(
        client, mandate.pk, BODY, etag=fresh, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    assert retry.status_code == 201
    assert StatusUpdate.objects.count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "clé"])
def test_a_malformed_key_is_a_400(client, mandate, editor, key):
    etag = mandate_etag(client, mandate.pk)
    body = problem(
        post_status_update(client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor),
        400,
    )
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert not StatusUpdate.objects.exists()


def test_the_quoted_form_of_a_key_is_the_same_key(client, mandate, editor, key):
    etag = mandate_etag(client, mandate.pk)
    first = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=f'"{key}"', **editor
    )
    retry = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"


def test_a_key_in_progress_is_a_409_with_retry_after(
    client, mandate, editor, key, secretariat_user
):
    """While a first request holds the key (claimed, not finished), a duplicate is told to
    come back later instead of running a second time."""
    from rest_framework.request import Request

    etag = mandate_etag(client, mandate.pk)
    url = f"/api/v1/mandates/{mandate.pk}/status-updates/"
    raw = APIRequestFactory().post(url, data=BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    holder = Request(raw)
    holder.user = secretariat_user
    claim = IdempotencyClaim.begin(holder)
    assert claim is not None
    response = post_status_update(
        client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key, **editor
    )
    body = problem(response, 409)
    assert body["type"] == "/api/v1/problems/idempotency-key-in-use/"
    assert response["Retry-After"] == "1"
    assert not StatusUpdate.objects.exists()


def test_anonymous_posts_are_refused_before_any_key_is_claimed(client, mandate, key):
    etag = mandate_etag(client, mandate.pk)
    problem(post_status_update(client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key), 401)
    reader = UserFactory(username="someone")
    client.force_login(reader)
    problem(post_status_update(client, mandate.pk, BODY, etag=etag, HTTP_IDEMPOTENCY_KEY=key), 403)
