"""The mandate list as a DRF tutorial writes it: ModelViewSet, nested ModelSerializers,
page-number pagination (a COUNT per page), the default queryset without select_related.
The comparison point "textbook" of `make bench`; mounted only by bench/urls.py."""

from __future__ import annotations

from rest_framework import pagination, serializers, viewsets
from rest_framework.permissions import AllowAny

from resolutions.models import Actor, Mandate, Paragraph, Resolution


class PageNumber(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ResolutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resolution
        fields = ["id", "symbol", "title"]


class ParagraphSerializer(serializers.ModelSerializer):
    class Meta:
        model = Paragraph
        fields = ["id", "number", "text"]


class ActorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["slug", "name"]


class MandateSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-mandate-detail")
    resolution = ResolutionSerializer(read_only=True)
    paragraph = ParagraphSerializer(read_only=True)
    actor = ActorSerializer(read_only=True)
    due_meeting = serializers.SlugRelatedField(slug_field="code", read_only=True)
    report_to = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Mandate
        fields = [
            "id",
            "url",
            "resolution",
            "paragraph",
            "actor",
            "position",
            "verb",
            "verb_phrase",
            "addressee_phrase",
            "strength",
            "subject_to_resources",
            "due_meeting",
            "cadence",
            "report_to",
            "status",
            "progress",
            "version",
            "is_overdue",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]


class MandateViewSet(viewsets.ModelViewSet):
    queryset = Mandate.objects.all()
    serializer_class = MandateSerializer
    pagination_class = PageNumber
    permission_classes = [AllowAny]
    throttle_classes: list = []
    http_method_names = ["get"]
