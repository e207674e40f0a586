"""Timestamps are read from PostgreSQL by `cms_mandates.db`'s loader: the same values as
Django's own loader gives, for every form PostgreSQL writes, at a fraction of the cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from cms_mandates.db import iso_timestamp_loader

pytestmark = pytest.mark.django_db

LITERALS = [
    "2026-11-24 17:58:11.123456+00",
    "2026-11-24 17:58:11.12+00",
    "2026-11-24 17:58:11+00",
    "2026-02-28 23:59:59.999999-11",
    "2024-02-29 12:00:00+05:45",
    "0999-01-01 00:00:00+00",
    "1900-01-01 00:00:00+00",
    "9999-12-30 23:59:59+00",
]


def _read(cursor, literals: list[str], zone: str) -> list:
    cursor.execute(f"SET TIME ZONE '{zone}'")
    cursor.execute(
        "SELECT x::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
        [literals],
    )
    return [(value, value.tzinfo, value.isoformat()) for (value,) in cursor.fetchall()]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "America/St_Johns"])
def test_the_loader_reads_what_djangos_loader_reads(zone):
    with connection.cursor() as ours:
        loader = connection.connection.adapters.get_loader(1184, Format.TEXT)  # timestamptz
        assert loader is iso_timestamp_loader(connection.timezone)
        try:
            read = _read(ours, LITERALS, zone)
        finally:
            ours.execute("SET TIME ZONE 'UTC'")
    with connection.cursor() as djangos:
        register_tzloader(connection.timezone, djangos)
        try:
            expected = _read(djangos, LITERALS, zone)
        finally:
            djangos.execute("SET TIME ZONE 'UTC'")
    assert read == expected


@pytest.mark.parametrize("literal", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_what_python_cannot_hold_fails_as_before(literal):
    """Not ISO for datetime.fromisoformat: Django's loader reads or rejects it as it did."""
    outcomes = []
    for own in (True, False):
        with connection.cursor() as cursor:
            if not own:
                register_tzloader(connection.timezone, cursor)
            cursor.execute("SELECT %s::timestamptz", [literal])
            with pytest.raises(Exception) as caught:
                cursor.fetchone()
            outcomes.append((type(caught.value), str(caught.value)))
    assert outcomes[0] == outcomes[1]


def test_a_saved_moment_comes_back_unchanged(seed):
    import datetime as dt

    from resolutions.models import Mandate

    mandate = Mandate.objects.first()
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=dt.UTC)
    Mandate.objects.filter(pk=mandate.pk).update(status_changed_at=moment)
    assert Mandate.objects.get(pk=mandate.pk).status_changed_at == moment
    read = Mandate.objects.values_list("status_changed_at", flat=True).get(pk=mandate.pk)
    assert (read, read.tzinfo) == (moment, dt.UTC)
