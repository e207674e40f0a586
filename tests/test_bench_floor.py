"""The benchmark's floor (bench/wsgi.py) serves the same rows, in the same order and shape,
as the mandate list API's first page: otherwise the ratio `make bench` reports would
compare unlike work."""

from __future__ import annotations

import io
import json

import pytest

from tests.factories import MandateFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def _floor(page_size: int, monkeypatch) -> dict:
    from bench import wsgi

    # The test's transaction holds the connection the floor would otherwise recycle.
    monkeypatch.setattr(wsgi, "close_old_connections", lambda: None)
    answer: dict = {}

    def start_response(status, headers):
        answer["status"] = status

    environ = {
        "QUERY_STRING": f"page_size={page_size}",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(wsgi.floor(environ, start_response))
    assert answer["status"] == "200 OK"
    return json.loads(body)


def test_the_floor_serves_the_api_rows_in_the_api_shape(client, secretariat_user, monkeypatch):
    from partners.models import Organisation
    from resolutions.models import GbfTarget
    from resolutions.services import mandate_link_add

    due = MeetingFactory(code="COP1", number=1, start_date="2020-01-01")
    mandates = [MandateFactory() for _ in range(3)] + [MandateFactory(due_meeting=due)]
    ramsar = Organisation.objects.update_or_create(
        slug="ramsar", defaults={"name": "Convention on Wetlands", "acronym": "Ramsar"}
    )[0]
    target = GbfTarget.objects.get_or_create(code="T21", defaults={"number": 21, "title": "T"})[0]
    mandate_link_add(mandate=mandates[1], user=secretariat_user, organisation=ramsar)
    mandate_link_add(mandate=mandates[1], user=secretariat_user, gbf_target=target)

    api = client.get("/api/v1/mandates/", {"page_size": 4}).json()["results"]
    floor = _floor(4, monkeypatch)["results"]
    assert [row["id"] for row in floor] == [row["id"] for row in api]
    for ours, theirs in zip(floor, api, strict=True):
        assert list(ours) == list(theirs)
        assert {k: v for k, v in ours.items() if not k.endswith("_at") and k != "links"} == {
            k: v for k, v in theirs.items() if not k.endswith("_at") and k != "links"
        }
        assert [
            (x["kind"], x["key"], x["label"], x["title"], x["state"]) for x in ours["links"]
        ] == [(x["kind"], x["key"], x["label"], x["title"], x["state"]) for x in theirs["links"]]
    assert any(row["links"] for row in floor)


def test_the_bench_creates_its_database_when_it_is_missing(settings):
    """`make bench` on a new machine: the database it names does not exist yet."""
    import uuid

    import psycopg

    from bench.database import ensure_database

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    name = f"cms_bench_test_{uuid.uuid4().hex[:8]}"
    try:
        ensure_database(f"{server}/{name}")
        ensure_database(f"{server}/{name}")  # a second time: it is there, nothing to do
        with psycopg.connect(f"{server}/{name}") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_the_cpu_harness_reports_each_path(settings):
    """`bench/cpu.py` serves the paths in one process and prints a row of CPU times for
    each; a path that does not answer 200 stops it with the status."""
    import subprocess
    import sys
    from pathlib import Path

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(root / "bench" / "cpu.py"), "--database-url", url]
    command += ["--requests", "4", "--turns", "2", "--warmup", "1"]
    done = subprocess.run(
        [*command, "/api/v1/", "/floor/mandates/?page_size=2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| /")]
    assert [row.split(" | ")[0] for row in rows] == ["| /api/v1/", "| /floor/mandates/?page_size=2"]
    assert all(float(cell) >= 0 for row in rows for cell in row.strip("|").split("|")[1:])
    missing = subprocess.run(
        [*command, "/api/v1/no-such-thing/"], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode != 0 and "404" in missing.stderr
