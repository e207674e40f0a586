"""The audit trail: every write path is recorded by the database (who, when, old and new
values), status history is append-only, and the Secretariat reads it on /audit/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import MandateEvent, StatusUpdateEvent, UserEvent
from cms_mandates.audit import audit_context
from partners.models import PartyStatus
from resolutions.models import Mandate, StatusUpdate
from resolutions.services import mandate_status_bulk_update, mandate_status_update
from tests.factories import MandateFactory, PartyFactory, PartyStatusFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"


def test_a_bulk_queryset_update_is_recorded_with_old_and_new_values(client, secretariat_user):
    mandate = MandateFactory(status="not_started")
    with audit_context(command="fix-statuses"):
        Mandate.objects.filter(pk=mandate.pk).update(status="delayed")
    event = MandateEvent.objects.filter(pgh_obj_id=mandate.pk, pgh_label="update").get()
    assert event.status == "delayed"
    assert event.pgh_context.metadata == {"command": "fix-statuses"}
    client.force_login(secretariat_user)
    html = client.get(AUDIT, {"object_type": "mandate", "object_id": mandate.pk}).content.decode()
    assert "fix-statuses" in html
    assert "<del>not_started</del> → <ins>delayed</ins>" in html


def test_the_service_and_the_bulk_service_are_recorded(secretariat_user):
    one, two = MandateFactory(), MandateFactory()
    mandate_status_update(
        mandate=one, user=secretariat_user, status="in_progress", expected_version=0
    )
    mandate_status_bulk_update(
        user=secretariat_user, versions={one.pk: 1, two.pk: 0}, status="completed"
    )
    assert StatusUpdateEvent.objects.filter(pgh_label="insert").count() == 3
    statuses = list(
        MandateEvent.objects.filter(pgh_obj_id=one.pk, pgh_label="update")
        .order_by("pgh_id")
        .values_list("status", "version")
    )
    assert statuses == [("in_progress", 1), ("completed", 2)]


def test_a_web_write_is_recorded_with_the_acting_user_and_address(secretariat_client):
    mandate = MandateFactory()
    response = secretariat_client.post(
        reverse("resolutions:mandate-update", args=[mandate.pk]),
        {"status": "delayed", "version": 0, "narrative": "Waiting for funds."},
    )
    assert response.status_code in {200, 302}
    event = StatusUpdateEvent.objects.get(pgh_obj_id=StatusUpdate.objects.get().pk)
    assert event.pgh_context.metadata["user"] == response.wsgi_request.user.pk
    assert event.pgh_context.metadata["url"] == f"/mandates/{mandate.pk}/update/"
    assert event.pgh_context.metadata["method"] == "POST"


def test_user_changes_are_recorded_without_the_password_hash(secretariat_user):
    user = UserFactory(username="someone", email="a@example.org")
    user.email = "b@example.org"
    user.save()
    user.set_password("a-new-password-123")
    user.save()
    labels = list(
        UserEvent.objects.filter(pgh_obj_id=user.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert labels == ["insert", "update", "password_change"]
    assert "password" not in {f.name for f in UserEvent._meta.fields}
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM audit_userevent e")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert user.password not in stored and "md5$" not in stored


def test_status_history_is_append_only_in_the_database(secretariat_user):
    mandate = MandateFactory()
    update = mandate_status_update(
        mandate=mandate, user=secretariat_user, status="in_progress", expected_version=0
    )
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        StatusUpdate.objects.filter(pk=update.pk).update(narrative="rewritten")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        StatusUpdate.objects.filter(pk=update.pk).delete()
    assert StatusUpdate.objects.get(pk=update.pk).narrative == ""


def test_party_status_history_is_append_only(db):
    status = PartyStatusFactory()
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        PartyStatus.objects.filter(pk=status.pk).update(narrative="rewritten")


def test_the_audit_trail_itself_cannot_be_rewritten(db):
    PartyFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        MandateFactory()
        MandateEvent.objects.all().delete()


# --- The page ---------------------------------------------------------------------------


def test_only_the_secretariat_reads_the_audit_trail(
    client, reader_user, focal_point_user, secretariat_user
):
    assert client.get(AUDIT).status_code == 302
    for user in (reader_user, focal_point_user):
        client.force_login(user)
        assert client.get(AUDIT).status_code == 403
    client.force_login(secretariat_user)
    response = client.get(AUDIT)
    assert response.status_code == 200
    assert 'href="/audit/"' in response.content.decode()


def test_the_nav_links_to_the_audit_trail_for_the_secretariat_only(client, reader_user):
    client.force_login(reader_user)
    assert 'href="/audit/"' not in client.get("/").content.decode()


def test_filters_by_object_user_and_date(client, secretariat_user):
    other = UserFactory(username="other.editor", is_superuser=True)
    first, second = MandateFactory(), MandateFactory()
    client.force_login(secretariat_user)
    client.post(
        reverse("resolutions:mandate-update", args=[first.pk]),
        {"status": "delayed", "version": 0},
    )
    client.force_login(other)
    client.post(
        reverse("resolutions:mandate-update", args=[second.pk]),
        {"status": "completed", "version": 0},
    )
    client.force_login(secretariat_user)

    def rows(**params):
        response = client.get(AUDIT, params)
        assert response.status_code == 200, response.content.decode()
        return response.content.decode()

    by_user = rows(user="other.editor", object_type="mandate")
    assert f"mandate {second.pk}</a>" in by_user and f"mandate {first.pk}</a>" not in by_user
    by_object = rows(object_type="mandate", object_id=first.pk)
    assert "<ins>delayed</ins>" in by_object and "<ins>completed</ins>" not in by_object
    today = timezone.localdate()
    assert "<ins>completed</ins>" in rows(since=today.isoformat(), until=today.isoformat())
    tomorrow = today + dt.timedelta(days=1)
    assert "No change matches these filters" in rows(since=tomorrow.isoformat())


@pytest.mark.parametrize(
    "params",
    [{"object_type": "spaceship"}, {"user": "nobody"}, {"since": "yesterday"}],
)
def test_bad_filters_are_400_with_a_message(secretariat_client, params):
    response = secretariat_client.get(AUDIT, params)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()


def test_the_page_runs_a_fixed_number_of_queries(secretariat_client, secretariat_user):
    mandate = MandateFactory()
    with audit_context(user=secretariat_user.pk):
        mandate_status_update(
            mandate=mandate, user=secretariat_user, status="in_progress", expected_version=0
        )
    with CaptureQueriesContext(connection) as small:
        assert secretariat_client.get(AUDIT).status_code == 200
    for _ in range(30):
        fresh = MandateFactory()
        editor = UserFactory(is_superuser=True)
        mandate_status_update(mandate=fresh, user=editor, status="delayed", expected_version=0)
    with CaptureQueriesContext(connection) as large:
        html = secretariat_client.get(AUDIT).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert html.count("<tr>") == 51  # the header row and a full page of 50
