"""The one FilterSet per list, shared by the HTML pages and the API.

Every filter value is validated: an unknown actor slug, status or malformed date is a
form error (a 400 in the API, a message on the page), never silently ignored. The API
accepts exactly the parameters a FilterSet declares (plus paging and `format`) and
documents them from it, so a new filter is one declaration here.

`updated_since` (ISO 8601; a time without offset is read in TIME_ZONE) selects rows changed
at or after that moment, for incremental sync; it is offered where rows carry a change
time: resolutions and mandates (`updated_at`), status updates (`created_at`: they never
change).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from partners.models import Organisation, PartyStatus
from reporting.models import Meeting
from resolutions import vocabulary
from resolutions.models import (
    Actor,
    ActorKind,
    GbfTarget,
    LinkState,
    Mandate,
    MandateLink,
    MandateStatus,
    Paragraph,
    ParagraphPart,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    Sdg,
    StatusUpdate,
    Strength,
    UpdateSource,
)
from resolutions.selectors import overdue_q

VERB_CHOICES = [(verb, verb.replace("_", " ")) for verb in sorted(vocabulary.TRACKED_VERBS)]
UPDATED_SINCE_HELP = (
    "ISO 8601 date-time, e.g. 2026-03-01T00:00:00Z; rows changed at or after it (incremental sync)."
)


class _RawSelect(forms.Select):
    """Hands the submitted text to the field as it is, so that the field can refuse it."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, choices=(("", _("Any")), ("true", _("Yes")), ("false", _("No"))))


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); empty means no filter; anything else is an error, where
    Django's NullBooleanField would read it as "no filter" and ignore it silently."""

    widget = _RawSelect

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1", 1):
            return True
        if value in (False, "false", "False", "0", 0):
            return False
        # The value goes in as a parameter: a "%" in it must not be read as a placeholder.
        raise forms.ValidationError(
            _("“%(value)s” is not true or false."),
            code="invalid",
            params={"value": str(value)[:40]},
        )

    def validate(self, value) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class RelatedSlugFilter(django_filters.ModelMultipleChoiceFilter):
    """Chosen by slug (`to_field_name`), matched by the related row itself: `field_name`
    names the relation (`actor`, `mandate__actor`). django-filter's default would compare
    the slug with the relation's key."""

    def get_filter_predicate(self, v):
        return {self.field_name: v}


class LinkTargetFilter(django_filters.ModelMultipleChoiceFilter):
    """A link target chosen by its key (`to_field_name`): an organisation slug, a GBF
    target code or an SDG number, documented as a string."""


def actor_filter(field_name: str = "actor", **kwargs) -> RelatedSlugFilter:
    """`?actor=<slug>` (repeatable), validated against the actor vocabulary."""
    kwargs.setdefault("help_text", "Actor slug, e.g. parties or secretariat; repeat for several.")
    return RelatedSlugFilter(
        field_name=field_name, queryset=Actor.objects.all(), to_field_name="slug", **kwargs
    )


def updated_since_filter(field_name: str = "updated_at") -> django_filters.IsoDateTimeFilter:
    return django_filters.IsoDateTimeFilter(
        field_name=field_name, lookup_expr="gte", help_text=UPDATED_SINCE_HELP
    )


def with_mandates(queryset: QuerySet, link: str, **conditions) -> QuerySet:
    """Rows with at least one mandate matching `conditions`, without duplicating rows
    (EXISTS, not a join), so that keyset pagination stays exact."""
    return queryset.filter(Exists(Mandate.objects.filter(**{link: OuterRef("pk")}, **conditions)))


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ends every chosen ordering with the primary key, so that rows with equal sort keys
    keep one order and consecutive pages neither repeat nor skip a row."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "pk") if value else qs


