"""Who follows what, and what they are told: follows of a mandate, a resolution or a
Party; in-app notifications (also sent by e-mail, at once or in a daily digest); each
user's choice of delivery.

Writes go through `notifications.services`; notifications are made by Celery tasks
(`notifications.tasks`), never inside a request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Follow(models.Model):
    """A user follows exactly one mandate, resolution or Party."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    mandate = models.ForeignKey(
        "resolutions.Mandate", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    resolution = models.ForeignKey(
        "resolutions.Resolution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    party = models.ForeignKey(
        "partners.Party", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(mandate__isnull=False, resolution__isnull=True, party__isnull=True)
                    | models.Q(mandate__isnull=True, resolution__isnull=False, party__isnull=True)
                    | models.Q(mandate__isnull=True, resolution__isnull=True, party__isnull=False)
                ),
                name="follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "mandate"],
                condition=models.Q(mandate__isnull=False),
                name="follow_unique_mandate",
            ),
            models.UniqueConstraint(
                fields=["user", "resolution"],
                condition=models.Q(resolution__isnull=False),
                name="follow_unique_resolution",
            ),
            models.UniqueConstraint(
                fields=["user", "party"],
                condition=models.Q(party__isnull=False),
                name="follow_unique_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.mandate or self.resolution or self.party}"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("By e-mail at once")
    DIGEST = "digest", _("By e-mail in a daily digest")
    NONE = "none", _("No e-mail: in the application only")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default="immediate")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.delivery}"


class NotificationKind(models.TextChoices):
    STATUS_CHANGE = "status_change", _("Status change")
    DEADLINE_REMINDER = "deadline_reminder", _("Document deadline reminder")


class Notification(models.Model):
    """One thing a user is told. `key` names the event, so that a task run twice (a
    retried message, a second beat) never tells the same user twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    key = models.CharField(max_length=128)
    text = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it went out by e-mail (at once or in a digest); null: not (yet) e-mailed.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_unique_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.text[:60]}"


class PendingFanout(models.Model):
    """A status change whose notification could not be queued (the broker was down when
    the update was saved). The sweep (beat, every minute) notifies for these once the
    broker answers again, then deletes them; notifying is idempotent, so a row handled
    twice sends nothing twice."""

    status_update_id = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    # A Party's own report (partners.PartyStatus), for the followers of that Party.
    party_status_id = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status_update_id__isnull=False, party_status_id__isnull=True)
                | models.Q(status_update_id__isnull=True, party_status_id__isnull=False),
                name="pendingfanout_one_event",
            )
        ]

    def __str__(self) -> str:
        if self.party_status_id:
            return f"Party status {self.party_status_id}"
        return f"status update {self.status_update_id}"
