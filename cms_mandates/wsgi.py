"""WSGI entry point (gunicorn cms_mandates.wsgi)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")

application = get_wsgi_application()
