"""The conventions every `/api/v1/` endpoint follows, in one place.

This module is named by REST_FRAMEWORK settings, which `rest_framework.views` reads when it
is imported; so nothing here imports DRF's views at module level (the view base classes
are in `cms_mandates.rest_views`).

Global (REST_FRAMEWORK in settings.py, so any DRF view picks them up):
- `CursorPagination`: keyset cursors over the queryset's own ordering, `?page_size=` from 1
  to `MAX_PAGE_SIZE`, one envelope `{"next", "previous", "results"}` and a `Link` header;
- `problem_exception_handler`: every error is an RFC 9457 problem (`application/problem+json`)
  with `type`, `title`, `status`, `detail`, `instance` and, for bad input, `errors` by field;
- `CSVRenderer` (`?format=csv` or `Accept: text/csv`) beside JSON, and
  `StrictContentNegotiation` (an unknown `?format=` is a 400, not a 404);
- `AnonymousThrottle` / `UserThrottle`, rates from settings read at request time;
- `postprocess_schema`: the problem responses, conditional-request headers, `format` and
  `Idempotency-Key` parameters documented on every operation of the OpenAPI schema.

Per view (`ApiViewMixin`, first in the bases of every API view or viewset; the base
classes in `cms_mandates.rest_views` include it):
- strict query parameters: only the view's filters (on lists), `cursor`, `page_size` and
  `format` are accepted, each once unless the filter takes several values; anything else
  is a 400 naming the parameter, never a silently ignored filter;
- `ETag` on every 200 GET response and `If-None-Match` -> 304;
- `Idempotency-Key` on POST: a retry with the same key (same user, same body) replays the
  first 2xx response instead of running again; see `IdempotencyClaim`;
- `?format=csv` only on list actions.
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import hashlib
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from django.views import defaults as django_views
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers
from rest_framework.fields import get_error_detail
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.utils.urls import remove_query_param, replace_query_param

from cms_mandates.security import (
    current_exception_is_outage,
    is_database_outage,
    unavailable_response,
)

logger = logging.getLogger(__name__)

#: The largest `?page_size=` a list accepts (the default is REST_FRAMEWORK["PAGE_SIZE"]).
MAX_PAGE_SIZE = 200
#: How long a completed POST is remembered under its Idempotency-Key.
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
#: How long a claimed key stays "in progress" if its request never finishes (crash).
IDEMPOTENCY_PENDING_SECONDS = 60
#: Response headers a replayed POST repeats besides its status and body.
IDEMPOTENCY_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")

PROBLEM_CONTENT_TYPE = "application/problem+json"
CSV_CONTENT_TYPE = "text/csv"


# --- Problems (RFC 9457) ------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        # Relative to the API, so that it is the same string on every host; it resolves to
        # `/api/v1/problems/<slug>/`, which describes the problem. A status this module
        # does not describe has no more meaning than the status: "about:blank" (RFC 9457).
        return f"/api/v1/problems/{self.slug}/" if self.slug else "about:blank"


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType(
            "invalid-request",
            400,
            "The request is not valid",
            "A query parameter, header or body field is malformed, unknown or out of range. "
            "`errors` maps each offending name to its messages; nothing was changed.",
        ),
        ProblemType(
            "not-authenticated",
            401,
            "Authentication required",
            "Writing needs credentials: `Authorization: Token <key>` or a signed-in session "
            "with its CSRF token. A token that is wrong or belongs to an inactive user is "
            "refused with this problem too.",
        ),
        ProblemType(
            "permission-denied",
            403,
            "Not allowed",
            "The credentials are valid but their role may not do this (see the roles in the "
            "API documentation).",
        ),
        ProblemType("not-found", 404, "Not found", "No resource at this address."),
        ProblemType(
            "method-not-allowed",
            405,
            "Method not allowed",
            "This address does not answer this HTTP method; the `Allow` header lists those it "
            "answers.",
        ),
        ProblemType(
            "not-acceptable",
            406,
            "Not acceptable",
            "None of the media types in `Accept` can be produced: ask for application/json, "
            "or text/csv on lists.",
        ),
        ProblemType(
            "idempotency-key-in-use",
            409,
            "A request with this Idempotency-Key is in progress",
            "Another request with the same Idempotency-Key has not finished yet. Retry after "
            "`Retry-After` seconds to receive its response.",
        ),
        ProblemType(
            "stale-version",
            412,
            "The resource has changed",
            "The `If-Match` ETag is not the resource's current one: someone else saved a "
            "change first. Nothing was written. `current_etag`, `current_version` and "
            "`latest_update` describe the change that won; read it, then decide again.",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "Send the request body as application/json.",
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            "Idempotency-Key reused for a different request",
            "The Idempotency-Key was already used with another method, address or body. Use a "
            "new key for a new request.",
        ),
        ProblemType(
            "precondition-required",
            428,
            "If-Match required",
            "This write is conditional: send `If-Match` with the ETag of the version the "
            "change is based on (from a GET of the resource).",
        ),
        ProblemType(
            "throttled",
            429,
            "Too many requests",
            "The request rate limit was reached. Retry after `Retry-After` seconds.",
        ),
        ProblemType(
            "server-error",
            500,
            "Server error",
            "The server failed to answer. The error was logged; nothing was changed.",
        ),
    )
}
_PROBLEM_BY_STATUS = {p.status: p for p in PROBLEM_TYPES.values()}


class Problem(exceptions.APIException):
    """An API error with a problem type of its own and optional extension members (RFC
    9457 section 3.2), e.g. the current version in a 412."""

    problem: ClassVar[str] = "invalid-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        kind = PROBLEM_TYPES[self.problem]
        self.status_code = kind.status
        super().__init__(detail or kind.title)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class PreconditionFailed(Problem):
    problem = "stale-version"


class PreconditionRequired(Problem):
    problem = "precondition-required"


class IdempotencyKeyInUse(Problem):
    problem = "idempotency-key-in-use"


class IdempotencyKeyReused(Problem):
    problem = "idempotency-key-reused"


def _flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "evidence_links.2": [...]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                for field, messages in _flatten_errors(item, f"{prefix}.{index}").items():
                    flat.setdefault(field, []).extend(messages)
        return flat
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(detail)]}


def problem_body(
    *,
    kind: ProblemType,
    request: HttpRequest | None,
    detail: str = "",
    status: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": status or kind.status,
        "detail": detail or kind.title,
    }
    if request is not None:
        body["instance"] = request.get_full_path()
    body.update(extra)
    return body


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as an application/problem+json body.

    Django's ValidationError (raised by the services, a dict by field) is a 400 with the same
    `errors` shape as a serializer's; anything unexpected is logged and answered with a 500
    problem (with DEBUG on, Django's debug page is shown instead)."""
    # Imported here: rest_framework.views reads these settings, which name this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, SuspiciousOperation):
        # e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE: Django answers these 400 too.
        exc = exceptions.ParseError(str(exc) or "The request was refused.")
    response = drf_exception_handler(exc, context)
    if response is None and is_database_outage(exc):
        logger.error("Database unreachable in %s: %s", getattr(request, "path", "the API"), exc)
        return unavailable_response(request)
    if response is None:
        if settings.DEBUG:
            return None
        logger.exception("Unhandled error in %s", getattr(request, "path", "the API"), exc_info=exc)
        set_rollback()
        kind = PROBLEM_TYPES["server-error"]
        return Response(
            problem_body(kind=kind, request=request), status=500, content_type=PROBLEM_CONTENT_TYPE
        )

    if isinstance(exc, Problem):
        kind = PROBLEM_TYPES[exc.problem]
    else:
        kind = _PROBLEM_BY_STATUS.get(response.status_code) or ProblemType(
            "", response.status_code, HTTPStatus(response.status_code).phrase, ""
        )
    extra: dict[str, Any] = {}
    detail = ""
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten_errors(exc.detail)
        extra["errors"] = errors
        detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    elif isinstance(exc, exceptions.APIException):
        detail = str(exc.detail)
    if isinstance(exc, Problem):
        extra.update(exc.extra)
        for header, value in exc.headers.items():
            response[header] = value
    response.data = problem_body(
        kind=kind, request=request, detail=detail, status=response.status_code, **extra
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _django_error_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [
                str(message) for error in errors for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    return get_error_detail(exc)


def problem_response(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    """A problem response outside DRF (URL not found, crash before a view answered)."""
    kind = _PROBLEM_BY_STATUS[status]
    body = problem_body(kind=kind, request=request, detail=detail)
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def _is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a problem for API addresses, the site's page elsewhere."""
    if _is_api_path(request):
        return problem_response(request, 404, "No resource at this address.")
    return django_views.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a problem for API addresses, the site's page elsewhere; a database
    outage raised outside a view is a 503 with a plain message."""
    if current_exception_is_outage():
        return unavailable_response(request)
    if _is_api_path(request):
        return problem_response(request, 500)
    return django_views.server_error(request)


# --- Content negotiation and renderers ----------------------------------------------------


class StrictContentNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is bad input (400 naming the formats offered), not a 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            offered = sorted({r.format for r in renderers})
            value = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            raise exceptions.ValidationError(
                {"format": [f"{value!r} is not offered here. Choose one of: {', '.join(offered)}."]}
            ) from None


#: Spreadsheets run cells that start with these as formulas (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class RawJSONArray(Sequence):
    """A JSON array whose items are already encoded (a page of mandates written by
    PostgreSQL), which `ApiJSONRenderer` sends as it is. Read as a sequence (another
    renderer, a test's `response.data`), it decodes them."""

    def __init__(self, items: list[str]) -> None:
        self.items = items

    @functools.cached_property
    def _decoded(self) -> list[Any]:
        return [json.loads(item) for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        return self._decoded[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # mutable, as a list


class ApiJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, which also writes a mapping's RawJSONArray values as they are
    (compact, as DRF writes JSON; U+2028 and U+2029 escaped as DRF escapes them)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, Mapping) or not any(
            isinstance(value, RawJSONArray) for value in data.values()
        ):
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            # Indented on request: as DRF writes it, the items decoded first.
            plain = {k: list(v) if isinstance(v, RawJSONArray) else v for k, v in data.items()}
            return super().render(plain, accepted_media_type, renderer_context)

        def encode(value: Any) -> str:
            if isinstance(value, RawJSONArray):
                return f"[{','.join(value.items)}]"
            return json.dumps(
                value,
                cls=self.encoder_class,
                ensure_ascii=self.ensure_ascii,
                allow_nan=not self.strict,
                separators=(",", ":"),
            )

        text = "{" + ",".join(f"{encode(str(k))}:{encode(v)}" for k, v in data.items()) + "}"
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


class CSVRenderer(BaseRenderer):
    """Lists as CSV: one row per result, nested objects flattened into `parent.child`
    columns, lists of plain values one per line in their cell, other lists as JSON.

    Columns come from the view's serializer, so an empty page still has its header row.
    Text cells a spreadsheet would run as a formula get a leading apostrophe. Pagination
    is the JSON's: the `Link` header gives the next page. Errors stay problem JSON."""

    media_type = CSV_CONTENT_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = PROBLEM_CONTENT_TYPE
            return JSONRenderer().render(data, accepted_media_type, renderer_context)
        if data is None:
            return b""
        if isinstance(data, Mapping) and "results" in data:
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        view = renderer_context.get("view")
        columns = _serializer_columns(view) or _row_columns(rows)
        if response is not None and view is not None:
            name = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            flat = _flatten_row(row)
            writer.writerow([_csv_cell(flat.get(column)) for column in columns])
        return out.getvalue().encode(self.charset)


def _serializer_columns(view: Any) -> list[str]:
    get_serializer = getattr(view, "get_serializer", None)
    if get_serializer is None:
        return []
    try:
        serializer = get_serializer()
    except Exception:  # a view without a plain serializer: the rows' keys serve
        return []
    return _fields_columns(serializer)


def _fields_columns(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    columns: list[str] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.Serializer):
            columns.extend(_fields_columns(field, f"{prefix}{name}."))
        else:
            columns.append(f"{prefix}{name}")
    return columns


def _row_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows[:1]:
        columns.extend(_flatten_row(row))
    return columns


def _flatten_row(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Mapping):
            flat.update(_flatten_row(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in value):
            text = "\n".join(str(item) for item in value)
        else:
            return json.dumps(value, cls=JSONEncoder, ensure_ascii=False)
    elif isinstance(value, int | float):
        return str(value)
    else:
        text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        text = "'" + text
    return text


# --- Pagination ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderTerm:
    path: str  # lookup path: "updated_at", "resolution__symbol", "id"
    descending: bool
    nullable: bool

    def expression(self, *, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        # NULLs sort last going forward (and so first going back) on every database.
        if not self.nullable:
            return OrderBy(F(self.path), descending=descending)
        if reverse:
            return OrderBy(F(self.path), descending=descending, nulls_first=True)
        return OrderBy(F(self.path), descending=descending, nulls_last=True)

    def value(self, obj: Model | Mapping[str, Any]) -> Any:
        if isinstance(obj, Mapping):  # a row keyed by lookup path (`read_page`)
            return obj[self.path]
        for part in self.path.split("__"):
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj


class CursorPagination(BasePagination):
    """Keyset ("cursor") pagination that stays stable while rows are added or removed.

    The order is the queryset's own (a FilterSet's `ordering`, else the selector's
    `order_by`, else the model's), with the primary key appended as the tie-breaker. A
    cursor holds the ordering values of the row it continues from, so a page starts
    exactly after (or before) that row whatever was inserted meanwhile: no row is skipped
    or repeated unless its own ordering values change. One query per page (LIMIT
    page_size + 1), no COUNT.

    A view may read the page itself: `view.read_page(ordered, limit, keys)` returns the
    first `limit` rows of `ordered` (model instances, or dicts holding each lookup path of
    `keys`), or None for the plain slice.

    `?page_size=` from 1 to MAX_PAGE_SIZE; anything else is a 400, as is a cursor that was
    tampered with or made for another ordering.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def __init__(self) -> None:
        self.page_size = api_settings.PAGE_SIZE or 50
        self.next_url: str | None = None
        self.previous_url: str | None = None

    @property
    def query_params(self) -> frozenset[str]:
        return frozenset({self.cursor_query_param, self.page_size_query_param})

    # --- paging

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list[Any]:
        self.request = request
        self.page_size = self._page_size(request)
        terms = self._terms(queryset)
        signature = self._signature(terms)
        position, backwards = self._decode(request, terms, signature)

        ordered = queryset.order_by(*(t.expression(reverse=backwards) for t in terms))
        if position is not None:
            try:
                ordered = ordered.filter(self._beyond(terms, position, backwards=backwards))
            except (ValueError, TypeError, DjangoValidationError):
                raise self._bad_cursor() from None
        read_page = getattr(view, "read_page", None)
        rows = None
        if read_page is not None:
            rows = read_page(ordered, self.page_size + 1, [t.path for t in terms])
        if rows is None:
            rows = list(ordered[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            has_next, has_previous = position is not None, has_more
        else:
            has_next, has_previous = has_more, position is not None
        url = request.build_absolute_uri()
        self.next_url = (
            self._link(url, terms, rows[-1], signature, backwards=False)
            if has_next and rows
            else None
        )
        self.previous_url = (
            self._link(url, terms, rows[0], signature, backwards=True)
            if has_previous and rows
            else None
        )
        if backwards and not rows:
            # Walked back past the first row: the first page is the way forward.
            self.previous_url = None
            self.next_url = remove_query_param(url, self.cursor_query_param)
        return rows

    def get_paginated_response(self, data: list[Any]) -> Response:
        links = []
        if self.next_url:
            links.append(f'<{self.next_url}>; rel="next"')
        if self.previous_url:
            links.append(f'<{self.previous_url}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else None
        return Response(
            {"next": self.next_url, "previous": self.previous_url, "results": data},
            headers=headers,
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page.",
                    "example": "https://mandates.example.org/api/v1/mandates/?cursor=eyJ2Ijp...",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link; omit for "
                "the first page. A cursor belongs to its ordering and filters.",
                "schema": {"type": "string", "maxLength": 2000},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size} "
                f"(default {api_settings.PAGE_SIZE}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": api_settings.PAGE_SIZE,
                },
            },
        ]

    # --- internals

    def _page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[-1]
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size:
            return int(raw)
        raise exceptions.ValidationError(
            {
                self.page_size_query_param: [
                    f"A whole number from 1 to {self.max_page_size}, not {raw[:40]!r}."
                ]
            }
        )

    def _terms(self, queryset: QuerySet) -> list[_OrderTerm]:
        model = queryset.model
        ordering = list(queryset.query.order_by) or list(model._meta.ordering)
        terms: list[_OrderTerm] = []
        for item in ordering:
            if isinstance(item, OrderBy) and isinstance(item.expression, F):
                path, descending = item.expression.name, item.descending
            elif isinstance(item, str) and item != "?":
                path, descending = item.lstrip("-"), item.startswith("-")
            else:
                raise ImproperlyConfigured(
                    f"CursorPagination cannot page by {item!r}: order by field names."
                )
            path, nullable = _resolve_path(model, path, queryset)
            if path not in {t.path for t in terms}:
                terms.append(_OrderTerm(path, descending, nullable))
        pk = model._meta.pk.attname
        if pk not in {t.path for t in terms}:
            terms.append(_OrderTerm(pk, terms[-1].descending if terms else False, False))
        return terms

    def _signature(self, terms: Sequence[_OrderTerm]) -> str:
        text = ",".join(("-" if t.descending else "") + t.path for t in terms)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def _decode(
        self, request: Request, terms: Sequence[_OrderTerm], signature: str
    ) -> tuple[list[Any] | None, bool]:
        values = request.query_params.getlist(self.cursor_query_param)
        if not values or not values[-1]:
            return None, False
        raw = values[-1]
        try:
            if len(raw) > 2000:
                raise ValueError
            padded = raw + "=" * (-len(raw) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            position, direction, made_for = payload["v"], payload["d"], payload["o"]
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
            raise self._bad_cursor() from None
        if (
            made_for != signature
            or direction not in ("n", "p")
            or not isinstance(position, list)
            or len(position) != len(terms)
            or not all(isinstance(v, str | int | float | bool | type(None)) for v in position)
            # PostgreSQL refuses NUL in text: it could only come from a forged cursor.
            or any(isinstance(v, str) and "\x00" in v for v in position)
        ):
            raise self._bad_cursor()
        return position, direction == "p"

    def _bad_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            {
                self.cursor_query_param: [
                    "Not a cursor of this list: follow the `next` and `previous` links as given."
                ]
            }
        )

    def _beyond(
        self, terms: Sequence[_OrderTerm], position: Sequence[Any], *, backwards: bool
    ) -> Q:
        """Rows strictly after `position` in the walking order (before it going back)."""
        condition: Q | None = None
        for term, value in reversed(list(zip(terms, position, strict=True))):
            ahead = "lt" if term.descending != backwards else "gt"
            nulls_last = term.nullable and not backwards
            nulls_first = term.nullable and backwards
            same = Q(**{f"{term.path}__isnull": True}) if value is None else Q(**{term.path: value})
            if value is None:
                past = Q(**{f"{term.path}__isnull": False}) if nulls_first else None
            else:
                past = Q(**{f"{term.path}__{ahead}": value})
                if nulls_last:
                    past |= Q(**{f"{term.path}__isnull": True})
            tie = same & condition if condition is not None else None
            parts = [p for p in (past, tie) if p is not None]
            condition = Q(pk__in=[])
            if parts:
                condition = parts[0]
                for part in parts[1:]:
                    condition |= part
        return condition if condition is not None else Q()

    def _link(
        self, url: str, terms: Sequence[_OrderTerm], row: Model, signature: str, *, backwards: bool
    ) -> str:
        position = [_plain(t.value(row)) for t in terms]
        payload = json.dumps(
            {"v": position, "d": "p" if backwards else "n", "o": signature},
            separators=(",", ":"),
            cls=JSONEncoder,
        )
        cursor = base64.urlsafe_b64encode(payload.encode()).decode("ascii").rstrip("=")
        return replace_query_param(url, self.cursor_query_param, cursor)


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if value is None or isinstance(value, str | int | float | bool):
        return value
    # Dates and date-times round-trip as ISO 8601; the ORM parses them back.
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _resolve_path(model: type[Model], path: str, queryset: QuerySet) -> tuple[str, bool]:
    """The lookup path to order and compare on, and whether it can be NULL. A relation at
    the end stands for its key column; an annotation is taken as nullable."""
    if path == "pk":
        return model._meta.pk.attname, False
    if path in queryset.query.annotations:
        return path, True
    parts = path.split("__")
    nullable = False
    current = model
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"CursorPagination: {path!r} is not a field path.") from None
        nullable = nullable or bool(getattr(field, "null", False))
        last = index == len(parts) - 1
        if field.is_relation:
            if field.many_to_many or field.one_to_many:
                raise ImproperlyConfigured(
                    f"CursorPagination: {path!r} crosses a many-valued relation."
                )
            if last:
                return "__".join([*parts[:-1], field.attname]), nullable
            current = field.related_model
    return path, nullable


# --- Throttling ---------------------------------------------------------------------------


class _LiveRates:
    """Read the rate from REST_FRAMEWORK at request time, not once at import, so that a
    settings change (and a test's override) applies; and count in one atomic step where
    the cache can (Redis: `ResilientRedisCache.window_hit`). DRF's own throttle reads the
    window, then writes it back: two round trips, and concurrent requests (several
    workers, threads) overwrite each other's hits, so a busy client gets past its rate.
    Elsewhere (the in-process cache of `make run`) DRF's own counting stays."""

    scope: str
    _retry_after: float | None = None
    # Not DRF's "throttle_%(scope)s_%(ident)s": a window is a sorted set, not DRF's pickled
    # list, and while a deployment replaces the workers, old and new must not read each
    # other's.
    cache_format = "throttle-window_%(scope)s_%(ident)s"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        window_hit = getattr(self.cache, "window_hit", None)
        if self.rate is None or window_hit is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        verdict = window_hit(self.key, self.num_requests, self.duration)
        if verdict is None:  # Redis unreachable: requests go on, uncounted
            return True
        allowed, self._retry_after = verdict
        return allowed

    def wait(self) -> float | None:
        if self._retry_after is None:
            return super().wait()
        return self._retry_after


class AnonymousThrottle(_LiveRates, AnonRateThrottle):
    """Requests without credentials, counted per client address (see NUM_PROXIES)."""

    scope = "anon"


class UserThrottle(_LiveRates, UserRateThrottle):
    """Requests with credentials (token or session), counted per user."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # anonymous requests are AnonymousThrottle's
        return super().get_cache_key(request, view)


# --- Conditional requests -----------------------------------------------------------------


def data_digest(data: Any, media_type: str = "application/json") -> str:
    """A short digest of a representation: the same data in the same media type, the same
    digest on every machine."""
    text = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return content_digest(text.encode(), media_type)


def content_digest(content: bytes, media_type: str) -> str:
    """A short digest of a rendered representation: the same bytes in the same media type,
    the same digest."""
    return hashlib.sha256(f"{media_type}\n".encode() + content).hexdigest()[:20]


def if_match_tags(request: Request | HttpRequest) -> list[str] | None:
    """The entity tags of `If-Match` as sent (quotes kept), ["*"], or None when the header
    is absent or blank."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    if raw == "*":
        return ["*"]
    return [tag.strip() for tag in raw.split(",") if tag.strip()]


def _not_modified(request: Request | HttpRequest, response: HttpResponse) -> HttpResponse | None:
    """304 when If-None-Match names the response's ETag (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("If-None-Match")
    etag = response.get("ETag")
    if not header or not etag:
        return None
    wanted = {tag.removeprefix("W/") for tag in parse_etags(header)}
    if "*" not in wanted and etag.removeprefix("W/") not in wanted:
        return None
    not_modified = HttpResponseNotModified()
    for name in ("ETag", "Vary", "Cache-Control", "Content-Location", "Link", "Allow"):
        if name in response:
            not_modified[name] = response[name]
    return not_modified


# --- Idempotency ------------------------------------------------------------------------


class _Replay(Exception):
    """Raised in `initial()` to answer a retried POST with the first response."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


@dataclass
class IdempotencyClaim:
    """A POST that holds its Idempotency-Key while it runs.

    Contract: the key belongs to one user (or, without credentials, one client address)
    and one request (method, path and body; JSON bodies compared by content, not by key
    order or spacing). The first request to arrive claims the key atomically (cache
    `add`, which is SET NX on Redis); a duplicate arriving meanwhile gets a 409 with
    `Retry-After`. A 2xx answer is stored for IDEMPOTENCY_TTL_SECONDS and replayed to
    every retry (status, body, Content-Type, Location, ETag, plus `Idempotent-Replayed:
    true`); any other answer releases the key, so a corrected retry runs again. Reusing
    the key for a different request is a 422. Writes that take `If-Match` stay safe even
    if a claim expired mid-request: the retry's version no longer matches.
    """

    cache_key: str
    fingerprint: str

    @classmethod
    def begin(cls, request: Request) -> IdempotencyClaim | None:
        raw = request.headers.get("Idempotency-Key")
        if raw is None:
            return None
        key = raw.strip()
        if len(key) >= 2 and key[0] == key[-1] == '"':
            key = key[1:-1]  # the structured-field string form: "key"
        if not (1 <= len(key) <= 255) or not all(0x21 <= ord(c) <= 0x7E for c in key):
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        "1 to 255 visible ASCII characters, e.g. a UUID, new for each request."
                    ]
                }
            )
        user = request.user
        owner = (
            f"user:{user.pk}"
            if user and user.is_authenticated
            else f"addr:{request.META.get('REMOTE_ADDR', '')}"
        )
        cache_key = "api:idempotency:" + hashlib.sha256(f"{owner}\n{key}".encode()).hexdigest()
        claim = cls(cache_key=cache_key, fingerprint=_request_fingerprint(request))
        claim._acquire()
        return claim

    def _acquire(self) -> None:
        pending = {"state": "pending", "fingerprint": self.fingerprint}
        for _ in range(2):
            if cache.add(self.cache_key, pending, IDEMPOTENCY_PENDING_SECONDS):
                return
            record = cache.get(self.cache_key)
            if record is None:
                continue  # expired between add and get: try to claim it again
            if record["fingerprint"] != self.fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for a different request. "
                    "Use a new key for a new request."
                )
            if record["state"] == "pending":
                raise IdempotencyKeyInUse(
                    "A request with this Idempotency-Key is still being processed.",
                    headers={"Retry-After": "1"},
                )
            raise _Replay(_replayed(record))
        raise IdempotencyKeyInUse(headers={"Retry-After": "1"})

    def finish(self, response: HttpResponse) -> None:
        if not 200 <= response.status_code < 300:
            cache.delete(self.cache_key)
            return
        if hasattr(response, "render"):
            response.render()
        cache.set(
            self.cache_key,
            {
                "state": "done",
                "fingerprint": self.fingerprint,
                "status": response.status_code,
                "content": bytes(response.content),
                "headers": {
                    h: str(response[h]) for h in IDEMPOTENCY_REPLAYED_HEADERS if h in response
                },
            },
            IDEMPOTENCY_TTL_SECONDS,
        )


def _request_fingerprint(request: Request) -> str:
    body = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _replayed(record: Mapping[str, Any]) -> HttpResponse:
    response = HttpResponse(record["content"], status=record["status"])
    for header, value in record["headers"].items():
        response[header] = value
    response["Idempotent-Replayed"] = "true"
    return response


# --- The view mixin -----------------------------------------------------------------------


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which applies only the filters whose parameters the
    request names, and leaves a list alone when it names none. With no value every filter
    returns the queryset as it is, but each would still cost a form field built,
    deep-copied and cleaned (and an empty multiple choice a queryset compiled to be found
    empty): a good part of an unfiltered page, and milliseconds of a search."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        present = request.query_params.keys()
        named = {
            name
            for name, params in _filter_params(filterset_class).by_filter.items()
            if not params.isdisjoint(present)
        }
        if not named:
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        filterset.filters = {n: f for n, f in filterset.filters.items() if n in named}
        if not filterset.is_valid() and self.raise_exception:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs


def _param_names(name: str, field: forms.Field) -> frozenset[str]:
    """The query parameters of the filter `name` with form field `field`."""
    suffixes = getattr(field.widget, "suffixes", None)
    widget_names = getattr(field.widget, "widgets_names", None)
    if suffixes:
        return frozenset(f"{name}_{s}" if s else name for s in suffixes)
    if widget_names:
        return frozenset(f"{name}{s}" for s in widget_names)
    return frozenset({name})


@dataclass(frozen=True)
class _FilterParams:
    by_filter: dict[str, frozenset[str]]  # the query parameters of each filter
    names: frozenset[str]  # every query parameter the FilterSet reads
    multiple: frozenset[str]  # those that take several values


@functools.cache
def _filter_params(filterset_class: type | None) -> _FilterParams:
    """The query parameters of a FilterSet, worked out once per class (every list request
    checks its parameters against them)."""
    if filterset_class is None:
        return _FilterParams({}, frozenset(), frozenset())
    by_filter = {
        name: _param_names(name, declared.field)
        for name, declared in filterset_class.base_filters.items()
    }
    multiple = frozenset(
        name
        for name, declared in filterset_class.base_filters.items()
        if isinstance(declared.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    )
    return _FilterParams(by_filter, frozenset().union(*by_filter.values()), multiple)


class ApiViewMixin:
    """Put first in the bases of every API view(set): strict query parameters, ETag and
    304, Idempotency-Key on POST, CSV on lists only. See the module docstring."""

    #: Actions that return a list (paginated, filtered, CSV-capable).
    list_actions: ClassVar[frozenset[str]] = frozenset({"list"})
    #: Query parameters a view reads itself, on top of filters, pagination and `format`.
    extra_query_params: ClassVar[frozenset[str]] = frozenset()

    def is_list_action(self) -> bool:
        return getattr(self, "action", None) in self.list_actions

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.is_list_action():
            return renderers
        return [r for r in renderers if not isinstance(r, CSVRenderer)] or renderers

    def allowed_query_params(self) -> tuple[set[str], frozenset[str]]:
        """(names accepted, names that may repeat)."""
        allowed = {api_settings.URL_FORMAT_OVERRIDE, *self.extra_query_params}
        multiple: frozenset[str] = frozenset()
        if self.is_list_action():
            paginator = getattr(self, "paginator", None)
            allowed |= set(getattr(paginator, "query_params", ()))
            params = _filter_params(getattr(self, "filterset_class", None))
            allowed |= params.names
            multiple = params.multiple
        return allowed, multiple

    def check_query_params(self, request: Request) -> None:
        allowed, multiple = self.allowed_query_params()
        errors: dict[str, list[str]] = {}
        for name in request.query_params:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                errors[name] = [f"Unknown query parameter. This address reads: {known}."]
            elif name not in multiple and len(request.query_params.getlist(name)) > 1:
                errors[name] = ["Give this parameter once."]
        if errors:
            raise exceptions.ValidationError(errors)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._idempotency: IdempotencyClaim | None = None
        super().initial(request, *args, **kwargs)
        self.check_query_params(request)
        format_param = api_settings.URL_FORMAT_OVERRIDE
        if format_param in request._request.GET:
            # Negotiated already. Links in the body name resources, not this response's
            # format: DRF's reverse() would otherwise copy ?format=csv into every one.
            # (Paging links are built from the full path and keep it.)
            query = request._request.GET.copy()
            query.pop(format_param)
            request._request.GET = query
        if request.method == "POST":
            self._idempotency = IdempotencyClaim.begin(request)

    def handle_exception(self, exc: Exception):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim = getattr(self, "_idempotency", None)
        if claim is not None:
            self._idempotency = None
            claim.finish(response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            if isinstance(response, Response) and "ETag" not in response:
                # The digest of the bytes sent: rendered here rather than after the view,
                # as Django would (encoding the data a second time only to digest it cost
                # as much as rendering it).
                response.render()
                response["ETag"] = quote_etag(
                    content_digest(response.content, response.accepted_media_type or "")
                )
            return _not_modified(request, response) or response
        return response


# --- OpenAPI ------------------------------------------------------------------------------

API_DESCRIPTION = f"""\
Resolutions of the Conference of the Parties, their paragraphs, the actors they address,
the mandates they create and each mandate's status history. Read access is public; writes
need credentials.

**Authentication.** `Authorization: Token <key>` (an administrator prints a user's key with
`python manage.py create_api_token USERNAME`), or the signed-in session of the site with
its CSRF token (`X-CSRFToken`). A token acts with its user's role: the Secretariat records
mandate status updates; a write the role may not make is a 403; everyone reads.

**Lists** share one envelope, `{{"next", "previous", "results"}}`, paged by cursor: follow
the `next` and `previous` links (also in the `Link` header) as given. `page_size` is 1 to
{MAX_PAGE_SIZE} (default 50). Cursors stay exact while rows are added: no row is skipped or
repeated unless its own ordering values change. Every list takes `?format=csv` (or
`Accept: text/csv`) for a spreadsheet of the same page.

**Filters** are validated: an unknown parameter, a parameter given twice that takes one
value, or a malformed value (an unknown actor slug, a bad date) is a 400 naming it, never a
silently ignored filter. Repeat a parameter to match any of several values
(`?actor=parties&actor=secretariat`).

**Incremental sync.** `?updated_since=<ISO 8601>&ordering=updated` on mandates (and
`?updated_since=` on status updates and resolutions) returns what changed at or after that
moment; remember the largest `updated_at` seen and start from it next time.

**Caching.** Every GET answers an `ETag`; send it back in `If-None-Match` for a `304 Not
Modified` when nothing changed.

**Writes are conditional.** `POST /api/v1/mandates/{{id}}/status-updates/` needs `If-Match`
with the mandate's current `ETag` (from `GET /api/v1/mandates/{{id}}/`): 201 when it is
current, 412 when someone else saved an update first (the problem names the current
version and the update that won), 428 without it. Of concurrent writers holding the same
ETag exactly one succeeds.

**Retries.** Send `Idempotency-Key: <a new UUID>` with a POST: a retry with the same key and
body within {IDEMPOTENCY_TTL_SECONDS // 3600} hours returns the first response (marked
`Idempotent-Replayed: true`) instead of writing twice; the same key with another body is a
422; a duplicate sent while the first is still running is a 409 with `Retry-After`.

**Errors** are RFC 9457 problems (`application/problem+json`): `type` (its address
describes the problem), `title`, `status`, `detail`, `instance` and, for bad input,
`errors` by field. Bad input is a 4xx and changes nothing.

**Rate limits** (per minute, configurable): anonymous clients by address, signed-in clients
by user; over the limit, 429 with `Retry-After`.
"""

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem. `type` resolves to a description of the problem.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "object",
            "description": "Messages by parameter, header or body field (dotted for nested "
            "fields, e.g. `evidence_links.0`); `non_field_errors` for the request as a whole.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "additionalProperties": True,
}

_PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "type": "/api/v1/problems/invalid-request/",
        "title": "The request is not valid",
        "status": 400,
        "detail": "updated_since: Enter a valid date/time.",
        "instance": "/api/v1/mandates/?updated_since=yesterday",
        "errors": {"updated_since": ["Enter a valid date/time."]},
    },
    401: {
        "type": "/api/v1/problems/not-authenticated/",
        "title": "Authentication required",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
        "instance": "/api/v1/mandates/42/status-updates/",
    },
    403: {
        "type": "/api/v1/problems/permission-denied/",
        "title": "Not allowed",
        "status": 403,
        "detail": "You do not have permission to perform this action.",
        "instance": "/api/v1/mandates/42/status-updates/",
    },
    404: {
        "type": "/api/v1/problems/not-found/",
        "title": "Not found",
        "status": 404,
        "detail": "No Mandate matches the given query.",
        "instance": "/api/v1/mandates/999999/",
    },
    406: {
        "type": "/api/v1/problems/not-acceptable/",
        "title": "Not acceptable",
        "status": 406,
        "detail": "Could not satisfy the request Accept header.",
        "instance": "/api/v1/mandates/",
    },
    409: {
        "type": "/api/v1/problems/idempotency-key-in-use/",
        "title": "A request with this Idempotency-Key is in progress",
        "status": 409,
        "detail": "A request with this Idempotency-Key is still being processed.",
        "instance": "/api/v1/mandates/42/status-updates/",
    },
    415: {
        "type": "/api/v1/problems/unsupported-media-type/",
        "title": "Unsupported media type",
        "status": 415,
        "detail": 'Unsupported media type "text/plain" in request.',
        "instance": "/api/v1/mandates/42/status-updates/",
    },
    422: {
        "type": "/api/v1/problems/idempotency-key-reused/",
        "title": "Idempotency-Key reused for a different request",
        "status": 422,
        "detail": "This Idempotency-Key was used for a different request. "
        "Use a new key for a new request.",
        "instance": "/api/v1/mandates/42/status-updates/",
    },
    429: {
        "type": "/api/v1/problems/throttled/",
        "title": "Too many requests",
        "status": 429,
        "detail": "Request was throttled. Expected available in 12 seconds.",
        "instance": "/api/v1/mandates/",
    },
}

_RESPONSE_DESCRIPTIONS = {
    400: "Bad input: an unknown or repeated query parameter, a malformed filter value, "
    "page_size or cursor, or an invalid body field. Nothing was changed.",
    401: "No valid credentials (a wrong token, or none for a write).",
    403: "The credentials' role may not do this.",
    404: "No such resource.",
    406: "The Accept header asks for a media type this address cannot produce.",
    409: "A request with the same Idempotency-Key is still running; retry after Retry-After.",
    415: "The body is not application/json.",
    422: "The Idempotency-Key was already used for a different request.",
    429: "Rate limit reached; retry after Retry-After seconds.",
}

_SUCCESS_DESCRIPTIONS = {
    "200": "The representation (a list: one page of it, in the shared envelope).",
    "201": "Created; Location is the new resource.",
    "204": "Done; nothing to return.",
}

_HEADER_SCHEMAS = {
    "ETag": {
        "description": "The representation's entity tag; send it back in If-None-Match.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'RFC 8288 links to the next and previous pages (rel="next", rel="prev").',
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string"},
    },
}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if status in _PROBLEM_EXAMPLES:
        content["examples"] = {
            _PROBLEM_BY_STATUS[status].slug: {"value": _PROBLEM_EXAMPLES[status]}
        }
    response: dict[str, Any] = {
        "description": description or _RESPONSE_DESCRIPTIONS.get(status, ""),
        "content": {PROBLEM_CONTENT_TYPE: content},
    }
    if status in (409, 429):
        response["headers"] = {"Retry-After": _HEADER_SCHEMAS["Retry-After"]}
    return response


def _set_param(operation: dict[str, Any], param: dict[str, Any]) -> None:
    """Add the parameter, or replace the one of the same name and place."""
    params = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("name") == param["name"] and p.get("in") == param["in"])
    ]
    operation["parameters"] = [*params, param]


def postprocess_schema(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: document the conventions on every
    operation, so that each view only describes what is its own.

    - every 4xx/5xx response is an application/problem+json `Problem` with an example;
    - every operation documents 400, 401, 406 and 429; writes 403 and 415; addresses with
      a path parameter 404; POSTs `Idempotency-Key` with its 409 and 422;
    - GETs document `format`, `If-None-Match`, the `ETag` header and 304; lists their
      text/csv form and the `Link` header.
    """
    result.setdefault("info", {})["description"] = API_DESCRIPTION
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = _PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            # Problems declared by the view keep their schema, in the problem media type.
            for code, response in list(responses.items()):
                if code.isdigit() and int(code) >= 400:
                    content = response.get("content") or {}
                    declared = next(iter(content.values()), None)
                    if declared is None or not declared.get("schema"):
                        responses[code] = _problem_response(int(code), response.get("description"))
                    else:
                        response["content"] = {PROBLEM_CONTENT_TYPE: declared}
            wanted = [400, 401, 406, 429]
            if method != "get":
                wanted += [403, 415]
            if "{" in path:
                wanted.append(404)
            if method == "post":
                wanted += [409, 422]
                _set_param(
                    operation,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "A new unique value (e.g. a UUID) per intended write. A "
                        "retry with the same key and body returns the first response "
                        f"(for {IDEMPOTENCY_TTL_SECONDS // 3600} hours) instead of writing "
                        "again; the same key with another body is a 422.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 255,
                            "pattern": "^[\\x21-\\x7e]+$",
                        },
                        "example": "5f1c7c1e-9a43-4c55-9c61-0d1f3f2b7a10",
                    },
                )
            for status in wanted:
                responses.setdefault(str(status), _problem_response(status))
            if method == "get":
                _document_get(operation, responses)
            for code, response in responses.items():
                if not response.get("description"):
                    response["description"] = _SUCCESS_DESCRIPTIONS.get(
                        code, HTTPStatus(int(code)).phrase
                    )
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _document_get(operation: dict[str, Any], responses: dict[str, Any]) -> None:
    ok = responses.get("200")
    if ok is None:
        return
    content = ok.get("content", {})
    is_list = CSV_CONTENT_TYPE in content
    if is_list:
        content[CSV_CONTENT_TYPE] = {
            "schema": {"type": "string"},
            "example": "id,url,status\r\n42,https://mandates.example.org/api/v1/mandates/42/,"
            "in_progress\r\n",
        }
    headers = ok.setdefault("headers", {})
    headers["ETag"] = _HEADER_SCHEMAS["ETag"]
    if is_list:
        headers["Link"] = _HEADER_SCHEMAS["Link"]
    _set_param(
        operation,
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Response format: json (the default) or, on lists, csv (one row "
            "per result, the page's links in the Link header); the same as Accept.",
            "schema": {"type": "string", "enum": ["json", "csv"] if is_list else ["json"]},
        },
    )
    _set_param(
        operation,
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "An ETag from an earlier response: 304 Not Modified, with no body, "
            "if the representation is unchanged.",
            "schema": {"type": "string"},
        },
    )
    responses.setdefault(
        "304",
        {
            "description": "Not modified: the ETag in If-None-Match is still current.",
            "headers": {"ETag": _HEADER_SCHEMAS["ETag"]},
        },
    )
