"""Follows, in-app notifications, e-mail at once or in a digest, deadline reminders, and
the Celery tasks that send them (a real worker on Redis)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Follow, Notification
from reporting.models import Meeting
from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.factories import UserFactory


def _mandate(seed, number: str = "2", actor: str = "secretariat") -> Mandate:
    return Mandate.objects.get(resolution=seed, paragraph__number=number, actor__slug=actor)


def _update(mandate: Mandate, user, status: str, **kwargs):
    mandate.refresh_from_db()
    return mandate_status_update(
        mandate=mandate, user=user, status=status, expected_version=mandate.version, **kwargs
    )


@pytest.fixture
def follower(db):
    return UserFactory(username="follower", email="follower@example.org")


def test_following_through_the_pages(client, seed, follower):
    client.force_login(follower)
    mandate = _mandate(seed)
    page = reverse("resolutions:mandate-detail", args=[mandate.pk])
    assert b">Follow</button>" in client.get(page).content
    response = client.post(
        reverse("notifications:follow", args=["mandate", mandate.pk]), {"follow": "1", "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page
    assert Follow.objects.filter(user=follower, mandate=mandate).exists()
    assert b"Following \xc2\xb7 stop" in client.get(page).content
    client.post(reverse("notifications:follow", args=["resolution", seed.pk]), {"follow": "1"})
    assert Follow.objects.filter(user=follower, resolution=seed).exists()
    client.post(reverse("notifications:follow", args=["mandate", mandate.pk]), {"follow": "0"})
    assert not Follow.objects.filter(user=follower, mandate=mandate).exists()
    # An outside `next` is not followed.
    outside = client.post(
        reverse("notifications:follow", args=["mandate", mandate.pk]),
        {"follow": "1", "next": "https://evil.example/"},
    )
    assert outside["Location"] == reverse("notifications:list")
    assert client.post(reverse("notifications:follow", args=["meeting", 1])).status_code == 404


def test_anonymous_visitors_cannot_follow(client, seed):
    mandate = _mandate(seed)
    assert b">Follow</button>" not in client.get(mandate.get_absolute_url()).content
    response = client.post(reverse("notifications:follow", args=["mandate", mandate.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("notifications:list")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_status_change_is_queued_after_commit_not_sent_in_the_request(
    seed, follower, secretariat_user, settings
):
    """The request only queues (Redis); nothing is created or mailed until a worker runs."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mandate = _mandate(seed)
    services.follow_set(user=follower, target=mandate, following=True)
    _update(mandate, secretariat_user, "in_progress")
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_fanout_tells_followers_and_mails_at_once(seed, follower, secretariat_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mandate = _mandate(seed)
    digest = UserFactory(username="digest", email="digest@example.org")
    quiet = UserFactory(username="quiet", email="quiet@example.org")
    services.follow_set(user=follower, target=mandate, following=True)
    services.follow_set(user=digest, target=seed, following=True)
    services.follow_set(user=quiet, target=seed, following=True)
    services.follow_set(user=secretariat_user, target=mandate, following=True)  # the author
    services.preference_set(user=digest, delivery=Delivery.DIGEST)
    services.preference_set(user=quiet, delivery=Delivery.NONE)
    update = _update(mandate, secretariat_user, "in_progress")
    unchanged = _update(mandate, secretariat_user, "in_progress", narrative="More work.")

    assert services.notifications_fanout(status_update_ids=[update.pk, unchanged.pk]) == 3
    notes = Notification.objects.order_by("user__username")
    assert [n.user.username for n in notes] == ["digest", "follower", "quiet"]
    assert "Not started → In progress" in notes[0].text
    assert notes[0].url == mandate.get_absolute_url()
    assert [m.to for m in mail.outbox] == [["follower@example.org"]]
    assert mandate.get_absolute_url() in mail.outbox[0].body

    # Idempotent: a second delivery of the same message tells nobody again.
    assert services.notifications_fanout(status_update_ids=[update.pk]) == 0
    assert len(mail.outbox) == 1

    # The digest gathers what is not yet e-mailed, once.
    assert services.notifications_send_digest() == 1
    assert [m.to for m in mail.outbox[1:]] == [["digest@example.org"]]
    assert "1 notification" in mail.outbox[1].subject
    assert services.notifications_send_digest() == 0
    assert Notification.objects.get(user=quiet).emailed_at is None


def test_tasks_write_in_the_working_language_whatever_the_request(seed, follower, secretariat_user):
    from django.utils import translation

    from notifications.tasks import fanout

    mandate = _mandate(seed)
    services.follow_set(user=follower, target=mandate, following=True)
    update = _update(mandate, secretariat_user, "in_progress")
    # As in-process (the embedded default): the task runs inside a French request.
    with translation.override("fr"):
        assert fanout.apply(args=[[update.pk]]).get() == 1
        assert translation.get_language() == "fr"
    assert "Not started → In progress" in Notification.objects.get(user=follower).text


def test_the_list_and_mark_read(client, seed, follower, secretariat_user):
    mandate = _mandate(seed)
    services.follow_set(user=follower, target=mandate, following=True)
    first = _update(mandate, secretariat_user, "in_progress")
    second = _update(mandate, secretariat_user, "completed")
    services.notifications_fanout(status_update_ids=[first.pk, second.pk])
    client.force_login(follower)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "2 unread" in html and "In progress → Completed" in html
    note = Notification.objects.filter(user=follower).first()
    client.post(reverse("notifications:read"), {"id": note.pk})
    assert Notification.objects.filter(user=follower, read_at__isnull=True).count() == 1
    # Someone else's notification cannot be marked.
    other = UserFactory(username="other")
    client.force_login(other)
    client.post(reverse("notifications:read"), {"id": Notification.objects.last().pk})
    assert Notification.objects.filter(user=follower, read_at__isnull=True).count() == 1
    client.force_login(follower)
    client.post(reverse("notifications:read"), {"all": "1"})
    assert not Notification.objects.filter(user=follower, read_at__isnull=True).exists()
    client.post(reverse("notifications:preference"), {"delivery": "digest"})
    assert follower.notification_preference.delivery == "digest"
    assert (
        client.post(reverse("notifications:preference"), {"delivery": "hourly"}).status_code == 302
    )
    follower.notification_preference.refresh_from_db()
    assert follower.notification_preference.delivery == "digest"


def test_deadline_reminders(seed, follower, secretariat_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_REMINDER_DAYS = 14
    today = dt.date(2026, 1, 1)
    meeting = Meeting.objects.get(code="COP15")
    meeting.document_deadline = today + dt.timedelta(days=14)
    meeting.save()
    stale = _mandate(seed)
    fresh = _mandate(seed, "3")
    services.follow_set(user=follower, target=stale, following=True)
    services.follow_set(user=follower, target=fresh, following=True)
    _update(fresh, secretariat_user, "in_progress")

    created = services.deadline_reminders_send(today=today)
    mine = Notification.objects.filter(user=follower)
    assert [n.url for n in mine] == [stale.get_absolute_url()]
    assert "COP15" in mine[0].text
    secretariat = Notification.objects.get(user=secretariat_user)
    assert "open mandates without an update" in secretariat.text
    assert created == 2
    assert services.deadline_reminders_send(today=today) == 0  # once per meeting
    assert services.deadline_reminders_send(today=today + dt.timedelta(days=1)) == 0
    assert "follower@example.org" in [m.to[0] for m in mail.outbox]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_notifies_and_mails(seed, follower, secretariat_user, settings):
    """A status change queues `notifications.fanout` on commit; a Celery worker on Redis
    creates the notification and sends the e-mail."""
    from celery.contrib.testing.worker import start_worker

    from cms_mandates.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mandate = _mandate(seed)
    services.follow_set(user=follower, target=mandate, following=True)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        _update(mandate, secretariat_user, "delayed")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Notification.objects.exists():
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not mail.outbox:
            time.sleep(0.2)
    note = Notification.objects.get()
    assert note.user == follower and "Not started → Delayed" in note.text
    assert note.emailed_at is not None and note.emailed_at <= timezone.now()
    assert [m.to for m in mail.outbox] == [["follower@example.org"]]


def test_followers_of_a_party_hear_of_its_reports(
    seed, follower, focal_point_user, settings, django_capture_on_commit_callbacks
):
    from notifications.models import PendingFanout
    from partners.models import Party
    from partners.services import party_status_record

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    uzbekistan = Party.objects.get(iso2="UZ")
    mandate = Mandate.objects.filter(resolution=seed, actor__slug="parties").first()
    services.follow_set(user=follower, target=uzbekistan, following=True)
    services.follow_set(user=focal_point_user, target=uzbekistan, following=True)  # the author
    with django_capture_on_commit_callbacks() as queued:
        report = party_status_record(
            party=uzbekistan, mandate=mandate, user=focal_point_user, status="in_progress"
        )
    assert len(queued) == 1  # sent once the report is committed, never in the request

    assert services.party_notifications_fanout(party_status_ids=[report.pk]) == 1
    note = Notification.objects.get()
    assert (note.user, note.url) == (follower, "/parties/uz/")
    assert "Uzbekistan" in note.text and "Not reported → In progress" in note.text
    assert [m.to for m in mail.outbox] == [["follower@example.org"]]
    assert services.party_notifications_fanout(party_status_ids=[report.pk]) == 0

    # Left behind while the broker was down: the sweep tells the followers, once.
    later = party_status_record(
        party=uzbekistan, mandate=mandate, user=focal_point_user, status="implemented"
    )
    PendingFanout.objects.create(party_status_id=later.pk)
    assert services.pending_fanouts_send() == 1
    assert not PendingFanout.objects.exists()
    assert Notification.objects.filter(key=f"party-status:{later.pk}").count() == 1
