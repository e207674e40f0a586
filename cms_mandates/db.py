"""Timestamps read from PostgreSQL without the pure-Python parser.

Django's psycopg backend reads `timestamptz` columns with a loader derived from psycopg's
pure-Python one (so that it can set the time zone), which bypasses psycopg's C loader:
parsing each timestamp with a regular expression in Python cost about 8 microseconds, a
tenth of a Party page and of a page of the API, and more of a report, which reads every
status update's time. `install()` registers, on each new PostgreSQL connection, a loader
that gives the same values (the same moment, with the same `tzinfo` as Django's) and reads
PostgreSQL's ISO output with `datetime.fromisoformat`. Anything else (another DateStyle,
infinity, dates BC, years past 9999) goes to Django's loader, which reads or rejects it as
before.

`prepared_cursor()` is a cursor whose statements PostgreSQL keeps prepared once they
repeat (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.backends.utils import CursorWrapper


@functools.lru_cache
def iso_timestamp_loader(zone: dt.tzinfo | None) -> type:
    """The loader class for connections whose Django time zone is `zone` (None: naive
    timestamps, as Django gives them without USE_TZ)."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    class IsoTimestamptzLoader(BaseTzLoader):
        # Django compares this with the connection's zone before every cursor and registers
        # its own loader when they differ.
        timezone = zone

        def load(self, data: Any) -> dt.datetime:
            try:
                # PostgreSQL writes the time in the session's zone, with that zone's
                # offset: the wall-clock time Django's loader gives, before it swaps the
                # offset for its own tzinfo object, as here.
                moment = dt.datetime.fromisoformat(bytes(data).decode())
            except ValueError:
                return super().load(data)
            return moment.replace(tzinfo=self.timezone)

    return IsoTimestamptzLoader


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if is_psycopg3:
        loader = iso_timestamp_loader(connection.timezone)
        connection.connection.adapters.register_loader("timestamptz", loader)


def install() -> None:
    """Register the loader on every PostgreSQL connection opened from now on."""
    connection_created.connect(_register, dispatch_uid="cms_mandates.db.iso_timestamps")


def prepared_cursor() -> CursorWrapper:
    """A cursor (use it in a `with`) for the statements of the busiest reads, which
    PostgreSQL prepares once one has run `DATABASE_PREPARE_THRESHOLD` times on a
    connection: planning them again on every request took twice as long as running them
    (2.2 ms and 0.95 ms for a page of the mandate list at `cms` scale).

    Its parameters are bound on the server, which prepared statements need. Every other
    cursor binds them on the client, as Django does by default: the audit trail's context
    goes in front of each write as a second statement of the same query, which a prepared
    statement cannot hold. The cursor goes through Django's wrapper all the same (errors,
    execute wrappers, the query log). Where statements are not prepared (SQLite, psycopg 2,
    the threshold unset for a connection pooler in transaction mode), a plain cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if not is_psycopg3 or connection.connection.prepare_threshold is None:
        return connection.cursor()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@functools.cache
def _preparing_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Django's cursor class for server-side binding, which also names the statement it
        ran when that statement was prepared (psycopg leaves it unset then), for Django's
        query log (DEBUG, tests) to read."""

        def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)

    return PreparingCursor
