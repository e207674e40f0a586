from __future__ import annotations

from django.urls import path, re_path

from partners import views

app_name = "partners"

ISO2 = r"(?P<iso2>[A-Za-z]{2})"

urlpatterns = [
    path("parties/", views.party_list, name="party-list"),
    path("parties/matrix/", views.party_matrix, name="party-matrix"),
    re_path(rf"^parties/{ISO2}/$", views.party_detail, name="party-detail"),
    re_path(
        rf"^parties/{ISO2}/(?P<fmt>pdf|docx|xlsx)/$", views.party_download, name="party-download"
    ),
    re_path(
        rf"^parties/{ISO2}/mandates/(?P<mandate_id>[0-9]{{1,18}})/$",
        views.party_mandate,
        name="party-mandate",
    ),
    path("parties/evidence/<int:pk>/", views.party_evidence_download, name="party-evidence"),
    re_path(
        rf"^parties/{ISO2}/mandates/(?P<mandate_id>[0-9]{{1,18}})/report/$",
        views.party_report,
        name="party-report",
    ),
]
