"""FilterSets of the Parties list and of the Secretariat's matrix, shared by the pages and
the API. Unknown values are form errors (a 400 in the API), never silently ignored."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from partners.models import Party, PartyImplementation, Region
from resolutions.models import Mandate, Resolution


class PartyFilter(django_filters.FilterSet):
    region = django_filters.MultipleChoiceFilter(
        choices=Region.choices, help_text="CMS region, e.g. asia or africa; repeat for several."
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=100, help_text="Words in the name or the ISO code."
    )

    class Meta:
        model = Party
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Party], name: str, value: str) -> QuerySet[Party]:
        for word in value.split():
            queryset = queryset.filter(
                Q(name__icontains=word) | Q(iso2__iexact=word) | Q(iso3__iexact=word)
            )
        return queryset


class MatrixFilter(PartyFilter):
    """The matrix: Parties by region (rows), mandates by resolution (columns; see
    `mandates`)."""

    resolution = django_filters.ModelMultipleChoiceFilter(
        queryset=Resolution.objects.all(),
        method="filter_resolution",
        help_text="Resolution id; repeat for several. Selects the mandates (columns).",
    )

    def filter_resolution(self, queryset: QuerySet[Party], name: str, value) -> QuerySet[Party]:
        # Columns, not rows: read by `resolutions` below.
        return queryset

    def resolutions(self) -> list[Resolution]:
        return list(self.form.cleaned_data.get("resolution") or [])


class ObligationFilter(django_filters.FilterSet):
    """The mandates addressed to one Party (GET /parties/{ISO2}/obligations/)."""

    resolution = django_filters.ModelMultipleChoiceFilter(
        queryset=Resolution.objects.all(), help_text="Resolution id; repeat for several."
    )
    party_status = django_filters.MultipleChoiceFilter(
        choices=PartyImplementation.choices,
        help_text="The Party's latest status, e.g. not_reported; repeat for several.",
    )

    class Meta:
        model = Mandate
        fields: list[str] = []
