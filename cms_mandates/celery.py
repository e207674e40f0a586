"""The Celery application. Workers and beat start with `celery -A cms_mandates ...`.

Without REDIS_URL the settings make every task run eagerly in the calling process, so
the same task code serves `make run` and the full stack.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")

app = Celery("cms_mandates")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
