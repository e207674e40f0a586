"""`/api/v1/`: one router for every app's viewsets, the OpenAPI schema and its docs.

Each app keeps its viewsets in `<app>/api.py` and registers them here, with the basename
`api-<resource>` (URL names `api-<resource>-list` / `api-<resource>-detail`). Viewsets
subclass `cms_mandates.rest_views.ReadOnlyApiViewSet` (or `ApiViewSet`), or put
`cms_mandates.rest.ApiViewMixin` first in their bases;
see cms_mandates/rest.py for the conventions they then follow.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cms_mandates.rest_views import ProblemTypeViewSet
from cms_mandates.security import docs_policy
from partners.api import PartyViewSet
from reporting.api import MeetingViewSet, ReportViewSet
from resolutions import api as resolutions_api

router = DefaultRouter()
router.register("resolutions", resolutions_api.ResolutionViewSet, basename="api-resolution")
router.register("paragraphs", resolutions_api.ParagraphViewSet, basename="api-paragraph")
router.register("actors", resolutions_api.ActorViewSet, basename="api-actor")
router.register("mandates", resolutions_api.MandateViewSet, basename="api-mandate")
router.register("status-updates", resolutions_api.StatusUpdateViewSet, basename="api-statusupdate")
router.register("meetings", MeetingViewSet, basename="api-meeting")
router.register("reports", ReportViewSet, basename="api-report")
router.register("parties", PartyViewSet, basename="api-party")
router.register("problems", ProblemTypeViewSet, basename="api-problem")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so that the docs page
    # runs under the site's script policy (its template keeps one inline <style>).
    path(
        "docs/",
        docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
