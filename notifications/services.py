"""Every write of follows, preferences and notifications.

`notifications_fanout`, `notifications_send_digest` and `deadline_reminders_send` are
what the Celery tasks call: each is idempotent (a notification's (user, key) is unique,
and only notifications not yet e-mailed are e-mailed), so a message delivered twice
tells nobody twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from notifications.models import (
    Delivery,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    PendingFanout,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

logger = logging.getLogger(__name__)

FOLLOW_TARGETS = ("mandate", "resolution", "party")


def _signed_in(user: User) -> AbstractBaseUser:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to follow and be notified.")
    return user  # type: ignore[return-value]


def follow_set(*, user: User, target: Any, following: bool) -> bool:
    """Follow (or stop following) a mandate, resolution or Party. Returns whether
    anything changed."""
    user = _signed_in(user)
    field = target._meta.model_name
    if field not in FOLLOW_TARGETS:
        raise ValidationError({"target": "Only mandates, resolutions and Parties are followed."})
    with transaction.atomic():
        if following:
            _, created = Follow.objects.get_or_create(user=user, **{field: target})
            return created
        deleted, _ = Follow.objects.filter(user=user, **{field: target}).delete()
        return bool(deleted)


def preference_set(*, user: User, delivery: str) -> NotificationPreference:
    user = _signed_in(user)
    if delivery not in Delivery.values:
        raise ValidationError({"delivery": "Choose immediate, digest or none."})
    with transaction.atomic():
        preference, created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"delivery": delivery}
        )
        if not created and preference.delivery != delivery:
            preference.delivery = delivery
            preference.save(update_fields=["delivery", "updated_at"])
    return preference


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when `ids` is None)."""
    user = _signed_in(user)
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _deliveries(user_ids: Iterable[int]) -> dict[int, str]:
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "delivery"
        )
    )
    return defaultdict(lambda: Delivery.IMMEDIATE, chosen)


def _create(rows: list[Notification]) -> None:
    # (user, key) is unique: an event told once already is skipped, not an error.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path else settings.SITE_URL


def _send_immediate(user_ids: Iterable[int]) -> int:
    """E-mail, one message each, the not yet e-mailed notifications of those `user_ids`
    who chose immediate delivery. Each row is claimed (emailed_at set) under a row lock
    before its message goes, so two workers never send the same one."""
    deliveries = _deliveries(user_ids)
    immediate = [u for u in set(user_ids) if deliveries[u] == Delivery.IMMEDIATE]
    sent = 0
    for user_id in immediate:
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(user_id=user_id, emailed_at__isnull=True)
                .order_by("created_at", "pk")
            )
            for row in rows:
                if not row.user.email:
                    continue
                send_mail(
                    subject=f"CMS Mandate Tracker: {row.text[:120]}",
                    message=f"{row.text}\n\n{_absolute(row.url)}\n\n"
                    f"Your notifications: {_absolute('/notifications/')}\n",
                    from_email=None,
                    recipient_list=[row.user.email],
                )
                row.emailed_at = timezone.now()
                row.save(update_fields=["emailed_at"])
                sent += 1
    return sent


def notifications_fanout(*, status_update_ids: Sequence[int]) -> int:
    """Tell the followers of each mandate (or of its resolution) whose status one of the
    updates `status_update_ids` changed; e-mail those who chose immediate delivery. The author
    of an update is not told about their own change. Returns how many notifications
    were created."""
    from resolutions.models import StatusUpdate

    updates = list(
        StatusUpdate.objects.filter(pk__in=list(status_update_ids))
        .exclude(status=F("previous_status"))
        .select_related(
            "mandate__resolution", "mandate__actor", "mandate__paragraph__parent", "author"
        )
    )
    if not updates:
        return 0
    mandate_ids = {u.mandate_id for u in updates}
    resolution_ids = {u.mandate.resolution_id for u in updates}
    followers: dict[tuple[str, int], set[int]] = defaultdict(set)
    for follow in Follow.objects.filter(
        Q(mandate_id__in=mandate_ids) | Q(resolution_id__in=resolution_ids)
    ).values("user_id", "mandate_id", "resolution_id"):
        if follow["mandate_id"]:
            followers[("mandate", follow["mandate_id"])].add(follow["user_id"])
        else:
            followers[("resolution", follow["resolution_id"])].add(follow["user_id"])
    rows: list[Notification] = []
    for update in updates:
        mandate = update.mandate
        users = (
            followers[("mandate", mandate.pk)] | followers[("resolution", mandate.resolution_id)]
        )
        users.discard(update.author_id)  # type: ignore[arg-type]
        rows.extend(
            _change_rows(
                update,
                users=users,
                key=f"status-update:{update.pk}",
                about=f"{mandate.resolution.display_symbol} ¶{mandate.paragraph.label} "
                f"({mandate.actor.name})",
                url=mandate.get_absolute_url(),
            )
        )
    return _tell(rows)


