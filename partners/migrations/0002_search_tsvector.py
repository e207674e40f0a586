"""Full-text search over Party status narratives: a generated, GIN-indexed tsvector on
PostgreSQL only (see resolutions/migrations/0003_search_tsvector.py)."""

from __future__ import annotations

from django.db import migrations

FORWARD = [
    """ALTER TABLE partners_partystatus ADD COLUMN search_vector tsvector
       GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(narrative, '')))
       STORED""",
    """CREATE INDEX partners_partystatus_search_gin
       ON partners_partystatus USING gin (search_vector)""",
]
BACKWARD = [
    "DROP INDEX IF EXISTS partners_partystatus_search_gin",
    "ALTER TABLE partners_partystatus DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
