"""WSGI entry point (gunicorn cms_mandates.wsgi)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from cms_mandates.heap import FreezeAfterWarmUp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")

application = FreezeAfterWarmUp(get_wsgi_application(), settings.GC_FREEZE_AFTER_REQUESTS)
