"""The per-mandate search document of narratives (`MandateNarratives`): rebuilt whole
after a bulk load that skipped the triggers keeping it (generate_scale_data)."""

from __future__ import annotations

from django.db import connection

REBUILD_SQL = """
    INSERT INTO resolutions_mandatenarratives (mandate_id, search_vector)
    SELECT mandate_id, strip(to_tsvector('english'::regconfig, string_agg(narrative, ' ')))
    FROM (SELECT mandate_id, narrative FROM resolutions_statusupdate WHERE narrative <> ''
          UNION ALL
          SELECT mandate_id, narrative FROM partners_partystatus WHERE narrative <> '') t
    GROUP BY mandate_id
"""


def mandate_narratives_rebuild() -> None:
    """Every mandate's document from its whole history, in the caller's transaction.
    PostgreSQL only (the embedded default has no such document)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM resolutions_mandatenarratives")
        cursor.execute(REBUILD_SQL)
