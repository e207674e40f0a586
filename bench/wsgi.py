"""The benchmark server: `gunicorn bench.wsgi` serves the application (production settings,
plus bench/urls.py and the query counter) and, under /floor/, the floor: the rows of the
mandate list's first page from one raw SQL query, as plain JSON of the same shape, with no
ORM, DRF, middleware or template in between (a mandate's links come from a subquery of the
same statement). Like the API, it picks the page's rows by their sort keys alone, walking
the resolutions in symbol order, reads the wide columns of those rows only, and runs on the
same cursor, which PostgreSQL keeps the statement prepared for
(`cms_mandates.db.prepared_cursor`). It builds the JSON in Python from the rows, as a
plain hand-written endpoint would; the list API has PostgreSQL write each mandate's JSON
instead (`resolutions.selectors.mandate_api_documents`), so what it costs beyond the floor
is the framework's share less what that saves. The floor is never part of the
application's URLs."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from cms_mandates.heap import FreezeAfterWarmUp

# As cms_mandates.wsgi serves it; the floor's requests count towards the freezes too.
django_application = get_wsgi_application()

from django.db import close_old_connections  # noqa: E402

from cms_mandates.db import prepared_cursor  # noqa: E402

FLOOR_SQL = """
SELECT m.id, r.id, r.symbol, r.title, p.id, p.number, p.text, a.slug, a.name,
       m.position, m.verb, m.verb_phrase, m.addressee_phrase, m.strength,
       m.subject_to_resources, dm.code, m.cadence, rt.slug, m.status, m.progress, m.version,
       coalesce(dm.start_date <= current_date
                AND m.status NOT IN ('completed', 'not_applicable', 'superseded'), false),
       m.status_changed_at, m.created_at, m.updated_at,
       (SELECT json_agg(json_build_object(
                  'kind', l.kind,
                  'key', coalesce(o.slug, g.code, s.number::text),
                  'label', coalesce(nullif(o.acronym, ''), o.name, 'GBF ' || g.code,
                                    'SDG ' || s.number),
                  'title', coalesce(o.name, g.title, s.title),
                  'state', l.state, 'source', l.source, 'decided_at', l.decided_at)
                ORDER BY l.kind, o.name, g.number, s.number, l.id)
        FROM resolutions_mandatelink l
        LEFT JOIN partners_organisation o ON o.id = l.organisation_id
        LEFT JOIN resolutions_gbftarget g ON g.id = l.gbf_target_id
        LEFT JOIN resolutions_sdg s ON s.id = l.sdg_id
        WHERE l.mandate_id = m.id AND l.state <> 'rejected')
FROM resolutions_mandate m
JOIN resolutions_resolution r ON r.id = m.resolution_id
JOIN resolutions_paragraph p ON p.id = m.paragraph_id
JOIN resolutions_actor a ON a.id = m.actor_id
LEFT JOIN reporting_meeting dm ON dm.id = m.due_meeting_id
LEFT JOIN resolutions_actor rt ON rt.id = m.report_to_id
WHERE m.id IN (
    SELECT page.id
    FROM (SELECT id, symbol FROM resolutions_resolution ORDER BY symbol) pr
    CROSS JOIN LATERAL (
        SELECT pm.id, pp."order", pm.position, pa."order" AS actor_order
        FROM resolutions_mandate pm
        JOIN resolutions_paragraph pp ON pp.id = pm.paragraph_id
        JOIN resolutions_actor pa ON pa.id = pm.actor_id
        WHERE pm.resolution_id = pr.id {actor}
        OFFSET 0) page
    ORDER BY pr.symbol, page."order", page.position, page.actor_order, page.id
    LIMIT {limit:d})
ORDER BY r.symbol, p."order", m.position, a."order", m.id
"""


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def floor(environ, start_response):
    params = parse_qs(environ.get("QUERY_STRING", ""))
    size = min(200, int(params.get("page_size", ["50"])[0]))
    actor = params.get("actor", [None])[0]
    base = f"http://{environ.get('HTTP_HOST', 'localhost')}"
    close_old_connections()
    with prepared_cursor() as cursor:
        # As the list does: the limit written out, a condition only where there is one, so
        # that the prepared statement's generic plan serves every request.
        sql = FLOOR_SQL.format(limit=size + 1, actor="" if actor is None else "AND pa.slug = %s")
        cursor.execute(sql, () if actor is None else (actor,))
        rows = cursor.fetchall()
    results = [
        {
            "id": m[0],
            "url": f"{base}/api/v1/mandates/{m[0]}/",
            "html_url": f"{base}/mandates/{m[0]}/",
            "resolution": {
                "id": m[1],
                "url": f"{base}/api/v1/resolutions/{m[1]}/",
                "symbol": m[2],
                "title": m[3],
            },
            "paragraph": {
                "id": m[4],
                "url": f"{base}/api/v1/paragraphs/{m[4]}/",
                "number": m[5],
                "text": m[6],
            },
            "actor": {"slug": m[7], "url": f"{base}/api/v1/actors/{m[7]}/", "name": m[8]},
            "position": m[9],
            "verb": m[10],
            "verb_phrase": m[11],
            "addressee_phrase": m[12],
            "strength": m[13],
            "subject_to_resources": m[14],
            "due_meeting": m[15],
            "cadence": m[16],
            "report_to": m[17],
            "status": m[18],
            "progress": m[19],
            "version": m[20],
            "is_overdue": m[21],
            "status_changed_at": _iso(m[22]),
            "status_updates_url": f"{base}/api/v1/status-updates/?mandate={m[0]}",
            "links": m[25] or [],
            "created_at": _iso(m[23]),
            "updated_at": _iso(m[24]),
        }
        for m in rows[:size]
    ]
    body = json.dumps({"next": None, "previous": None, "results": results}).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Queries", "1"),
        ],
    )
    return [body]


def _route(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/floor/"):
        return floor(environ, start_response)
    return django_application(environ, start_response)


application = FreezeAfterWarmUp(_route, settings.GC_FREEZE_AFTER_REQUESTS)
