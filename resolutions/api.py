"""`/api/v1/` resources of the resolutions app: resolutions, paragraphs, actors, mandates
(with the status-update write) and status updates.

Thin: a selector for the queryset, a FilterSet for the filters, a serializer for the shape;
the one write goes through `services.mandate_status_update`. The conventions (paging,
errors, ETag, Idempotency-Key, CSV, strict parameters) come from `cms_mandates.rest`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cms_mandates.rest import (
    ApiJSONRenderer,
    PreconditionFailed,
    PreconditionRequired,
    data_digest,
    if_match_tags,
)
from cms_mandates.rest_views import ReadOnlyApiViewSet
from partners import permissions
from resolutions import selectors, services
from resolutions.filters import (
    ActorFilter,
    MandateFilter,
    ParagraphFilter,
    ResolutionFilter,
    StatusUpdateFilter,
)
from resolutions.models import Mandate, UpdateSource
from resolutions.serializers import (
    ActorSerializer,
    MandateSerializer,
    ParagraphSerializer,
    ResolutionDetailSerializer,
    ResolutionSerializer,
    StatusUpdateCreatedSerializer,
    StatusUpdateSerializer,
    StatusUpdateWriteSerializer,
    request_links,
)

# --- The mandate's ETag -------------------------------------------------------------------

#: `"mandate-<id>-v<version>-<digest>"`: the version is what a status update is checked
#: against; the digest makes the tag change whenever anything in the representation does
#: (a corrected paragraph text, a due meeting that has started), so If-None-Match is exact.
_MANDATE_ETAG = re.compile(r'^(?:W/)?"mandate-(?P<id>\d+)-v(?P<version>\d+)(?:-[0-9a-f]+)?"$')


def mandate_etag(mandate: Mandate, representation: Any) -> str:
    return f'"mandate-{mandate.pk}-v{mandate.version}-{data_digest(representation)}"'


class CanEditMandate(BasePermission):
    message = "Only the Secretariat may update a mandate's status."

    def has_object_permission(self, request: Request, view: Any, obj: Mandate) -> bool:
        return permissions.can_edit_mandate(request.user, obj)


# --- Documentation examples ---------------------------------------------------------------
# Shown in /api/v1/docs/; tests check each against the schema of its response.

BASE = "https://mandates.example.org"
_COUNTS = {
    "not_started": 70,
    "in_progress": 12,
    "completed": 3,
    "ongoing": 9,
    "delayed": 1,
    "not_applicable": 0,
    "superseded": 0,
}
RESOLUTION_EXAMPLE = {
    "id": 1,
    "url": f"{BASE}/api/v1/resolutions/1/",
    "html_url": f"{BASE}/resolutions/1/",
    "convention": "CMS",
    "symbol": "11.10 (Rev.COP14)",
    "display_symbol": "Resolution 11.10 (Rev.COP14)",
    "kind": "resolution",
    "title": "Synergies and Partnerships",
    "status": "in_force",
    "adopted_at": "COP14",
    "supersedes": None,
    "source_name": "synergies-and-partnerships.txt",
    "operative_paragraphs": 33,
    "mandate_counts": _COUNTS,
    "paragraphs_url": f"{BASE}/api/v1/paragraphs/?resolution=1",
    "mandates_url": f"{BASE}/api/v1/mandates/?resolution=1",
    "created_at": "2026-02-02T09:00:00Z",
    "updated_at": "2026-02-02T09:00:00Z",
}
PARAGRAPH_TEXT = (
    "Requests the Secretariat to continue to strengthen cooperation with the "
    "Biodiversity Liaison Group and to report to each meeting of the Conference of the Parties;"
)
PARAGRAPH_EXAMPLE = {
    "id": 48,
    "url": f"{BASE}/api/v1/paragraphs/48/",
    "resolution": {
        "id": 1,
        "url": f"{BASE}/api/v1/resolutions/1/",
        "symbol": "11.10 (Rev.COP14)",
        "title": "Synergies and Partnerships",
    },
    "part": "operative",
    "number": "23",
    "parent": None,
    "order": 45,
    "heading": "",
    "text": PARAGRAPH_TEXT,
    "language": "en",
    "directives": [{"verb": "request", "actors": ["secretariat"]}],
    "mandates": [
        {
            "id": 42,
            "url": f"{BASE}/api/v1/mandates/42/",
            "actor": "secretariat",
            "verb": "request",
            "strength": "directive",
            "status": "in_progress",
        }
    ],
}
ACTOR_EXAMPLE = {
    "slug": "parties",
    "url": f"{BASE}/api/v1/actors/parties/",
    "html_url": f"{BASE}/actors/parties/",
    "name": "Parties",
    "kind": "government",
    "aliases": ["Parties", "interested Parties", "all Parties"],
    "description": "",
    "order": 20,
    "mandate_count": 24,
    "open_mandate_count": 21,
    "mandates_url": f"{BASE}/api/v1/mandates/?actor=parties",
}
MANDATE_EXAMPLE = {
    "id": 42,
    "url": f"{BASE}/api/v1/mandates/42/",
    "html_url": f"{BASE}/mandates/42/",
    "resolution": PARAGRAPH_EXAMPLE["resolution"],
    "paragraph": {
        "id": 48,
        "url": f"{BASE}/api/v1/paragraphs/48/",
        "number": "23",
        "text": PARAGRAPH_TEXT,
    },
    "actor": {
        "slug": "secretariat",
        "url": f"{BASE}/api/v1/actors/secretariat/",
        "name": "Secretariat",
    },
    "position": 100,
    "verb": "request",
    "verb_phrase": "Requests",
    "addressee_phrase": "the Secretariat",
    "strength": "directive",
    "subject_to_resources": False,
    "due_meeting": "COP15",
    "cadence": "each_meeting",
    "report_to": "conference-of-the-parties",
    "status": "in_progress",
    "progress": 40,
    "version": 3,
    "is_overdue": False,
    "status_changed_at": "2026-03-02T10:15:00Z",
    "status_updates_url": f"{BASE}/api/v1/status-updates/?mandate=42",
    "links": [
        {
            "kind": "organisation",
            "key": "blg",
            "label": "BLG",
            "title": "Biodiversity Liaison Group",
            "state": "confirmed",
            "source": "importer",
            "decided_at": "2026-02-10T14:00:00Z",
        },
        {
            "kind": "gbf_target",
            "key": "T21",
            "label": "GBF T21",
            "title": "Ensure That Knowledge Is Available and Accessible To Guide Biodiversity "
            "Action",
            "state": "suggested",
            "source": "importer",
            "decided_at": None,
        },
    ],
    "created_at": "2026-02-02T09:00:00Z",
    "updated_at": "2026-03-02T10:15:00Z",
}
STATUS_UPDATE_EXAMPLE = {
    "id": 310,
    "url": f"{BASE}/api/v1/status-updates/310/",
    "mandate": 42,
    "mandate_url": f"{BASE}/api/v1/mandates/42/",
    "version": 3,
    "status": "in_progress",
    "previous_status": "not_started",
    "progress": 40,
    "narrative": "Joint work plan with the BLG agreed at its March meeting.",
    "evidence_links": ["https://www.cbd.int/blg/"],
    "evidence_files": [],
    "as_of": "2026-03-02",
    "author": "secretariat",
    "source": "api",
    "created_at": "2026-03-02T10:15:00Z",
}
ETAG_EXAMPLE = '"mandate-42-v3-8d1f0c2a9b7e4f5a6c3d"'
STATUS_UPDATE_REQUEST_EXAMPLE = {
    "status": "in_progress",
    "progress": 40,
    "narrative": "Joint work plan with the BLG agreed at its March meeting.",
    "evidence_links": ["https://www.cbd.int/blg/"],
}
STALE_EXAMPLE = {
    "type": "/api/v1/problems/stale-version/",
    "title": "The resource has changed",
    "status": 412,
    "detail": "Mandate 42 is at version 4, not 3: another update was saved first. "
    "Nothing was written.",
    "instance": "/api/v1/mandates/42/status-updates/",
    "current_version": 4,
    "current_etag": '"mandate-42-v4-51c0e9d2a7f34b8e9a10"',
    "latest_update": {
        **STATUS_UPDATE_EXAMPLE,
        "id": 311,
        "url": f"{BASE}/api/v1/status-updates/311/",
        "version": 4,
        "status": "ongoing",
        "previous_status": "in_progress",
        "narrative": "Standing cooperation: reported at each meeting.",
        "author": "secretariat.two",
    },
}
PRECONDITION_REQUIRED_EXAMPLE = {
    "type": "/api/v1/problems/precondition-required/",
    "title": "If-Match required",
    "status": 428,
    "detail": "Send If-Match with the mandate's ETag (from GET /api/v1/mandates/42/).",
    "instance": "/api/v1/mandates/42/status-updates/",
}


def _example(name: str, value: dict[str, Any], summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary, response_only=True)


def _detail_docs(kind: str, example: dict[str, Any], **extra: Any):
    return extend_schema(
        summary=f"One {kind}",
        description=f"One {kind}. The `ETag` header changes whenever the representation "
        "does; send it back in `If-None-Match` for a 304 when nothing changed.",
        examples=[_example(kind, example)],
        **extra,
    )


def _list_docs(kind: str, example: dict[str, Any], description: str):
    return extend_schema(
        summary=f"List {kind}",
        description=description
        + " Paged by cursor (`next`/`previous` links, `Link` header); `?format=csv` for a "
        "spreadsheet. Unknown or malformed parameters are a 400.",
        examples=[_example(kind, example)],
    )


# --- Viewsets -----------------------------------------------------------------------------


@extend_schema_view(
    list=_list_docs(
        "resolutions",
        RESOLUTION_EXAMPLE,
        "Resolutions and decisions of every status, with their mandates counted by status.",
    ),
    retrieve=_detail_docs(
        "resolution",
        {**RESOLUTION_EXAMPLE, "source_text": "Synergies and Partnerships\n\nRecalling ..."},
    ),
)
class ResolutionViewSet(ReadOnlyApiViewSet):
    filterset_class = ResolutionFilter

    def get_queryset(self):
        return selectors.resolutions_overview(include_inactive=True)

    def get_serializer_class(self):
        return ResolutionDetailSerializer if self.action == "retrieve" else ResolutionSerializer


@extend_schema_view(
    list=_list_docs(
        "paragraphs",
        PARAGRAPH_EXAMPLE,
        "Preamble, operative and annex paragraphs in document order, each with the "
        "importer's reading and its mandates.",
    ),
    retrieve=_detail_docs("paragraph", PARAGRAPH_EXAMPLE),
)
class ParagraphViewSet(ReadOnlyApiViewSet):
    serializer_class = ParagraphSerializer
    filterset_class = ParagraphFilter

    def get_queryset(self):
        # Accept-Language (LocaleMiddleware) picks the language of `text`.
        return selectors.paragraphs_in_language(selectors.paragraphs_list(), get_language())


@extend_schema_view(
    list=_list_docs(
        "actors",
        ACTOR_EXAMPLE,
        "The addressees of resolutions (a controlled vocabulary), with how many mandates "
        "each has and how many are still open.",
    ),
    retrieve=_detail_docs(
        "actor",
        ACTOR_EXAMPLE,
        parameters=[
            OpenApiParameter(
                "slug",
                str,
                OpenApiParameter.PATH,
                description="The actor's slug, e.g. parties or secretariat.",
            )
        ],
    ),
)
class ActorViewSet(ReadOnlyApiViewSet):
    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return selectors.actors_with_counts()


@extend_schema_view(
    list=_list_docs(
        "mandates",
        MANDATE_EXAMPLE,
        "One row per directive and addressee, with its current status. For incremental "
        "sync, ask `?updated_since=<last sync>&ordering=updated` and follow `next`.",
    ),
    retrieve=_detail_docs("mandate", MANDATE_EXAMPLE),
)
class MandateViewSet(ReadOnlyApiViewSet):
    serializer_class = MandateSerializer
    filterset_class = MandateFilter

    def get_queryset(self):
        if self.action == "list" and not self.format_kwarg:
            # The page is read as rows, with their links (`read_page`).
            return selectors.mandates_for_api_rows()
        return selectors.mandates_for_api().prefetch_related(selectors.links_prefetch())

    def read_page(self, ordered: QuerySet, limit: int, keys: list[str]) -> list | None:
        """The page, chosen by its sort keys alone (CursorPagination's hook): in JSON with
        timestamps in UTC, each mandate's representation as PostgreSQL writes it
        (`selectors.mandate_api_documents`), sent as it is; otherwise (CSV, another time
        zone) plain rows (`selectors.mandate_api_rows`) that the serializer represents.
        Format-suffixed requests represent model instances."""
        if self.format_kwarg:
            return None
        if isinstance(getattr(self.request, "accepted_renderer", None), ApiJSONRenderer):
            links = request_links(self.get_serializer_context())
            if links.in_utc:
                documents = selectors.mandate_api_documents(
                    ordered=ordered,
                    limit=limit,
                    keys=keys,
                    addresses=links.document_addresses(),
                    today=links.today,
                )
                if documents is not None:
                    return documents
        return selectors.mandate_api_rows(ordered=ordered, limit=limit, keys=keys)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        mandate = self.get_object()
        data = self.get_serializer(mandate).data
        return Response(data, headers={"ETag": mandate_etag(mandate, data)})

    @extend_schema(
        summary="Record a status update",
        description=(
            "Record the Secretariat's status update on this mandate (role: Secretariat). "
            "The write is conditional: `If-Match` must be the mandate's current `ETag` "
            "(from GET /api/v1/mandates/{id}/), so that of several clients that read the "
            "same version exactly one succeeds and the others get 412 with the update that "
            "won. Without `If-Match`: 428. `progress` omitted keeps the current value, null "
            "clears it. An update that would change nothing (same status and progress, no "
            "narrative, no links) records nothing: 204. Send an `Idempotency-Key` to retry "
            "safely after a network failure."
        ),
        request=StatusUpdateWriteSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="The mandate's current ETag, exactly as GET returned it.",
                examples=[OpenApiExample("etag", value=ETAG_EXAMPLE)],
            )
        ],
        responses={
            201: OpenApiResponse(
                StatusUpdateCreatedSerializer,
                description="Recorded. `Location` is the new status update; `mandate_etag` "
                "is the If-Match for the next update of this mandate.",
                examples=[
                    _example("created", {**STATUS_UPDATE_EXAMPLE, "mandate_etag": ETAG_EXAMPLE})
                ],
            ),
            204: OpenApiResponse(description="Nothing to record: the update changes nothing."),
            412: OpenApiResponse(
                {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {
                            "type": "object",
                            "required": ["current_version", "current_etag", "latest_update"],
                            "properties": {
                                "current_version": {"type": "integer"},
                                "current_etag": {"type": "string"},
                                "latest_update": {
                                    "allOf": [{"$ref": "#/components/schemas/StatusUpdate"}],
                                    "nullable": True,
                                },
                            },
                        },
                    ]
                },
                description="Stale: the ETag is not the mandate's current one. Nothing "
                "was written; the body names the current version and ETag and the update "
                "that won.",
                examples=[_example("stale", STALE_EXAMPLE)],
            ),
            428: OpenApiResponse(
                {"$ref": "#/components/schemas/Problem"},
                description="If-Match is missing (or `*`): a status update must name the "
                "version it is based on.",
                examples=[_example("missing If-Match", PRECONDITION_REQUIRED_EXAMPLE)],
            ),
        },
        examples=[
            OpenApiExample("status update", value=STATUS_UPDATE_REQUEST_EXAMPLE, request_only=True)
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status-updates",
        url_name="status-updates",
        permission_classes=[IsAuthenticated, CanEditMandate],
        serializer_class=StatusUpdateWriteSerializer,
    )
    def status_updates(self, request: Request, pk: str | None = None) -> Response:
        mandate = self.get_object()  # 404, then CanEditMandate: 403
        expected_version = self._expected_version(request, mandate)
        body = StatusUpdateWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        values.setdefault("progress", mandate.progress)  # omitted: unchanged
        try:
            update = services.mandate_status_update(
                mandate=mandate,
                user=request.user,
                expected_version=expected_version,
                source=UpdateSource.API,
                **values,
            )
        except services.StaleVersion as stale:
            raise self._stale(mandate.pk, f"{stale} Nothing was written.") from None
        if update is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        _, etag = self._current(mandate.pk)
        created = selectors.status_updates_list().get(pk=update.pk)
        context = {**self.get_serializer_context(), "mandate_etag": etag}
        data = StatusUpdateCreatedSerializer(created, context=context).data
        return Response(
            data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])}
        )

    # --- helpers of the write

    def _current(self, pk: int) -> tuple[Mandate, str]:
        mandate = selectors.mandates_list().get(pk=pk)
        data = MandateSerializer(mandate, context=self.get_serializer_context()).data
        return mandate, mandate_etag(mandate, data)

    def _expected_version(self, request: Request, mandate: Mandate) -> int:
        tags = if_match_tags(request)
        where = f"GET /api/v1/mandates/{mandate.pk}/"
        if tags is None:
            raise PreconditionRequired(f"Send If-Match with the mandate's ETag (from {where}).")
        if tags == ["*"]:
            raise PreconditionRequired(
                f"If-Match: * names no version. Send the mandate's ETag (from {where})."
            )
        if len(tags) != 1:
            raise exceptions.ValidationError(
                {"If-Match": ["Send exactly one ETag: the mandate's current one."]}
            )
        match = _MANDATE_ETAG.match(tags[0])
        if match is None or int(match["id"]) != mandate.pk:
            raise self._stale(
                mandate.pk,
                f"{tags[0][:80]} is not an ETag of mandate {mandate.pk}. Nothing was written.",
            )
        return int(match["version"])

    def _stale(self, pk: int, detail: str) -> PreconditionFailed:
        current, etag = self._current(pk)
        latest = selectors.status_updates_list().filter(mandate_id=pk).order_by("-version").first()
        context = self.get_serializer_context()
        return PreconditionFailed(
            detail,
            extra={
                "current_version": current.version,
                "current_etag": etag,
                "latest_update": StatusUpdateSerializer(latest, context=context).data
                if latest
                else None,
            },
        )


@extend_schema_view(
    list=_list_docs(
        "status updates",
        STATUS_UPDATE_EXAMPLE,
        "Every mandate's status history, oldest first. Updates are never edited: "
        "`?updated_since=` returns those recorded since.",
    ),
    retrieve=_detail_docs("status update", STATUS_UPDATE_EXAMPLE),
)
class StatusUpdateViewSet(ReadOnlyApiViewSet):
    serializer_class = StatusUpdateSerializer
    filterset_class = StatusUpdateFilter

    def get_queryset(self):
        return selectors.status_updates_list()
