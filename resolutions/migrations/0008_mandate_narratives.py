"""One full-text search document per mandate, kept by PostgreSQL triggers (see
resolutions.models.MandateNarratives). A search for a common word used to collect its
matches from every status update (tens of thousands of heap rows at `cms` scale); it now
reads one GIN index over mandates. Documents keep no word positions, so a phrase search
("...") still reads the histories. The embedded SQLite default keeps the table empty."""

from __future__ import annotations

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

FORWARD = [
    """CREATE INDEX resolutions_mandatenarratives_search_gin
       ON resolutions_mandatenarratives USING gin (search_vector)""",
    # Each new history entry adds its narrative's (generated) tsvector to its mandate's
    # document, without word positions (strip): a document of a hundred narratives then
    # stays small enough to be stored inline and checked fast. History is append-only, so
    # there is nothing to take away.
    """CREATE FUNCTION resolutions_mandatenarratives_add() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.search_vector IS NULL OR length(NEW.search_vector) = 0 THEN
           RETURN NULL;
         END IF;
         INSERT INTO resolutions_mandatenarratives AS d (mandate_id, search_vector)
         VALUES (NEW.mandate_id, strip(NEW.search_vector))
         ON CONFLICT (mandate_id)
         DO UPDATE SET search_vector = d.search_vector || EXCLUDED.search_vector;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER resolutions_statusupdate_narratives
       AFTER INSERT ON resolutions_statusupdate
       FOR EACH ROW EXECUTE FUNCTION resolutions_mandatenarratives_add()""",
    """CREATE TRIGGER partners_partystatus_narratives
       AFTER INSERT ON partners_partystatus
       FOR EACH ROW EXECUTE FUNCTION resolutions_mandatenarratives_add()""",
    # The history written before this migration.
    """INSERT INTO resolutions_mandatenarratives (mandate_id, search_vector)
       SELECT mandate_id,
              strip(to_tsvector('english'::regconfig, string_agg(narrative, ' ')))
       FROM (SELECT mandate_id, narrative FROM resolutions_statusupdate WHERE narrative <> ''
             UNION ALL
             SELECT mandate_id, narrative FROM partners_partystatus WHERE narrative <> '') t
       GROUP BY mandate_id""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS partners_partystatus_narratives ON partners_partystatus",
    "DROP TRIGGER IF EXISTS resolutions_statusupdate_narratives ON resolutions_statusupdate",
    "DROP FUNCTION IF EXISTS resolutions_mandatenarratives_add()",
    "DROP INDEX IF EXISTS resolutions_mandatenarratives_search_gin",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("resolutions", "0007_translations_and_links"),
        # The generated search_vector of Party statuses.
        ("partners", "0002_search_tsvector"),
    ]

    operations = [
        migrations.CreateModel(
            name="MandateNarratives",
            fields=[
                (
                    "mandate",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="resolutions.mandate",
                    ),
                ),
                ("search_vector", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={"verbose_name_plural": "mandate narratives"},
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
