"""Representations of resolutions, paragraphs, actors, mandates and status updates in the
REST API. Read-only except `StatusUpdateWriteSerializer`, which only checks the shape of
the input: the rules live in `services.mandate_status_update`.

Every resource has `url` (itself in the API) and, where the site has a page for it,
`html_url`; lists of related rows are links (`mandates_url`, ...) to filtered API lists.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnList

from cms_mandates.rest import RawJSONArray
from resolutions import selectors
from resolutions.models import (
    Actor,
    EvidenceFile,
    Mandate,
    MandateLink,
    MandateStatus,
    Paragraph,
    Resolution,
    StatusUpdate,
    mandate_is_overdue,
)
from resolutions.services import MAX_EVIDENCE_LINKS, MAX_NARRATIVE_CHARS


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The absolute address of the object's page on the site (`get_absolute_url`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return self.context["request"].build_absolute_uri(value.get_absolute_url())


@extend_schema_field(OpenApiTypes.URI)
class ListUrlField(serializers.Field):
    """The absolute address of an API list filtered on this object, e.g. the mandates of a
    resolution: /api/v1/mandates/?resolution=5."""

    def __init__(self, *, view_name: str, param: str, lookup: str = "pk", **kwargs: Any):
        self.view_name, self.param, self.lookup = view_name, param, lookup
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        query = urlencode({self.param: getattr(value, self.lookup)})
        return self.context["request"].build_absolute_uri(f"{reverse(self.view_name)}?{query}")


# --- References (a related row inside another) --------------------------------------------


class ResolutionRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-resolution-detail")

    class Meta:
        model = Resolution
        fields = ["id", "url", "symbol", "title"]


class ParagraphRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-paragraph-detail")

    class Meta:
        model = Paragraph
        fields = ["id", "url", "number", "text"]


class ActorRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-actor-detail", lookup_field="slug")

    class Meta:
        model = Actor
        fields = ["slug", "url", "name"]


# --- Resolutions --------------------------------------------------------------------------

MandateCountsSerializer = type(
    "MandateCountsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Number of mandates in each current status.",
        **{
            status: serializers.IntegerField(source=f"n_{status}", read_only=True)
            for status in MandateStatus.values
        },
    },
)


class ResolutionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-resolution-detail")
    html_url = PageUrlField()
    adopted_at = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="Code of the meeting that adopted it.",
    )
    operative_paragraphs = serializers.IntegerField(source="n_operative", read_only=True)
    mandate_counts = MandateCountsSerializer(source="*", read_only=True)
    paragraphs_url = ListUrlField(view_name="api-paragraph-list", param="resolution")
    mandates_url = ListUrlField(view_name="api-mandate-list", param="resolution")

    class Meta:
        model = Resolution
        fields = [
            "id",
            "url",
            "html_url",
            "convention",
            "symbol",
            "display_symbol",
            "kind",
            "title",
            "status",
            "adopted_at",
            "supersedes",
            "source_name",
            "operative_paragraphs",
            "mandate_counts",
            "paragraphs_url",
            "mandates_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResolutionDetailSerializer(ResolutionSerializer):
    class Meta(ResolutionSerializer.Meta):
        fields = [*ResolutionSerializer.Meta.fields, "source_text"]
        read_only_fields = fields


# --- Paragraphs ---------------------------------------------------------------------------


class ParagraphMandateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-mandate-detail")
    actor = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Mandate
        fields = ["id", "url", "actor", "verb", "strength", "status"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "array",
        "description": "The importer's reading: each directive's verb lemma and addressed "
        "actor slugs, declaratory verbs included.",
        "items": {
            "type": "object",
            "properties": {
                "verb": {"type": "string"},
                "actors": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": True,
        },
    }
)
class ReadingField(serializers.JSONField):
    pass


class ParagraphSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-paragraph-detail")
    resolution = ResolutionRefSerializer(read_only=True)
    directives = ReadingField(source="reading", read_only=True)
    mandates = ParagraphMandateSerializer(many=True, read_only=True)
    heading = serializers.CharField(
        source="display_heading",
        read_only=True,
        help_text="Annex title or decision heading, in `language`.",
    )
    text = serializers.CharField(
        source="display_text",
        read_only=True,
        help_text="The paragraph's text in the language asked for (Accept-Language: en, "
        "fr or es) when the text is held in it, in English otherwise.",
    )
    language = serializers.CharField(
        source="display_language",
        read_only=True,
        help_text="The language of `text` and `heading`: en, fr or es.",
    )

    class Meta:
        model = Paragraph
        fields = [
            "id",
            "url",
            "resolution",
            "part",
            "number",
            "parent",
            "order",
            "heading",
            "text",
            "language",
            "directives",
            "mandates",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Paragraph) -> dict[str, Any]:
        # The translation, when the view prefetched one (selectors.paragraphs_in_language).
        selectors.localise_paragraphs([instance])
        return super().to_representation(instance)


# --- Actors -------------------------------------------------------------------------------


class ActorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-actor-detail", lookup_field="slug")
    html_url = PageUrlField()
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    mandate_count = serializers.IntegerField(source="n_mandates", read_only=True)
    open_mandate_count = serializers.IntegerField(
        source="n_open", read_only=True, help_text="Mandates not completed, superseded or N/A."
    )
    mandates_url = ListUrlField(view_name="api-mandate-list", param="actor", lookup="slug")

    class Meta:
        model = Actor
        fields = [
            "slug",
            "url",
            "html_url",
            "name",
            "kind",
            "aliases",
            "description",
            "order",
            "mandate_count",
            "open_mandate_count",
            "mandates_url",
        ]
        read_only_fields = fields


# --- Mandates -----------------------------------------------------------------------------


class MandateLinkSerializer(serializers.ModelSerializer):
    """A mandate's link to a convention or organisation, GBF target or SDG. `state` is
    `suggested` (read from the text by the importer, not checked by anyone) or
    `confirmed` (by the Secretariat); removed links are not listed."""

    key = serializers.CharField(
        source="target_key",
        read_only=True,
        help_text="What the mandate filters take: organisation slug (ramsar), GBF target "
        "code (T21) or SDG number (17).",
    )
    label = serializers.CharField(read_only=True, help_text="Short name: CBD, GBF T21, SDG 17.")
    title = serializers.CharField(read_only=True, help_text="Full name or title.")

    class Meta:
        model = MandateLink
        fields = ["kind", "key", "label", "title", "state", "source", "decided_at"]
        read_only_fields = fields


class MandateListSerializer(serializers.ListSerializer):
    """A page of mandates: each row built by the one function `_Links.mandate`, looked up
    once for the page rather than once a row."""

    def to_representation(self, data: Any) -> list[dict[str, Any]] | RawJSONArray:
        if self.context.get("format"):
            return super().to_representation(data)
        rows = list(data)
        if rows and isinstance(rows[0], Mapping) and "document" in rows[0]:
            # Written by PostgreSQL (`selectors.mandate_api_documents`): sent as they are.
            return RawJSONArray([row["document"] for row in rows])
        build, as_row = request_links(self.context).mandate, selectors.mandate_api_row
        return [build(row if isinstance(row, Mapping) else as_row(row)) for row in rows]

    @property
    def data(self) -> ReturnList | RawJSONArray:
        representation = serializers.BaseSerializer.data.fget(self)
        if isinstance(representation, RawJSONArray):
            return representation
        return ReturnList(representation, serializer=self)


class MandateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-mandate-detail")
    html_url = PageUrlField()
    resolution = ResolutionRefSerializer(read_only=True)
    paragraph = ParagraphRefSerializer(read_only=True)
    actor = ActorRefSerializer(read_only=True)
    due_meeting = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="Code of the meeting it is due at.",
    )
    report_to = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Actor slug of the body to report to.",
    )
    version = serializers.IntegerField(read_only=True, help_text="Number of status updates so far.")
    is_overdue = serializers.BooleanField(
        read_only=True, help_text="Due at a meeting that has started, and not closed."
    )
    status_updates_url = ListUrlField(view_name="api-statusupdate-list", param="mandate")
    links = MandateLinkSerializer(
        source="shown_links",
        many=True,
        read_only=True,
        help_text="Conventions, organisations, GBF targets and SDGs; suggested ones say so.",
    )

    class Meta:
        model = Mandate
        fields = [
            "id",
            "url",
            "html_url",
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
            "status_updates_url",
            "links",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = MandateListSerializer

    def to_representation(self, instance: Mandate | Mapping[str, Any]) -> dict[str, Any]:
        """The same representation as the declared fields give (a test compares them),
        built directly (`_Links.mandate`) from a row of `selectors.mandate_api_rows` (the
        list) or from a Mandate (one mandate): a page of 50 would otherwise resolve 300
        URLs and walk 1,500 field objects."""
        if self.context.get("format"):  # /api/v1/mandates.json: suffixed links, rare
            return super().to_representation(instance)
        row = instance if isinstance(instance, Mapping) else selectors.mandate_api_row(instance)
        return request_links(self.context).mandate(row)


def _link_representation(link: Mapping[str, Any], stamp) -> dict[str, Any]:
    """MandateLinkSerializer's representation of a link row (`selectors.LINK_API_FIELDS`),
    built directly: the key, label and title of MandateLink (a test compares the two)."""
    if link["organisation_id"]:
        name = link["organisation__name"]
        key, label, title = link["organisation__slug"], link["organisation__acronym"] or name, name
    elif link["gbf_target_id"]:
        code = link["gbf_target__code"]
        key, label, title = code, f"GBF {code}", link["gbf_target__title"]
    else:
        number = link["sdg__number"]
        key, label, title = str(number), f"SDG {number}", link["sdg__title"]
    return {
        "kind": link["kind"],
        "key": key,
        "label": label,
        "title": title,
        "state": link["state"],
        "source": link["source"],
        "decided_at": None if link["decided_at"] is None else stamp(link["decided_at"]),
    }


#: The URL names of a mandate's addresses, by their names in `selectors.DOCUMENT_ADDRESSES`.
_ADDRESS_VIEWS = {
    "mandate": "api-mandate-detail",
    "page": "resolutions:mandate-detail",
    "resolution": "api-resolution-detail",
    "paragraph": "api-paragraph-detail",
    "actor": "api-actor-detail",
}


class _Links:
    """What a representation built directly needs, worked out once per request: absolute
    addresses by URL name (the address for one key with the key swapped for another's;
    keys are ids and slugs, URL-safe as they are), the time zone of timestamps and today's
    date in it."""

    MARK = "8095179031"  # digits: also matches <int:pk> converters

    def __init__(self, request) -> None:
        self.request = request
        self.templates: dict[str, tuple[str, str]] = {}
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate(timezone=self.zone)

    def stamp(self, moment: dt.datetime) -> str:
        """An aware timestamp as DRF's DateTimeField gives it (ISO 8601 in the current
        time zone, "Z" for UTC), without looking the zone up again (a test compares)."""
        text = moment.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def template(self, view_name: str) -> tuple[str, str]:
        """The absolute address of `view_name` for one key, as the text before and after
        the key."""
        template = self.templates.get(view_name)
        if template is None:
            path = _reversed(view_name, get_script_prefix(), self.MARK)
            before, _, after = self.request.build_absolute_uri(path).rpartition(self.MARK)
            template = self.templates[view_name] = (before, after)
        return template

    @property
    def in_utc(self) -> bool:
        """Whether timestamps are written in UTC (what PostgreSQL can write them in)."""
        return str(self.zone) == "UTC"

    def document_addresses(self) -> list[tuple[str, str]]:
        """The addresses of `selectors.mandate_api_documents`, each as the text before and
        after its key, in the order of `selectors.DOCUMENT_ADDRESSES`."""
        updates = self.request.build_absolute_uri(
            _reversed("api-statusupdate-list", get_script_prefix())
        )
        templates = {name: self.template(view) for name, view in _ADDRESS_VIEWS.items()}
        templates["status_updates"] = (f"{updates}?mandate=", "")
        return [templates[name] for name in selectors.DOCUMENT_ADDRESSES]

    @functools.cached_property
    def mandate(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """MandateSerializer's representation of a row of `selectors.mandate_api_rows`,
        as a function with this request's addresses and date bound in: a page calls it
        once a row."""
        mandate, mandate_end = self.template(_ADDRESS_VIEWS["mandate"])
        page, page_end = self.template(_ADDRESS_VIEWS["page"])
        resolution, resolution_end = self.template(_ADDRESS_VIEWS["resolution"])
        paragraph, paragraph_end = self.template(_ADDRESS_VIEWS["paragraph"])
        actor, actor_end = self.template(_ADDRESS_VIEWS["actor"])
        updates = self.request.build_absolute_uri(
            _reversed("api-statusupdate-list", get_script_prefix())
        )
        stamp, today = self.stamp, self.today

        def represent(row: Mapping[str, Any]) -> dict[str, Any]:
            pk, resolution_pk, paragraph_pk, slug = (
                row["id"],
                row["resolution_id"],
                row["paragraph_id"],
                row["actor__slug"],
            )
            status, changed_at = row["status"], row["status_changed_at"]
            return {
                "id": pk,
                "url": f"{mandate}{pk}{mandate_end}",
                "html_url": f"{page}{pk}{page_end}",
                "resolution": {
                    "id": resolution_pk,
                    "url": f"{resolution}{resolution_pk}{resolution_end}",
                    "symbol": row["resolution__symbol"],
                    "title": row["resolution__title"],
                },
                "paragraph": {
                    "id": paragraph_pk,
                    "url": f"{paragraph}{paragraph_pk}{paragraph_end}",
                    "number": row["paragraph__number"],
                    "text": row["paragraph__text"],
                },
                "actor": {
                    "slug": slug,
                    "url": f"{actor}{slug}{actor_end}",
                    "name": row["actor__name"],
                },
                "position": row["position"],
                "verb": row["verb"],
                "verb_phrase": row["verb_phrase"],
                "addressee_phrase": row["addressee_phrase"],
                "strength": row["strength"],
                "subject_to_resources": row["subject_to_resources"],
                "due_meeting": row["due_meeting__code"],
                "cadence": row["cadence"],
                "report_to": row["report_to__slug"],
                "status": status,
                "progress": row["progress"],
                "version": row["version"],
                "is_overdue": mandate_is_overdue(
                    row["due_meeting__start_date"], status, today=today
                ),
                "status_changed_at": None if changed_at is None else stamp(changed_at),
                # Ids need no quoting.
                "status_updates_url": f"{updates}?mandate={pk}",
                "links": [_link_representation(link, stamp) for link in row["links"]],
                "created_at": stamp(row["created_at"]),
                "updated_at": stamp(row["updated_at"]),
            }

        return represent


@functools.lru_cache(maxsize=64)
def _reversed(view_name: str, prefix: str, *args: str) -> str:
    """`reverse(view_name, args=args)` under the script prefix `prefix` (part of the key:
    reverse() reads it), worked out once per process: a page's representations ask for
    the same handful of addresses on every request."""
    return reverse(view_name, args=list(args) or None)


def request_links(context: dict[str, Any]) -> _Links:
    links = context.get("_links")
    if links is None:
        links = context["_links"] = _Links(context["request"])
    return links


# --- Status updates -----------------------------------------------------------------------


class EvidenceFileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField(help_text="Where to download the file.")
    #: The download view of this kind of evidence file.
    url_name = "resolutions:evidence-download"

    class Meta:
        model = EvidenceFile
        fields = ["name", "url", "content_type", "size"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        path = reverse(self.url_name, args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class StatusUpdateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api-statusupdate-detail")
    mandate_url = serializers.HyperlinkedRelatedField(
        source="mandate", view_name="api-mandate-detail", read_only=True
    )
    evidence_links = serializers.ListField(child=serializers.URLField(), read_only=True)
    evidence_files = EvidenceFileSerializer(source="files", many=True, read_only=True)
    author = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of who recorded it; null for the system.",
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "url",
            "mandate",
            "mandate_url",
            "version",
            "status",
            "previous_status",
            "progress",
            "narrative",
            "evidence_links",
            "evidence_files",
            "as_of",
            "author",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class StatusUpdateCreatedSerializer(StatusUpdateSerializer):
    mandate_etag = serializers.SerializerMethodField(
        help_text="The mandate's ETag after this update: the If-Match of the next one."
    )

    class Meta(StatusUpdateSerializer.Meta):
        fields = [*StatusUpdateSerializer.Meta.fields, "mandate_etag"]
        read_only_fields = fields

    def get_mandate_etag(self, obj: StatusUpdate) -> str:
        return self.context["mandate_etag"]


class StatusUpdateWriteSerializer(serializers.Serializer):
    """The body of POST /mandates/{id}/status-updates/. Shapes only; the service applies
    the rules (http(s) links, no date in the future, nothing written on bad input)."""

    status = serializers.ChoiceField(choices=MandateStatus.choices)
    progress = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, help_text="Percent done."
    )
    narrative = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NARRATIVE_CHARS, default=""
    )
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000),
        required=False,
        max_length=MAX_EVIDENCE_LINKS,
        default=list,
        help_text="http(s) addresses of evidence (documents, pages).",
    )
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The date the status holds for; default today, never in the future.",
    )
