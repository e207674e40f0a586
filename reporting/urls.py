from __future__ import annotations

from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<str:code>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<str:code>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<str:code>/reports/", views.report_compile, name="report-compile"),
    path(
        "meetings/<str:code>/reports/<int:version>/status/",
        views.report_status,
        name="report-status",
    ),
    path(
        "meetings/<str:code>/reports/<int:version>/<str:fmt>/",
        views.report_download,
        name="report-download",
    ),
    path("reports/compare/", views.report_compare, name="report-compare"),
]
