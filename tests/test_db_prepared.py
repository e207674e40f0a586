"""The mandate list's statements stay prepared on their connection and are planned once
(`cms_mandates.db.prepared_cursor`); with the threshold unset nothing is prepared; writes
keep the audit trail's context, which a prepared statement could not carry."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import StatusUpdateEvent
from cms_mandates.db import prepared_cursor
from resolutions.models import Mandate, StatusUpdate

pytestmark = pytest.mark.django_db

LIST = "/api/v1/mandates/?page_size=5"


def _prepared() -> list[tuple[str, int, int]]:
    """(statement, generic plans, custom plans) of this connection's prepared statements."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "ORDER BY prepare_time"
        )
        return cursor.fetchall()


def _forget_prepared() -> None:
    # psycopg sees the command go by and forgets its own names for them too.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")


def test_the_lists_statements_are_prepared_and_then_not_planned_again(seed, client):
    _forget_prepared()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    with CaptureQueriesContext(connection) as queries:
        pages = [client.get(LIST) for _ in range(threshold + 8)]
    assert all(page.status_code == 200 for page in pages)
    assert len({page.content for page in pages}) == 1
    statements = _prepared()
    page = [s for s in statements if "CROSS JOIN LATERAL" in s[0]]
    links = [s for s in statements if '"resolutions_mandatelink"' in s[0]]
    assert len(page) == 1 and len(links) == 1, statements
    # The page's limit is written out, so PostgreSQL settles on one generic plan and stops
    # planning it for each request.
    (_, generic, custom) = page[0]
    assert generic >= 3, page[0]
    assert custom <= 5, page[0]
    # Django's query log still names what ran, prepared or not.
    assert all(query["sql"] for query in queries.captured_queries)
    assert sum("CROSS JOIN LATERAL" in q["sql"] for q in queries.captured_queries) == len(pages)


def test_a_pooler_setting_prepares_nothing(seed, client, monkeypatch):
    _forget_prepared()
    client.get(LIST)  # the connection is open
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    for _ in range(10):
        assert client.get(LIST).status_code == 200
    assert _prepared() == []
    with prepared_cursor() as cursor:
        assert type(cursor.cursor) is type(connection.connection.cursor())


def test_writes_keep_the_audit_context_after_prepared_reads(seed, client, secretariat_user):
    """Reads on the preparing cursor leave the connection as it was for the writes after
    them, which carry the acting user into the audit trail."""
    client.force_login(secretariat_user)
    for _ in range(connection.connection.prepare_threshold + 2):
        assert client.get(LIST).status_code == 200
    assert any("CROSS JOIN LATERAL" in s for s, _, _ in _prepared())
    mandate = Mandate.objects.order_by("pk").first()
    address = f"/api/v1/mandates/{mandate.pk}/"
    response = client.post(
        f"{address}status-updates/",
        {"status": "in_progress", "narrative": "Started."},
        content_type="application/json",
        headers={"If-Match": client.get(address)["ETag"]},
    )
    assert response.status_code == 201, response.content
    event = StatusUpdateEvent.objects.get(pgh_obj_id=StatusUpdate.objects.get(mandate=mandate).pk)
    assert event.pgh_context.metadata["user"] == secretariat_user.pk
    assert event.pgh_context.metadata["method"] == "POST"
