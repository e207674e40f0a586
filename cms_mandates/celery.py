"""The Celery application. Workers and beat start with `celery -A cms_mandates ...`.

Without REDIS_URL the settings make every task run eagerly in the calling process, so
the same task code serves `make run` and the full stack.
"""

from __future__ import annotations

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")


class WorkingLanguageTask(Task):
    """Every task runs in the working language (settings.LANGUAGE_CODE): the texts it
    stores or sends (notifications, e-mails, meeting documents) are nobody's reading
    language. Run in-process (the embedded default), a task would otherwise take the
    language of the request that queued it."""

    def __call__(self, *args, **kwargs):
        from django.conf import settings
        from django.utils import translation

        with translation.override(settings.LANGUAGE_CODE):
            return super().__call__(*args, **kwargs)


app = Celery("cms_mandates", task_cls=WorkingLanguageTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
