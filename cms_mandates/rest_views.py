"""Base classes of API viewsets, and the problem-type endpoint. The conventions themselves
are in `cms_mandates.rest` (kept free of DRF's views, which import it through settings)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from cms_mandates.rest import PROBLEM_TYPES, ApiViewMixin


class ReadOnlyApiViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource: list (filtered, paginated, CSV) and retrieve (ETag, 304)."""


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A resource that picks its actions (mixins, @action) and follows the conventions."""


# --- Problem types ------------------------------------------------------------------------


class ProblemTypeSerializer(serializers.Serializer):
    type = serializers.CharField(source="uri", help_text="The `type` of problems of this kind.")
    slug = serializers.CharField()
    status = serializers.IntegerField(help_text="The HTTP status these problems come with.")
    title = serializers.CharField()
    description = serializers.CharField()


@extend_schema_view(
    retrieve=extend_schema(
        summary="Describe a problem type",
        description="What a problem's `type` means. Every error response of this API is an "
        "RFC 9457 problem (application/problem+json) whose `type` is one of these addresses.",
        tags=["problems"],
        parameters=[
            OpenApiParameter(
                "slug",
                str,
                OpenApiParameter.PATH,
                enum=sorted(PROBLEM_TYPES),
                description="The last part of the problem's `type`.",
            )
        ],
        examples=[
            OpenApiExample(
                "stale-version",
                value=ProblemTypeSerializer(PROBLEM_TYPES["stale-version"]).data,
                response_only=True,
            )
        ],
    )
)
class ProblemTypeViewSet(ApiViewMixin, viewsets.ViewSet):
    """`/api/v1/problems/<slug>/`: what each problem `type` means."""

    lookup_field = "slug"
    lookup_value_regex = "[a-z0-9-]+"
    serializer_class = ProblemTypeSerializer
    permission_classes = [AllowAny]

    def retrieve(self, request: Request, slug: str | None = None) -> Response:
        kind = PROBLEM_TYPES.get(slug or "")
        if kind is None:
            raise exceptions.NotFound(f"No problem type {slug!r}.")
        return Response(ProblemTypeSerializer(kind).data)
