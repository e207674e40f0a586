from __future__ import annotations

from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    name = "resolutions"
    verbose_name = "Resolutions and mandates"

    def ready(self) -> None:
        from cms_mandates import db

        db.install()
