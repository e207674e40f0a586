"""`X-Queries`: how many SQL statements the request ran (benchmark server only)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse


def count_queries(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        seen = [0]

        def counter(execute, sql, params, many, context):
            seen[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = get_response(request)
            # Streaming and lazily rendered bodies run their queries here.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["X-Queries"] = str(seen[0])
        return response

    return middleware
