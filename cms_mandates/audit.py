"""Who did it: the acting user and address of each change go into the audit trail.

The audit trail itself is written by PostgreSQL triggers (django-pghistory), so that no
write path (a form, the API, a bulk `QuerySet.update()`, a management command, raw SQL)
can skip it. The triggers read a per-transaction context which this module fills in.
On SQLite (the embedded default of `make run`) there are no triggers and no audit trail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pghistory
from django.db import connection
from django.http import HttpRequest, HttpResponse
from pghistory.middleware import HistoryMiddleware


def audit_enabled() -> bool:
    return connection.vendor == "postgresql"


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware (user and URL of every write request), only where the
    triggers exist."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self._plain = get_response

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().get_context(request)
        context["method"] = request.method
        return context

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not audit_enabled():
            return self._plain(request)
        return super().__call__(request)


@contextlib.contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """For commands and tasks: label the changes made inside (e.g. `command="load_seed"`,
    `user=<id>`). A no-op on SQLite."""
    if not audit_enabled():
        yield
        return
    with pghistory.context(**metadata):
        yield
