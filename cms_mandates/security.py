"""Response headers every answer carries, and a plain 503 when the database is down.

Both middleware sit first in MIDDLEWARE so that they see every response: pages, the API,
static files served by WhiteNoise, error pages, and the 503 below.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

#: What a visitor reads while the database is unreachable (no detail of the failure).
UNAVAILABLE_MESSAGE = (
    "The service is temporarily unavailable: its database cannot be reached. "
    "Nothing you submitted was half-saved. Please try again in a few minutes."
)
RETRY_AFTER_SECONDS = "30"


class SecurityHeadersMiddleware:
    """Content-Security-Policy, frame protection, nosniff and Referrer-Policy on every answer.

    Django's SecurityMiddleware and XFrameOptionsMiddleware set the same headers on what
    passes through them; this one also covers what never reaches them (static files
    answered by WhiteNoise, the 503 of ServiceUnavailableMiddleware). A view that sets its
    own value keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def docs_policy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API docs page (Swagger UI) with the site's policy, except that its template's
    one inline <style> block is allowed; scripts stay 'self' only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        return response

    return wrapped


def is_database_outage(exc: BaseException | None) -> bool:
    """A lost or refused database connection, as opposed to a bug in a query."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        if isinstance(exc, DatabaseError) and exc.__cause__ is not None:
            exc = exc.__cause__
            continue
        return False
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with a plain message: problem JSON on the API, plain text elsewhere. Built
    without templates, sessions or the database, which may all be what failed."""
    if request.path.startswith("/api/"):
        from cms_mandates.rest import PROBLEM_CONTENT_TYPE

        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": UNAVAILABLE_MESSAGE,
                "instance": request.path,
            }
        )
        response = HttpResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = HttpResponse(
            f"Service unavailable\n\n{UNAVAILABLE_MESSAGE}\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = RETRY_AFTER_SECONDS
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """A database outage raised by a view is answered 503, never 500. (Outages raised in
    middleware further in are turned into responses by Django before they get here; the
    handler500 in cms_mandates.rest catches those.) Django closes the broken connection at
    the end of the request, so service resumes by itself when the database is back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            logger.error("Database unreachable in %s: %s", request.path, exception)
            return unavailable_response(request)
        return None


def current_exception_is_outage() -> bool:
    """For handler500, which Django calls inside the except block of the failure."""
    return is_database_outage(sys.exc_info()[1])
