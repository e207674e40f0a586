"""The application's URLs plus the textbook DRF list under /bench/textbook/ (benchmark
server only)."""

from __future__ import annotations

from django.urls import path

from bench.textbook import MandateViewSet
from cms_mandates.urls import handler404, handler500
from cms_mandates.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/textbook/mandates/", MandateViewSet.as_view({"get": "list"})),
    *app_urlpatterns,
]
__all__ = ["handler404", "handler500", "urlpatterns"]
