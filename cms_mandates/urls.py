"""URL wiring. Each app owns its own URLs; this file only mounts them."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from cms_mandates.health import healthz
from resolutions import synergy_views
from resolutions import views as resolution_views

urlpatterns = [
    path("", resolution_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("synergies/", synergy_views.synergies, name="synergies"),
    path("synergies/export.json", synergy_views.synergies_export, name="synergies-export"),
    path("paragraphs/<int:pk>/", synergy_views.paragraph_uri, name="paragraph-uri"),
    path("accounts/", include("django.contrib.auth.urls")),
    # POST language=fr|es|en (and next=): the interface language, kept in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cms_mandates.api_urls")),
    path("", include("audit.urls")),
    path("", include("reporting.urls")),
    path("", include("partners.urls")),
    path("", include("notifications.urls")),
    path("", include("resolutions.urls")),
]

# API addresses answer errors as problem JSON; pages keep the site's error pages.
handler404 = "cms_mandates.rest.page_not_found"
handler500 = "cms_mandates.rest.server_error"

admin.site.site_header = "CMS Mandate Tracker administration"
admin.site.site_title = "CMS Mandate Tracker"
admin.site.index_title = "Administration"
