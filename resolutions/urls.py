from __future__ import annotations

from django.urls import path

from resolutions import import_views, synergy_views, views

app_name = "resolutions"

urlpatterns = [
    path("resolutions/<int:pk>/", views.resolution_detail, name="resolution-detail"),
    path("actors/", views.actor_list, name="actor-list"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor-detail"),
    path("mandates/<int:pk>/", views.mandate_detail, name="mandate-detail"),
    # Secretariat workspace
    path("mandates/", views.mandate_list, name="mandate-list"),
    path("mandates/bulk-update/", views.mandate_bulk_update, name="mandate-bulk-update"),
    path("mandates/<int:pk>/update/", views.mandate_update, name="mandate-update"),
    path("mandates/<int:pk>/links/", synergy_views.mandate_link_add, name="mandate-link-add"),
    path(
        "mandates/<int:pk>/links/<int:link_pk>/",
        synergy_views.mandate_link_decide,
        name="mandate-link-decide",
    ),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # Revisions and the importer.
    path("resolutions/<int:pk>/changes/", views.resolution_changes, name="resolution-changes"),
    path("imports/", import_views.import_list, name="import-list"),
    path("imports/new/", import_views.import_new, name="import-new"),
    path("imports/<int:pk>/", import_views.import_preview, name="import-preview"),
    path(
        "imports/<int:pk>/paragraphs/<int:position>/",
        import_views.import_paragraph,
        name="import-paragraph",
    ),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/discard/", import_views.import_discard, name="import-discard"),
    path(
        "resolutions/<int:pk>/translations/new/",
        import_views.translation_import,
        name="translation-import",
    ),
    path("imports/phrases/<int:pk>/", import_views.phrase_map, name="phrase-map"),
]