class MandateFilter(django_filters.FilterSet):
    resolution = django_filters.ModelMultipleChoiceFilter(
        queryset=Resolution.objects.all(), help_text="Resolution id; repeat for several."
    )
    actor = actor_filter()
    verb = django_filters.MultipleChoiceFilter(
        choices=VERB_CHOICES, help_text="Verb lemma, e.g. request or encourage; repeat for several."
    )
    strength = django_filters.ChoiceFilter(choices=Strength.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=MandateStatus.choices, help_text="Current status; repeat for several."
    )
    due_meeting = django_filters.ModelChoiceFilter(
        queryset=Meeting.objects.all(), to_field_name="code", help_text="Meeting code, e.g. COP15."
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label=_("Overdue"),
        help_text="Due at a meeting that has started and not closed.",
    )
    subject_to_resources = StrictBooleanFilter(
        label=_("Subject to resources"),
        help_text="true or false: the text makes it subject to the availability of resources.",
    )
    q = django_filters.CharFilter(
        method="filter_text",
        label=_("Text"),
        max_length=200,
        help_text="Words in the paragraph, its status narratives, the addressee or the resolution; "
        '"quoted phrase", or, -word.',
    )
    updated_since = updated_since_filter()
    organisation = LinkTargetFilter(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        method="filter_linked",
        help_text="Linked to this convention or organisation (slug, e.g. ramsar, cites, cbd, "
        "blg); repeat for any of several.",
    )
    gbf_target = LinkTargetFilter(
        queryset=GbfTarget.objects.all(),
        to_field_name="code",
        method="filter_linked",
        help_text="Linked to this Kunming-Montreal GBF target (T1 to T23); repeat for several.",
    )
    sdg = LinkTargetFilter(
        queryset=Sdg.objects.all(),
        to_field_name="number",
        method="filter_linked",
        help_text="Linked to this Sustainable Development Goal (1 to 17); repeat for several.",
    )
    link_state = django_filters.ChoiceFilter(
        choices=[(LinkState.SUGGESTED, _("Suggested")), (LinkState.CONFIRMED, _("Confirmed"))],
        method="filter_link_state",
        help_text="With organisation, gbf_target or sdg: only links in this state (suggested "
        "or confirmed); alone: mandates with at least one link in this state.",
    )
    ordering = StableOrderingFilter(
        fields=(
            ("paragraph__order", "paragraph"),
            ("resolution__symbol", "resolution"),
            ("actor__order", "actor"),
            ("status", "status"),
            ("updated_at", "updated"),
            ("due_meeting__start_date", "due"),
        ),
        help_text="paragraph, resolution, actor, status, updated or due; prefix - to reverse.",
    )

    class Meta:
        model = Mandate
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet[Mandate], name: str, value: bool | None):
        if value is None:
            return queryset
        overdue = overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def _link_states(self) -> list[str]:
        state = self.form.cleaned_data.get("link_state")
        return [state] if state else [LinkState.SUGGESTED, LinkState.CONFIRMED]

    # `value: str` documents each repeated parameter as a string (slug, code or number).
    def filter_linked(self, queryset: QuerySet[Mandate], name: str, value: str):
        """Mandates with a shown link (suggested or confirmed, never a removed one) to any
        of the chosen targets; several parameters must all match. EXISTS keeps one row
        per mandate for keyset paging."""
        if not value:
            return queryset
        links = MandateLink.objects.filter(
            mandate=OuterRef("pk"), state__in=self._link_states(), **{f"{name}__in": value}
        )
        return queryset.filter(Exists(links))

    def filter_link_state(self, queryset: QuerySet[Mandate], name: str, value: str):
        data = self.form.cleaned_data
        if not value or any(data.get(f) for f in ("organisation", "gbf_target", "sdg")):
            return queryset
        return queryset.filter(
            Exists(MandateLink.objects.filter(mandate=OuterRef("pk"), state=value))
        )

    def filter_text(self, queryset: QuerySet[Mandate], name: str, value: str):
        return mandate_text_search(queryset, value)


#: Tables with a stored, GIN-indexed `search_vector` (PostgreSQL only, see
#: resolutions/migrations/0003_search_tsvector.py and 0008_mandate_narratives.py), with
#: the column that leads to the mandate: the paragraph's text, and the narratives of the
#: mandate's history (the Secretariat's and the Parties'), either as one document per
#: mandate, or, for a phrase search (which needs word positions, which the documents do
#: not keep), as the history rows themselves.
_PARAGRAPHS = ("paragraph_id", "resolutions_paragraph", "id")
_NARRATIVE_DOCUMENTS = (("pk", "resolutions_mandatenarratives", "mandate_id"),)
_NARRATIVE_ROWS = (
    ("pk", "resolutions_statusupdate", "mandate_id"),
    ("pk", "partners_partystatus", "mandate_id"),
)


def _fts_keys(table: str, key: str, value: str) -> RawSQL:
    """Keys of the rows of `table` whose text matches `value` as a web-style query
    ("quoted phrase", or, -word), English stemming. A plain subquery, so that PostgreSQL
    answers it from the GIN index once (a hashed subplan), whatever the outer joins."""
    return RawSQL(  # noqa: S611 - the value is a parameter; names are constants above  # nosec B611
        f"SELECT {key} FROM {table} "  # noqa: S608  # nosec B608
        "WHERE search_vector @@ websearch_to_tsquery('english'::regconfig, %s)",
        [value],
    )


def mandate_text_search(queryset: QuerySet[Mandate], value: str) -> QuerySet[Mandate]:
    """Mandates whose paragraph text, status-update narratives or Party narratives match
    `value`, or whose addressee, resolution title or symbol contain it.

    PostgreSQL: full-text search on the stored tsvectors (stemmed: "cooperate" finds
    "cooperation"). The embedded SQLite default has no tsvector: every word must appear
    (case-insensitive substring) in one of the same texts.
    """
    value = value.strip()
    if not value:
        return queryset
    if connection.vendor == "postgresql":
        # Each text is matched once (a hashed subplan per table: the resolution's title
        # and symbol once per resolution, not once per joined mandate row); a mandate row
        # then costs hash probes, in this order, and only the rows none of them matched
        # pay for the substring test on the addressee.
        narratives = _NARRATIVE_ROWS if '"' in value else _NARRATIVE_DOCUMENTS
        match = Q()
        for field, table, key in (_PARAGRAPHS, *narratives):
            match |= Q(**{f"{field}__in": _fts_keys(table, key, value)})
        resolutions = Resolution.objects.filter(
            Q(title__icontains=value) | Q(symbol__icontains=value)
        ).values("pk")
        match |= Q(resolution_id__in=resolutions) | Q(addressee_phrase__icontains=value)
        return queryset.filter(match)
    for word in value.split():
        queryset = queryset.filter(
            Q(paragraph__text__icontains=word)
            | Q(addressee_phrase__icontains=word)
            | Q(resolution__title__icontains=word)
            | Q(resolution__symbol__icontains=word)
            | Q(pk__in=StatusUpdate.objects.filter(narrative__icontains=word).values("mandate"))
            | Q(pk__in=PartyStatus.objects.filter(narrative__icontains=word).values("mandate"))
        )
    return queryset


