"""Real parallel HTTP requests against the live server on PostgreSQL: of many writers
holding the same ETag exactly one succeeds, and duplicates of one Idempotency-Key write
once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from resolutions.models import Mandate, StatusUpdate
from tests.api_helpers import token_headers

# The live server's threads need to see this test's rows: committed, not in a test
# transaction.
pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8


def _request(url: str, *, method: str = "GET", body: bytes | None = None, headers=None):
    assert url.startswith("http://")
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _in_parallel(calls):
    """Run the calls at the same moment, one thread each; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def writers(seed, secretariat_user):
    """Token headers of WRITERS different Secretariat users."""
    from tests.factories import secretariat_user as make_secretariat_user

    users = [secretariat_user] + [make_secretariat_user(f"editor{i}") for i in range(1, WRITERS)]
    return [token_headers(user)["HTTP_AUTHORIZATION"] for user in users]


def test_of_many_writers_holding_the_same_etag_exactly_one_succeeds(live_server, writers):
    mandate = Mandate.objects.filter(actor__slug="secretariat").first()
    url = f"{live_server.url}/api/v1/mandates/{mandate.pk}/"
    status, headers, _ = _request(url)
    assert status == 200
    etag = headers["ETag"]

    def writer(n: int, authorization: str):
        body = json.dumps({"status": "in_progress", "narrative": f"Writer {n}"}).encode()
        return lambda: _request(
            url + "status-updates/",
            method="POST",
            body=body,
            headers={
                "Authorization": authorization,
                "Content-Type": "application/json",
                "If-Match": etag,
            },
        )

    results = _in_parallel([writer(n, auth) for n, auth in enumerate(writers)])
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] + [412] * (WRITERS - 1)

    (winner,) = [json.loads(body) for status, _, body in results if status == 201]
    update = StatusUpdate.objects.get(mandate=mandate)
    assert update.pk == winner["id"] and update.narrative == winner["narrative"]
    mandate.refresh_from_db()
    assert mandate.version == 1 and mandate.status == "in_progress"
    for status, headers, body in results:
        if status == 412:
            problem = json.loads(body)
            assert headers["Content-Type"] == "application/problem+json"
            assert problem["current_version"] == 1
            assert problem["latest_update"]["id"] == winner["id"]
            assert problem["current_etag"] == winner["mandate_etag"]


def test_parallel_duplicates_of_one_idempotency_key_write_once(live_server, writers):
    mandate = Mandate.objects.filter(actor__slug="parties").first()
    url = f"{live_server.url}/api/v1/mandates/{mandate.pk}/"
    _, headers, _ = _request(url)
    body = json.dumps({"status": "ongoing", "narrative": "Sent once, delivered many times"})
    retry = {
        "Authorization": writers[0],
        "Content-Type": "application/json",
        "If-Match": headers["ETag"],
        "Idempotency-Key": str(uuid.uuid4()),
    }

    def duplicate():
        return _request(url + "status-updates/", method="POST", body=body.encode(), headers=retry)

    results = _in_parallel([duplicate] * WRITERS)
    # The one that claimed the key wrote; the others were told to wait (409) or, if they
    # came after it finished, were given its response.
    assert {status for status, _, _ in results} <= {201, 409}
    created = [(headers, body) for status, headers, body in results if status == 201]
    assert created
    assert len({body for _, body in created}) == 1
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1
    replayed = [h for h, _ in created if h.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == len(created) - 1
    # After the first has finished, every retry gets its response.
    status, headers, again = duplicate()
    assert (status, again) == (201, created[0][1])
    assert headers["Idempotent-Replayed"] == "true"
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1
