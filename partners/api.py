"""`/api/v1/parties/`: the Parties, what is asked of each (its obligations) and the write
of a Party's own status. Thin: selectors, FilterSets, serializers; the write goes through
`services.party_status_record`, checked by `permissions.can_report_party_status`.

No lost update: `POST /parties/{ISO2}/statuses/` takes the version of the Party's status
the client based its report on, as `version` in the body or as `If-Match:
"party-<ISO2>-mandate-<id>-v<version>"`; when another report was saved since, 412 with
the current version and the report that won. A report sent with neither is recorded
after whatever is latest (the client chose not to check).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from cms_mandates.rest import PreconditionFailed, if_match_tags
from cms_mandates.rest_views import ReadOnlyApiViewSet
from partners import permissions, selectors, services
from partners.filters import ObligationFilter, PartyFilter
from partners.models import Party
from partners.serializers import (
    ObligationSerializer,
    PartySerializer,
    PartyStatusSerializer,
    PartyStatusWriteSerializer,
)
from resolutions.models import Mandate

_PARTY_ETAG = re.compile(
    r'^(?:W/)?"party-(?P<iso2>[A-Z]{2})-mandate-(?P<mandate>\d+)-v(?P<version>\d+)"$'
)


def party_status_etag(party: Party, mandate_id: int, version: int) -> str:
    return f'"party-{party.iso2}-mandate-{mandate_id}-v{version}"'


# --- Documentation examples ---------------------------------------------------------------

BASE = "https://mandates.example.org"
PARTY_EXAMPLE = {
    "iso2": "UZ",
    "iso3": "UZB",
    "name": "Uzbekistan",
    "region": "asia",
    "party_since": None,
    "url": f"{BASE}/api/v1/parties/UZ/",
    "html_url": f"{BASE}/parties/uz/",
    "obligations_url": f"{BASE}/api/v1/parties/UZ/obligations/",
}
OBLIGATION_EXAMPLE = {
    "mandate": 42,
    "mandate_url": f"{BASE}/api/v1/mandates/42/",
    "resolution": {
        "id": 1,
        "symbol": "Res. 11.10 (Rev.COP14)",
        "title": "Synergies and Partnerships",
    },
    "paragraph": "29",
    "verb": "encourage",
    "verb_phrase": "Encourages",
    "actor": "parties",
    "secretariat_status": "in_progress",
    "party_status": "in_progress",
    "party_version": 2,
    "party_narrative": "National working group on synergies set up in 2025.",
    "party_as_of": "2026-03-01",
    "party_reported_at": "2026-03-02T09:30:00Z",
}
PARTY_STATUS_EXAMPLE = {
    "id": 7,
    "party": "UZ",
    "mandate": 42,
    "version": 3,
    "status": "implemented",
    "previous_status": "in_progress",
    "narrative": "Memorandum with the CBD focal point signed.",
    "evidence_links": ["https://example.org/uz/mou.pdf"],
    "evidence_files": [
        {
            "name": "national-report-2025.pdf",
            "url": "https://mandates.example.org/parties/evidence/12/",
            "content_type": "application/pdf",
            "size": 482133,
        }
    ],
    "as_of": "2026-03-10",
    "author": "focal.uz",
    "created_at": "2026-03-10T08:00:00Z",
}
PARTY_STATUS_REQUEST_EXAMPLE = {
    "mandate": 42,
    "status": "implemented",
    "narrative": "Memorandum with the CBD focal point signed.",
    "evidence_links": ["https://example.org/uz/mou.pdf"],
    "version": 2,
}
STALE_EXAMPLE = {
    "type": "/api/v1/problems/stale-version/",
    "title": "The resource has changed",
    "status": 412,
    "detail": "Uzbekistan's status for mandate 42 is at version 3, not 2: another report "
    "was saved first. Nothing was written.",
    "instance": "/api/v1/parties/UZ/statuses/",
    "current_version": 3,
    "current_etag": '"party-UZ-mandate-42-v3"',
    "latest_status": PARTY_STATUS_EXAMPLE,
}

ISO2_PARAMETER = OpenApiParameter(
    "iso2",
    str,
    OpenApiParameter.PATH,
    description="The Party's ISO 3166-1 alpha-2 code (EU for the European Union), any case.",
    pattern="^[A-Za-z]{2}$",
)


def _example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True)


@extend_schema_view(
    list=extend_schema(
        summary="List Parties",
        description="The Parties to the Convention, by name. Filter by CMS `region` or `q` "
        "(words of the name, or the ISO code). Paged by cursor; `?format=csv` for a "
        "spreadsheet. Unknown or malformed parameters are a 400.",
        examples=[_example("Parties", PARTY_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="One Party",
        description="One Party, by ISO code. The `ETag` header changes whenever the "
        "representation does.",
        parameters=[ISO2_PARAMETER],
        examples=[_example("Party", PARTY_EXAMPLE)],
    ),
)
class PartyViewSet(ReadOnlyApiViewSet):
    serializer_class = PartySerializer
    filterset_class = PartyFilter
    lookup_field = "iso2"
    lookup_value_regex = "[A-Za-z]{2}"
    list_actions = frozenset({"list", "obligations"})

    def get_queryset(self):
        if self.action == "obligations":
            # The rows of that list are mandates (the action reads them for the Party
            # itself); the schema generator learns the filters' model from here.
            return Mandate.objects.none()
        return selectors.parties_list()

    def get_object(self) -> Party:
        return selectors.party_get(iso2=self.kwargs["iso2"])

    @extend_schema(
        summary="What is asked of a Party",
        description="The mandates of resolutions in force addressed to Parties (or to this "
        "Party by name), each with its paragraph number, resolution, verb, the "
        "Secretariat's overall status and the Party's latest status (`party_status`, "
        "`not_reported` before any report, and `party_version`, the version to send "
        "when reporting). Paged by cursor; `?format=csv` for a spreadsheet.",
        parameters=[ISO2_PARAMETER],
        responses=ObligationSerializer(many=True),
        examples=[_example("obligations", OBLIGATION_EXAMPLE)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="obligations",
        url_name="obligations",
        filterset_class=ObligationFilter,
        serializer_class=ObligationSerializer,
    )
    def obligations(self, request: Request, iso2: str | None = None) -> Response:
        self.party = party = self.get_object()
        queryset = self.filter_queryset(selectors.party_obligations(party=party))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def read_page(self, ordered: QuerySet, limit: int, keys: list[str]) -> list | None:
        """The obligations' page chosen by its sort keys alone (CursorPagination's hook)."""
        if self.action != "obligations":
            return None
        return selectors.party_obligations_page(party=self.party, ordered=ordered, limit=limit)

    @extend_schema(
        summary="Record a Party's status",
        description=(
            "Record the Party's own implementation status of a mandate addressed to "
            "Parties (role: that Party's focal points, or the Secretariat; anyone else, "
            "including other Parties' focal points, gets 403). No lost update: send the "
            "version of the Party's status your report is based on, as `version` in the "
            "body (the obligation's `party_version`, 0 before any report) or as `If-Match: "
            '"party-<ISO2>-mandate-<id>-v<version>"`; if another report was saved since, '
            "412 with the current version and the report that won, and nothing is "
            "written. With neither, the report is recorded after whatever is latest. A "
            "report that changes nothing (same status, no narrative, no links): 204."
        ),
        parameters=[
            ISO2_PARAMETER,
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description='Alternative to `version`: "party-<ISO2>-mandate-<id>-v<version>".',
            ),
        ],
        request=PartyStatusWriteSerializer,
        responses={
            201: OpenApiResponse(
                PartyStatusSerializer,
                description="Recorded; the body is the new status, `version` the one to "
                "send next time.",
                examples=[_example("recorded", PARTY_STATUS_EXAMPLE)],
            ),
            204: OpenApiResponse(description="Nothing to record: the report changes nothing."),
            412: OpenApiResponse(
                {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {
                            "type": "object",
                            "required": ["current_version", "current_etag", "latest_status"],
                            "properties": {
                                "current_version": {"type": "integer"},
                                "current_etag": {"type": "string"},
                                "latest_status": {
                                    "allOf": [{"$ref": "#/components/schemas/PartyStatus"}],
                                    "nullable": True,
                                },
                            },
                        },
                    ]
                },
                description="Stale: another report was saved since the version given. "
                "Nothing was written.",
                examples=[_example("stale", STALE_EXAMPLE)],
            ),
        },
        examples=[OpenApiExample("report", value=PARTY_STATUS_REQUEST_EXAMPLE, request_only=True)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="statuses",
        url_name="statuses",
        permission_classes=[IsAuthenticated],
        serializer_class=PartyStatusWriteSerializer,
    )
    def statuses(self, request: Request, iso2: str | None = None) -> Response:
        party = self.get_object()
        if not permissions.can_report_party_status(request.user, party):
            raise PermissionDenied(
                f"Only {party.name}'s focal points and the Secretariat may report its status."
            )
        body = PartyStatusWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        mandate = (
            Mandate.objects.select_related("actor")
            .filter(pk=values.pop("mandate"))
            .filter(selectors.party_mandates_q(party))
            .first()
        )
        if mandate is None:
            raise exceptions.ValidationError(
                {"mandate": [f"No mandate with this id is addressed to {party.name}."]}
            )
        expected = self._expected_version(request, party, mandate, values.pop("version", None))
        try:
            recorded = services.party_status_record(
                party=party,
                mandate=mandate,
                user=request.user,
                expected_version=expected,
                **values,
            )
        except services.StalePartyStatus as stale:
            raise self._stale(stale, f"{stale} Nothing was written.") from None
        if recorded is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = PartyStatusSerializer(recorded, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _expected_version(
        self, request: Request, party: Party, mandate: Mandate, version: int | None
    ) -> int | None:
        tags = if_match_tags(request)
        if tags is None or tags == ["*"]:
            return version
        if len(tags) != 1:
            raise exceptions.ValidationError({"If-Match": ["Send exactly one ETag."]})
        match = _PARTY_ETAG.match(tags[0])
        if match is None or match["iso2"] != party.iso2 or int(match["mandate"]) != mandate.pk:
            raise exceptions.ValidationError(
                {"If-Match": [f'Expected "party-{party.iso2}-mandate-{mandate.pk}-v<version>".']}
            )
        tagged = int(match["version"])
        if version is not None and version != tagged:
            raise exceptions.ValidationError(
                {"version": ["Differs from the version in If-Match; send one of them."]}
            )
        return tagged

    def _stale(self, stale: services.StalePartyStatus, detail: str) -> PreconditionFailed:
        context = self.get_serializer_context()
        return PreconditionFailed(
            detail,
            extra={
                "current_version": stale.current_version,
                "current_etag": party_status_etag(
                    stale.party, stale.mandate.pk, stale.current_version
                ),
                "latest_status": PartyStatusSerializer(stale.latest, context=context).data
                if stale.latest
                else None,
            },
        )