def _change_rows(
    event: Any, *, users: Iterable[int], key: str, about: str, url: str
) -> list[Notification]:
    """One notification per user of a status change (`event`: a StatusUpdate or a
    PartyStatus, with status, previous_status, author and created_at)."""
    text = f"{about}: {event.get_previous_status_display()} → {event.get_status_display()}" + (
        f", by {event.author.get_username()}" if event.author else ""
    )
    return [
        Notification(
            user_id=user_id,
            kind=NotificationKind.STATUS_CHANGE,
            key=key,
            text=text,
            url=url,
            created_at=event.created_at,
        )
        for user_id in sorted(users)
    ]


def _tell(rows: list[Notification]) -> int:
    """Store the notifications not stored yet and e-mail those due at once; returns how
    many were new."""
    before = Notification.objects.filter(key__in={r.key for r in rows}).count()
    _create(rows)
    created = Notification.objects.filter(key__in={r.key for r in rows}).count() - before
    _send_immediate({r.user_id for r in rows})
    return created


def notifications_send_digest(*, now: dt.datetime | None = None) -> int:
    """One e-mail per user who chose the digest, listing their notifications not yet
    e-mailed; they are then marked e-mailed. Returns how many e-mails were sent."""
    now = now or timezone.now()
    digest_users = list(
        get_user_model()
        .objects.filter(
            notification_preference__delivery=Delivery.DIGEST,
            is_active=True,
        )
        .exclude(email="")
        .filter(Exists(Notification.objects.filter(user=OuterRef("pk"), emailed_at__isnull=True)))
    )
    sent = 0
    for user in digest_users:
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(user=user, emailed_at__isnull=True, created_at__lte=now)
                .order_by("created_at", "pk")
            )
            if not rows:
                continue
            lines = [f"- {row.text}\n  {_absolute(row.url)}" for row in rows]
            send_mail(
                subject=f"CMS Mandate Tracker: {len(rows)} notification"
                f"{'s' if len(rows) != 1 else ''}",
                message="\n".join(lines)
                + f"\n\nYour notifications: {_absolute('/notifications/')}\n",
                from_email=None,
                recipient_list=[user.email],
            )
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(emailed_at=now)
            sent += 1
    return sent


def deadline_reminders_send(*, today: dt.date | None = None) -> int:
    """For each meeting whose document deadline is `NOTIFY_REMINDER_DAYS` days away:
    remind the followers of every open mandate (or of its resolution) without a status
    update in the meeting's reporting period, and tell the Secretariat how many there
    are. Returns how many notifications were created."""
    from partners.permissions import SECRETARIAT_GROUP
    from reporting.models import Meeting
    from reporting.selectors import meeting_period_start
    from resolutions.models import CLOSED_STATUSES, Mandate, StatusUpdate

    today = today or timezone.localdate()
    due = today + dt.timedelta(days=settings.NOTIFY_REMINDER_DAYS)
    rows: list[Notification] = []
    for meeting in Meeting.objects.filter(document_deadline=due).order_by("pk"):
        since = meeting_period_start(meeting=meeting)
        recent = StatusUpdate.objects.filter(mandate=OuterRef("pk"))
        if since is not None:
            recent = recent.filter(created_at__gte=since)
        stale = list(
            Mandate.objects.exclude(status__in=CLOSED_STATUSES)
            .filter(resolution__status="in_force")
            .exclude(Exists(recent))
            .select_related("resolution", "actor", "paragraph__parent")
        )
        if not stale:
            continue
        deadline = f"{meeting.document_deadline:%d %B %Y}"
        by_mandate: dict[int, set[int]] = defaultdict(set)
        for follow in Follow.objects.filter(
            Q(mandate__in=stale) | Q(resolution_id__in={m.resolution_id for m in stale})
        ).values("user_id", "mandate_id", "resolution_id"):
            for mandate in stale:
                if follow["mandate_id"] == mandate.pk or (
                    follow["resolution_id"] == mandate.resolution_id
                ):
                    by_mandate[mandate.pk].add(follow["user_id"])
        for mandate in stale:
            for user_id in sorted(by_mandate[mandate.pk]):
                rows.append(
                    Notification(
                        user_id=user_id,
                        kind=NotificationKind.DEADLINE_REMINDER,
                        key=f"reminder:{meeting.pk}:{mandate.pk}",
                        text=f"No update since the last {meeting.get_body_display()} for "
                        f"{mandate.resolution.display_symbol} ¶{mandate.paragraph.label} "
                        f"({mandate.actor.name}); documents for {meeting.code} are due "
                        f"{deadline}.",
                        url=mandate.get_absolute_url(),
                    )
                )
        secretariat = (
            get_user_model()
            .objects.filter(Q(groups__name=SECRETARIAT_GROUP) | Q(is_superuser=True))
            .filter(is_active=True)
            .distinct()
        )
        rows.extend(
            Notification(
                user=user,
                kind=NotificationKind.DEADLINE_REMINDER,
                key=f"reminder:{meeting.pk}",
                text=f"{len(stale)} open mandate{'s' if len(stale) != 1 else ''} without an "
                f"update in the period; documents for {meeting.code} are due {deadline}.",
                url=reverse("reporting:meeting-detail", args=[meeting.code]),
            )
            for user in secretariat
        )
    keys = {r.key for r in rows}
    before = Notification.objects.filter(key__in=keys).count()
    _create(rows)
    created = Notification.objects.filter(key__in=keys).count() - before
    _send_immediate({r.user_id for r in rows})
    return created


