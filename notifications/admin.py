from __future__ import annotations

from django.contrib import admin

from notifications.models import Follow, Notification, NotificationPreference


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "mandate", "resolution", "party", "created_at"]
    raw_id_fields = ["user", "mandate", "resolution", "party"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "text", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "delivery", "updated_at"]
    raw_id_fields = ["user"]
