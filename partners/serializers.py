"""Representations of Parties, the mandates addressed to a Party (its obligations) and a
Party's own statuses in the REST API. `PartyStatusWriteSerializer` only checks the shape of
the input: the rules live in `services.party_status_record`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partners.models import Party, PartyEvidenceFile, PartyImplementation, PartyStatus, Region
from resolutions.models import Mandate, MandateStatus
from resolutions.serializers import EvidenceFileSerializer, request_links
from resolutions.services import MAX_EVIDENCE_LINKS, MAX_NARRATIVE_CHARS


def _absolute(context: dict[str, Any], path: str) -> str:
    return context["request"].build_absolute_uri(path)


class PartySerializer(serializers.ModelSerializer):
    iso2 = serializers.CharField(help_text="ISO 3166-1 alpha-2 code; EU for the European Union.")
    region = serializers.ChoiceField(choices=Region.choices, help_text="CMS region.")
    party_since = serializers.DateField(
        allow_null=True,
        help_text="The date the Convention entered into force for the Party; null when "
        "not verified.",
    )
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    obligations_url = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "iso2",
            "iso3",
            "name",
            "region",
            "party_since",
            "url",
            "html_url",
            "obligations_url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, party: Party) -> str:
        return _absolute(self.context, reverse("api-party-detail", args=[party.iso2]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, party: Party) -> str:
        return _absolute(self.context, reverse("partners:party-detail", args=[party.iso2.lower()]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_obligations_url(self, party: Party) -> str:
        return _absolute(self.context, reverse("api-party-obligations", args=[party.iso2]))


class ObligationResolutionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField(source="display_symbol")
    title = serializers.CharField()


class ObligationListSerializer(serializers.ListSerializer):
    """A page of obligations, each built directly by one function made for the page
    (`_obligation_builder`): the declared fields' representation walks a dozen field
    objects and resolves an address for every row, which was a good part of a page's
    time at `cms` scale. A test compares the two."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        if self.context.get("format"):  # format-suffixed addresses: rare, the plain way
            return super().to_representation(data)
        build = _obligation_builder(self.context)
        return [build(mandate) for mandate in data]


class ObligationSerializer(serializers.Serializer):
    """A mandate addressed to the Party, with the Party's latest status for it."""

    class Meta:
        list_serializer_class = ObligationListSerializer

    mandate = serializers.IntegerField(source="pk", help_text="The mandate's id.")
    mandate_url = serializers.SerializerMethodField()
    resolution = ObligationResolutionSerializer()
    paragraph = serializers.CharField(source="paragraph.label", help_text='Paragraph number: "29".')
    verb = serializers.CharField(help_text='Lemma of the operative verb: "encourage".')
    verb_phrase = serializers.CharField(help_text='As written: "Further encourages".')
    actor = serializers.CharField(source="actor.slug", help_text="Addressee: parties.")
    secretariat_status = serializers.ChoiceField(
        source="status", choices=MandateStatus.choices, help_text="The mandate's overall status."
    )
    party_status = serializers.ChoiceField(
        choices=PartyImplementation.choices, help_text="The Party's latest status."
    )
    party_version = serializers.IntegerField(
        help_text="Version of the Party's latest status (0 before any): send it as `version` "
        "when recording the next one."
    )
    party_narrative = serializers.CharField(allow_null=True)
    party_as_of = serializers.DateField(allow_null=True)
    party_reported_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_mandate_url(self, mandate: Mandate) -> str:
        return _absolute(self.context, reverse("api-mandate-detail", args=[mandate.pk]))


def _obligation_builder(context: dict[str, Any]) -> Callable[[Mandate], dict[str, Any]]:
    """ObligationSerializer's representation of a mandate of `party_obligations`, with
    this request's addresses, time zone and kind names bound in."""
    links = request_links(context)
    before, after = links.template("api-mandate-detail")
    stamp = links.stamp
    kinds: dict[str, str] = {}  # "resolution" -> "Resolution", in this request's language

    def represent(mandate: Mandate) -> dict[str, Any]:
        resolution = mandate.resolution
        kind = kinds.get(resolution.kind)
        if kind is None:
            kind = kinds[resolution.kind] = str(resolution.get_kind_display())
        as_of, reported_at = mandate.party_as_of, mandate.party_reported_at
        return {
            "mandate": mandate.pk,
            "mandate_url": f"{before}{mandate.pk}{after}",
            "resolution": {
                "id": resolution.pk,
                "symbol": f"{kind} {resolution.symbol}",
                "title": resolution.title,
            },
            "paragraph": mandate.paragraph.label,
            "verb": mandate.verb,
            "verb_phrase": mandate.verb_phrase,
            "actor": mandate.actor.slug,
            "secretariat_status": mandate.status,
            "party_status": mandate.party_status,
            "party_version": mandate.party_version,
            "party_narrative": mandate.party_narrative,
            "party_as_of": None if as_of is None else as_of.isoformat(),
            "party_reported_at": None if reported_at is None else stamp(reported_at),
        }

    return represent


class PartyEvidenceFileSerializer(EvidenceFileSerializer):
    url_name = "partners:party-evidence"

    class Meta(EvidenceFileSerializer.Meta):
        model = PartyEvidenceFile


class PartyStatusSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party.iso2", help_text="The Party's ISO code.")
    mandate = serializers.IntegerField(source="mandate_id")
    author = serializers.CharField(source="author.get_username", allow_null=True, default=None)
    evidence_files = PartyEvidenceFileSerializer(
        source="files",
        many=True,
        read_only=True,
        help_text="Files given with the report (attached in the browser's report form).",
    )

    class Meta:
        model = PartyStatus
        fields = [
            "id",
            "party",
            "mandate",
            "version",
            "status",
            "previous_status",
            "narrative",
            "evidence_links",
            "evidence_files",
            "as_of",
            "author",
            "created_at",
        ]


class PartyStatusWriteSerializer(serializers.Serializer):
    """The body of POST /parties/{ISO2}/statuses/."""

    mandate = serializers.IntegerField(
        min_value=1, help_text="Id of a mandate addressed to Parties (see obligations)."
    )
    status = serializers.ChoiceField(choices=PartyImplementation.choices)
    narrative = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NARRATIVE_CHARS, default=""
    )
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000),
        required=False,
        max_length=MAX_EVIDENCE_LINKS,
        default=list,
        help_text="http(s) addresses of evidence.",
    )
    as_of = serializers.DateField(
        required=False, allow_null=True, help_text="Default today, never in the future."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2_147_483_647,
        help_text="The version of the Party's status this report is based on (the "
        "obligation's `party_version`): 412 if another report was saved since. Leave it "
        "out (and send no If-Match) to record after whatever is latest.",
    )
