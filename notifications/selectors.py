"""Reads of follows and notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from notifications.models import Delivery, Follow, Notification, NotificationPreference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def notifications_for_user(*, user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def delivery_for_user(*, user: AbstractBaseUser) -> str:
    row = NotificationPreference.objects.filter(user=user).first()
    return row.delivery if row else Delivery.IMMEDIATE


def follows_for_user(*, user: AbstractBaseUser) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user).select_related(
        "mandate__resolution", "mandate__actor", "mandate__paragraph__parent", "resolution", "party"
    )


def is_following(*, user: AbstractBaseUser | AnonymousUser, target: Any) -> bool:
    if not user.is_authenticated:
        return False
    field = target._meta.model_name
    return Follow.objects.filter(user=user, **{field: target}).exists()