def _text_filter(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    """Every word in at least one of `fields` (case-insensitive)."""
    for word in value.split():
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(match)
    return queryset


class ResolutionFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ResolutionKind.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=ResolutionStatus.choices, help_text="in_force, superseded or repealed."
    )
    convention = django_filters.CharFilter(
        lookup_expr="iexact", max_length=32, help_text="e.g. CMS."
    )
    adopted_at = django_filters.ModelChoiceFilter(
        queryset=Meeting.objects.all(), to_field_name="code", help_text="Meeting code, e.g. COP14."
    )
    actor = actor_filter(
        "mandates__actor",
        method="filter_actor",
        help_text="Resolutions addressing this actor; repeat for several.",
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Words in the symbol or title."
    )
    updated_since = updated_since_filter()
    ordering = django_filters.OrderingFilter(
        fields=(
            ("symbol", "symbol"),
            ("adopted_at__start_date", "adopted"),
            ("updated_at", "updated"),
        ),
        help_text="symbol, adopted or updated; prefix - to reverse.",
    )

    class Meta:
        model = Resolution
        fields: list[str] = []

    def filter_actor(self, queryset: QuerySet, name: str, value):
        return with_mandates(queryset, "resolution", actor__in=value) if value else queryset

    def filter_text(self, queryset: QuerySet, name: str, value: str):
        return _text_filter(queryset, ("symbol", "title"), value)


class ParagraphFilter(django_filters.FilterSet):
    resolution = django_filters.ModelMultipleChoiceFilter(
        queryset=Resolution.objects.all(), help_text="Resolution id; repeat for several."
    )
    part = django_filters.ChoiceFilter(choices=ParagraphPart.choices)
    number = django_filters.CharFilter(max_length=32, help_text='As printed, e.g. 10 or "a".')
    actor = actor_filter(
        "mandates__actor",
        method="filter_actor",
        help_text="Paragraphs addressing this actor; repeat for several.",
    )
    verb = django_filters.MultipleChoiceFilter(
        choices=VERB_CHOICES, method="filter_verb", help_text="Paragraphs using this verb."
    )
    strength = django_filters.ChoiceFilter(
        choices=Strength.choices,
        method="filter_strength",
        help_text="Paragraphs with mandates of this strength.",
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Words in the text or heading."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("order", "order"),), help_text="order; prefix - to reverse."
    )

    class Meta:
        model = Paragraph
        fields: list[str] = []

    def filter_actor(self, queryset: QuerySet, name: str, value):
        return with_mandates(queryset, "paragraph", actor__in=value) if value else queryset

    def filter_verb(self, queryset: QuerySet, name: str, value):
        return with_mandates(queryset, "paragraph", verb__in=value) if value else queryset

    def filter_strength(self, queryset: QuerySet, name: str, value: str):
        return with_mandates(queryset, "paragraph", strength=value) if value else queryset

    def filter_text(self, queryset: QuerySet, name: str, value: str):
        return _text_filter(queryset, ("text", "heading"), value)


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ActorKind.choices)
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Words in the name, slug or aliases."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("order", "order"), ("name", "name"), ("slug", "slug")),
        help_text="order, name or slug; prefix - to reverse.",
    )

    class Meta:
        model = Actor
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str):
        return _text_filter(queryset, ("name", "slug", "aliases"), value)


class StatusUpdateFilter(django_filters.FilterSet):
    mandate = django_filters.ModelMultipleChoiceFilter(
        queryset=Mandate.objects.all(), help_text="Mandate id; repeat for several."
    )
    resolution = django_filters.ModelMultipleChoiceFilter(
        field_name="mandate__resolution",
        queryset=Resolution.objects.all(),
        help_text="Resolution id; repeat for several.",
    )
    actor = actor_filter("mandate__actor")
    status = django_filters.MultipleChoiceFilter(
        choices=MandateStatus.choices, help_text="Status set by the update; repeat for several."
    )
    source = django_filters.MultipleChoiceFilter(choices=UpdateSource.choices)
    updated_since = updated_since_filter("created_at")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("as_of", "as_of")),
        help_text="created or as_of; prefix - to reverse.",
    )

    class Meta:
        model = StatusUpdate
        fields: list[str] = []
