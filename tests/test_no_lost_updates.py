"""No lost updates, on PostgreSQL, with 50 concurrent conflicting writers on one mandate
through each write path: the service, the status form, the bulk form and the API.

Each writer is a thread with its own database connection; a Barrier releases them
together. Of the writers that read the same version exactly one lands; every other one is
told (StaleVersion, 409 on the pages, 412 in the API) and nothing it sent is half-written;
the history holds one entry per version, with no gap.

(Party focal-point reports are another write path: when they exist, add them here with
the same `_race` helper.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from resolutions.models import Mandate, StatusUpdate
from resolutions.services import (
    StaleVersion,
    StaleVersions,
    mandate_status_bulk_update,
    mandate_status_update,
)
from tests.api_helpers import token_headers
from tests.factories import MandateFactory
from tests.factories import secretariat_user as make_secretariat

# Writers run in their own threads and connections: rows must be committed.
pytestmark = [pytest.mark.django_db(transaction=True)]

WRITERS = 50


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, one thread (and DB connection) each."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _assert_history_complete(mandate: Mandate, versions: int) -> None:
    mandate.refresh_from_db()
    assert mandate.version == versions
    history = list(StatusUpdate.objects.filter(mandate=mandate).order_by("version"))
    assert [u.version for u in history] == list(range(1, versions + 1))
    assert mandate.status == history[-1].status


@pytest.fixture
def editor(db):
    return make_secretariat()


def test_service_one_winner_per_version(editor):
    mandate = MandateFactory()
    for version in range(2):

        def writer(n: int, version: int = version):
            def call():
                fresh = Mandate.objects.get(pk=mandate.pk)
                try:
                    update = mandate_status_update(
                        mandate=fresh,
                        user=editor,
                        status="in_progress" if version % 2 == 0 else "delayed",
                        narrative=f"round {version} writer {n}",
                        expected_version=version,
                    )
                except StaleVersion as exc:
                    return ("conflict", exc.latest.pk if exc.latest else None)
                return ("won", update.pk)

            return call

        results = _race([writer(n) for n in range(WRITERS)])
        won = [pk for outcome, pk in results if outcome == "won"]
        conflicts = [pk for outcome, pk in results if outcome == "conflict"]
        assert len(won) == 1 and len(conflicts) == WRITERS - 1
        # Every loser was shown the update that beat it.
        assert set(conflicts) == set(won)
    _assert_history_complete(mandate, versions=2)


def test_status_form_one_winner_and_409_for_the_others(editor):
    mandate = MandateFactory()
    url = f"/mandates/{mandate.pk}/update/"

    def writer(n: int):
        def call():
            browser = Client()
            browser.force_login(editor)
            response = browser.post(
                url, {"status": "delayed", "version": 0, "narrative": f"Form writer {n}"}
            )
            return response.status_code

        return call

    statuses = sorted(_race([writer(n) for n in range(WRITERS)]))
    assert statuses == [302] + [409] * (WRITERS - 1)
    _assert_history_complete(mandate, versions=1)


def test_bulk_updates_one_winner_per_version(editor):
    shared, other = MandateFactory(), MandateFactory()

    def writer(n: int):
        def call():
            try:
                written = mandate_status_bulk_update(
                    user=editor,
                    versions={shared.pk: 0, other.pk: 0},
                    status="ongoing" if n % 2 else "completed",
                    narrative=f"Bulk writer {n}",
                )
            except StaleVersions as exc:
                return ("conflict", sorted(s.mandate.pk for s in exc.stale))
            return ("won", len(written))

        return call

    results = _race([writer(n) for n in range(WRITERS)])
    assert sorted(outcome for outcome, _ in results) == ["conflict"] * (WRITERS - 1) + ["won"]
    assert [n for outcome, n in results if outcome == "won"] == [2]
    assert all(
        stale == sorted([shared.pk, other.pk]) for outcome, stale in results if outcome != "won"
    )
    _assert_history_complete(shared, versions=1)
    _assert_history_complete(other, versions=1)


def test_bulk_form_against_single_writers(editor):
    """The bulk form and single status forms racing on one mandate: one lands."""
    mandate = MandateFactory()

    def single(n: int):
        def call():
            browser = Client()
            browser.force_login(editor)
            return browser.post(
                f"/mandates/{mandate.pk}/update/",
                {"status": "delayed", "version": 0, "narrative": f"Single {n}"},
            ).status_code

        return call

    def bulk(n: int):
        def call():
            browser = Client()
            browser.force_login(editor)
            return browser.post(
                "/mandates/bulk-update/",
                {
                    "mandates": [f"{mandate.pk}:0"],
                    "status": "ongoing",
                    "narrative": f"Bulk {n}",
                    "query": "",
                },
            ).status_code

        return call

    calls = [single(n) if n % 2 else bulk(n) for n in range(WRITERS)]
    statuses = _race(calls)
    assert sum(1 for s in statuses if s in (200, 302)) == 1
    assert sum(1 for s in statuses if s == 409) == WRITERS - 1
    _assert_history_complete(mandate, versions=1)


def test_api_one_winner_and_412_for_the_others(editor):
    """Through the whole API stack (authentication, ETag, problem errors) in-process: a
    socket server's listen backlog would refuse 50 simultaneous connections before the
    application saw them. tests/resolutions/test_api_concurrency.py races real sockets."""
    mandate = MandateFactory()
    url = f"/api/v1/mandates/{mandate.pk}/"
    auth = token_headers(editor)
    etag = Client().get(url, **auth)["ETag"]

    def writer(n: int):
        def call():
            response = Client().post(
                url + "status-updates/",
                {"status": "in_progress", "narrative": f"API writer {n}"},
                content_type="application/json",
                HTTP_IF_MATCH=etag,
                **auth,
            )
            return response.status_code, response["Content-Type"], response.json()

        return call

    results = _race([writer(n) for n in range(WRITERS)])
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] + [412] * (WRITERS - 1), statuses
    (winner,) = [body for status, _, body in results if status == 201]
    for status, content_type, body in results:
        if status == 412:
            assert content_type == "application/problem+json"
            assert body["current_version"] == 1
            assert body["latest_update"]["id"] == winner["id"]
    _assert_history_complete(mandate, versions=1)
