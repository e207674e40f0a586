"""Celery tasks of notifications. Thin: ids in, a service call. Names are stable: queued
messages and the beat schedule refer to them."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(name="notifications.fanout", ignore_result=True, acks_late=True)
def fanout(status_update_ids: list[int]) -> int:
    """Notify the followers of the mandates these status updates changed."""
    return services.notifications_fanout(status_update_ids=status_update_ids)


@shared_task(name="notifications.party_fanout", ignore_result=True, acks_late=True)
def party_fanout(party_status_ids: list[int]) -> int:
    """Notify the followers of the Parties that reported these statuses."""
    return services.party_notifications_fanout(party_status_ids=party_status_ids)


@shared_task(name="notifications.send_digest", ignore_result=True)
def send_digest() -> int:
    """The daily digest e-mails (from beat)."""
    return services.notifications_send_digest()


@shared_task(name="notifications.deadline_reminders", ignore_result=True)
def deadline_reminders() -> int:
    """Reminders ahead of meetings' document deadlines (daily, from beat)."""
    return services.deadline_reminders_send()


@shared_task(name="notifications.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    """Notify for status changes saved while the broker was down (every minute, beat)."""
    return services.pending_fanouts_send()
