"""The FilterSets of the meeting calendar and of the reports list, shared by the pages and
the API. Unknown values are form errors (a 400 in the API), never silently ignored."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from reporting.models import Body, Meeting, ProgressReport, ReportState


class MeetingFilter(django_filters.FilterSet):
    body = django_filters.MultipleChoiceFilter(
        choices=Body.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="cop, stc or scc; repeat for several.",
    )
    upcoming = django_filters.BooleanFilter(
        method="filter_upcoming",
        help_text="true: meetings not over yet (or undated); false: past meetings.",
    )

    class Meta:
        model = Meeting
        fields: list[str] = []

    def filter_upcoming(self, queryset: QuerySet[Meeting], name: str, value: bool | None):
        if value is None:
            return queryset
        today = timezone.localdate()
        over = Q(end_date__lt=today) | Q(end_date__isnull=True, start_date__lt=today)
        return queryset.exclude(over) if value else queryset.filter(over)


class ReportFilter(django_filters.FilterSet):
    meeting = django_filters.ModelChoiceFilter(
        queryset=Meeting.objects.all(), to_field_name="code", help_text="Meeting code: COP15."
    )
    state = django_filters.MultipleChoiceFilter(
        choices=ReportState.choices, help_text="pending, running, done or failed."
    )

    class Meta:
        model = ProgressReport
        fields: list[str] = []
