from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    """Joins the translations and full-text search branches of the history."""

    dependencies = [
        ("resolutions", "0003_paragraph_translations"),
        ("resolutions", "0003_search_tsvector"),
    ]

    operations = []
