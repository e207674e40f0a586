from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notification_read, name="read"),
    path("notifications/preference/", views.preference, name="preference"),
    path(
        "follow/<str:kind>/<int:pk>/",
        views.follow,
        name="follow",
    ),
]