# --- Queueing, with a fallback for a broker outage ---------------------------------------


def _queue(task_name: str, ids: Sequence[int], pending_field: str) -> None:
    """Send a fan-out task; with the broker down, keep the ids in the database
    (PendingFanout.<pending_field>) for the sweep to notify once it is back."""
    from notifications import tasks
    from reporting.services import BROKER_ERRORS

    ids = list(ids)
    try:
        getattr(tasks, task_name).apply_async((ids,), retry=False)
    except BROKER_ERRORS as exc:
        logger.warning("Broker unavailable, %s event(s) left to the sweep: %s", len(ids), exc)
        PendingFanout.objects.bulk_create(
            [PendingFanout(**{pending_field: pk}) for pk in ids], ignore_conflicts=True
        )


def fanout_queue(*, status_update_ids: Sequence[int]) -> None:
    """Queue the notification of these status changes. Called once the transaction that
    saved them has committed. With the broker down the updates stay saved and their
    notification waits in the database for the sweep."""
    _queue("fanout", status_update_ids, "status_update_id")


def party_fanout_queue(*, party_status_ids: Sequence[int]) -> None:
    """As `fanout_queue`, for a Party's own reports (told to the followers of the Party)."""
    _queue("party_fanout", party_status_ids, "party_status_id")


def party_notifications_fanout(*, party_status_ids: Sequence[int]) -> int:
    """Tell the followers of each Party that reported a new status (one of
    `party_status_ids`); e-mail those who chose immediate delivery. The author is not told
    about their own report. Returns how many notifications were created."""
    from partners.models import PartyStatus

    reports = list(
        PartyStatus.objects.filter(pk__in=list(party_status_ids))
        .exclude(status=F("previous_status"))
        .select_related("party", "mandate__resolution", "mandate__paragraph__parent", "author")
    )
    if not reports:
        return 0
    followers: dict[int, set[int]] = defaultdict(set)
    for follow in Follow.objects.filter(party_id__in={r.party_id for r in reports}).values(
        "user_id", "party_id"
    ):
        followers[follow["party_id"]].add(follow["user_id"])
    rows: list[Notification] = []
    for report in reports:
        users = set(followers[report.party_id])
        users.discard(report.author_id)  # type: ignore[arg-type]
        mandate = report.mandate
        rows.extend(
            _change_rows(
                report,
                users=users,
                key=f"party-status:{report.pk}",
                about=f"{report.party.name}, {mandate.resolution.display_symbol} "
                f"¶{mandate.paragraph.label}",
                url=reverse("partners:party-detail", kwargs={"iso2": report.party.iso2.lower()}),
            )
        )
    return _tell(rows)


def pending_fanouts_send(*, batch: int = 500) -> int:
    """Notify for the status changes left behind during a broker outage, oldest first;
    returns how many were handled. Each batch is removed only after it was notified."""
    handled = 0
    while True:
        rows = list(PendingFanout.objects.order_by("created_at", "id")[:batch])
        if not rows:
            return handled
        updates = [r.status_update_id for r in rows if r.status_update_id]
        reports = [r.party_status_id for r in rows if r.party_status_id]
        if updates:
            notifications_fanout(status_update_ids=updates)
        if reports:
            party_notifications_fanout(party_status_ids=reports)
        PendingFanout.objects.filter(pk__in=[r.pk for r in rows]).delete()
        handled += len(rows)
