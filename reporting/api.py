"""`/api/v1/meetings/` and `/api/v1/reports/`.

Everyone reads. The Secretariat creates and edits meetings (permissions.can_manage_meetings)
and asks for reports (permissions.can_compile_report): POST /api/v1/reports/
{"meeting": "COP15"} answers 202 Accepted with the report, whose `state` and `progress`
then move while a worker compiles it; when done, `files` holds a download URL per format.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from cms_mandates.rest_views import ApiViewSet
from partners import permissions
from reporting import selectors, services
from reporting.filters import MeetingFilter, ReportFilter
from reporting.models import ReportSource
from reporting.serializers import MeetingSerializer, ReportRequestSerializer, ReportSerializer


class _ReadOrRole(BasePermission):
    """Reads for everyone; writes for users passing `role` (a partners.permissions check)."""

    role = staticmethod(lambda user: False)

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(self.role(request.user))


class CanManageMeetings(_ReadOrRole):
    message = "Only the Secretariat may add or change meetings."
    role = staticmethod(permissions.can_manage_meetings)


class CanCompileReports(_ReadOrRole):
    message = "Only the Secretariat may compile progress reports."
    role = staticmethod(permissions.can_compile_report)


# --- Documentation examples ---------------------------------------------------------------
# Shown in /api/v1/docs/; tests check each against the schema of its response.

BASE = "https://mandates.example.org"
_FORMATS = ("docx", "pdf", "html", "csv", "json")
MEETING_EXAMPLE = {
    "url": f"{BASE}/api/v1/meetings/COP15/",
    "html_url": f"{BASE}/meetings/COP15/",
    "body": "cop",
    "number": 15,
    "code": "COP15",
    "start_date": "2026-03-23",
    "end_date": "2026-03-29",
    "venue": "Campo Grande",
    "country": "Brazil",
    "document_deadline": "2026-01-23",
    "report_document_number": "",
    "report_agenda_item": "",
    "title": "15th Meeting of the Conference of the Parties",
    "report_document_symbol": "UNEP/CMS/COP15/Doc.X",
}
MEETING_REQUEST_EXAMPLE = {
    "code": "StC56",
    "body": "stc",
    "number": 56,
    "start_date": "2026-11-17",
    "end_date": "2026-11-18",
    "venue": "Bonn",
    "country": "Germany",
    "document_deadline": "2026-10-06",
}
REPORT_EXAMPLE = {
    "id": 7,
    "url": f"{BASE}/api/v1/reports/7/",
    "meeting": "COP15",
    "version": 2,
    "document_symbol": "UNEP/CMS/COP15/Doc.X",
    "agenda_item": "",
    "state": "done",
    "progress": 100,
    "error": "",
    "source": "api",
    "cut_off": "2026-01-23T00:00:00Z",
    "period_start": "2024-02-17T00:00:00Z",
    "created_at": "2026-01-23T08:00:00Z",
    "started_at": "2026-01-23T08:00:01Z",
    "finished_at": "2026-01-23T08:00:41Z",
    "files": {fmt: f"{BASE}/meetings/COP15/reports/2/{fmt}/" for fmt in _FORMATS},
    "checksums": dict.fromkeys(
        _FORMATS, "9f2c4e0d5b7a1c3e8f6a2b4d0c9e7f1a3b5d7c9e1f3a5b7d9c1e3f5a7b9d1c3e"
    ),
}
REPORT_QUEUED_EXAMPLE = {
    **REPORT_EXAMPLE,
    "version": 3,
    "id": 8,
    "url": f"{BASE}/api/v1/reports/8/",
    "state": "pending",
    "progress": 0,
    "cut_off": "2026-02-02T10:00:00Z",
    "created_at": "2026-02-02T10:00:00Z",
    "started_at": None,
    "finished_at": None,
    "files": {},
    "checksums": {},
}
_PAGED = " Paged by cursor (`next`/`previous` links, `Link` header); `?format=csv` for a "
_PAGED += "spreadsheet. Unknown or malformed parameters are a 400."
_DETAIL = (
    " The `ETag` header changes whenever the representation does; send it back in "
    "`If-None-Match` for a 304 when nothing changed."
)
_CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="The meeting's code, in any case: COP15, StC53.",
)


def _example(name: str, value: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True)


def _meeting_write_docs(summary: str, description: str, *, created: bool) -> Any:
    code = 201 if created else 200
    return extend_schema(
        summary=summary,
        description=description
        + " Role: Secretariat. Bad values are a 400 naming each field; nothing is written.",
        parameters=[] if created else [_CODE_PARAMETER],
        request=MeetingSerializer,
        responses={
            code: OpenApiResponse(
                MeetingSerializer,
                description="Saved: the meeting as it now stands.",
                examples=[_example("meeting", MEETING_EXAMPLE)],
            )
        },
        examples=[
            OpenApiExample(
                "meeting",
                value=MEETING_REQUEST_EXAMPLE if created else {"report_document_number": "7"},
                request_only=True,
            )
        ],
    )


# --- Viewsets -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The meeting calendar",
        description="Meetings of the Conference of the Parties (cop), the Standing "
        "Committee (stc) and the Scientific Council (scc) in date order, undated ones last, "
        "each with the symbol its progress report is issued under." + _PAGED,
        examples=[_example("meeting", MEETING_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="One meeting, by its code",
        description="One meeting: dates, venue, document deadline and the symbol and agenda "
        "item of its progress report." + _DETAIL,
        parameters=[_CODE_PARAMETER],
        examples=[_example("meeting", MEETING_EXAMPLE)],
    ),
    create=_meeting_write_docs(
        "Add a meeting",
        "Add a meeting to the calendar. The code is unique in any case; a body has one "
        "meeting per number; a meeting ends on or after its start and documents are due "
        "before it starts.",
        created=True,
    ),
    partial_update=_meeting_write_docs(
        "Change some fields of a meeting",
        "Change the fields sent and only those. Reports already compiled keep the symbol "
        "and agenda item they were issued with.",
        created=False,
    ),
)
class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    serializer_class = MeetingSerializer
    permission_classes = [CanManageMeetings]
    filterset_class = MeetingFilter
    lookup_field = "code__iexact"
    lookup_url_kwarg = "code"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]*"
    # A meeting is changed field by field (PATCH); there is no whole-replacement PUT.
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.meetings_calendar()

    def perform_create(self, serializer) -> None:
        # The services' ValidationError and PermissionDenied become 400 and 403 problems.
        serializer.instance = services.meeting_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = services.meeting_update(
            meeting=serializer.instance, user=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(
        summary="Progress reports, newest first",
        description="Every compiled or requested progress report, newest first: its "
        "meeting, version, state (pending, running, done, failed), progress in percent "
        "and, when done, a download URL and checksum per format." + _PAGED,
        examples=[_example("report", REPORT_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="One progress report: state, progress and files",
        description="Poll this address after asking for a report: `state` and `progress` "
        "move while a worker compiles it; when `state` is done, `files` holds a download "
        "URL per format (docx, pdf, html, csv, json). A failed report says why in "
        "`error`." + _DETAIL,
        examples=[_example("report", REPORT_EXAMPLE)],
    ),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReportSerializer
    permission_classes = [CanCompileReports]
    filterset_class = ReportFilter

    def get_queryset(self):
        return selectors.reports_list()

    @extend_schema(
        summary="Compile the next version of a meeting's progress report",
        description="Ask for the next version of the meeting's progress report (role: "
        "Secretariat). Answers at once with 202 and the report, `Location` naming it: "
        "poll it until `state` is done. While a version of that meeting's report is "
        "pending or running, asking again returns that version instead of queueing "
        "another. The cut-off is the moment of asking.",
        request=ReportRequestSerializer,
        responses={
            202: OpenApiResponse(
                ReportSerializer,
                description="Queued (or already being compiled: the version in progress). "
                "`Location` is the report's address.",
                examples=[_example("queued", REPORT_QUEUED_EXAMPLE)],
            )
        },
        examples=[OpenApiExample("meeting", value={"meeting": "COP15"}, request_only=True)],
    )
    def create(self, request: Request) -> Response:
        incoming = ReportRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report, _ = services.report_request(
            meeting=incoming.validated_data["meeting"],
            user=request.user,
            source=ReportSource.API,
        )
        data = ReportSerializer(report, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
