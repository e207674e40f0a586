"""The audit page's filters: object type and id, user, date range. Unknown values are
form errors (the page answers 400 and says which)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import EVENT_MODELS

#: How each kind of tracked object is named in the filter.
OBJECT_TYPE_LABELS = {
    "resolution": pgettext_lazy("audit object type", "resolution"),
    "paragraph": pgettext_lazy("audit object type", "paragraph"),
    "actor": pgettext_lazy("audit object type", "actor"),
    "mandate": pgettext_lazy("audit object type", "mandate"),
    "mandatelink": pgettext_lazy("audit object type", "mandatelink"),
    "resolutiontranslation": pgettext_lazy("audit object type", "resolutiontranslation"),
    "paragraphtranslation": pgettext_lazy("audit object type", "paragraphtranslation"),
    "statusupdate": pgettext_lazy("audit object type", "status update"),
    "evidencefile": pgettext_lazy("audit object type", "evidencefile"),
    "party": pgettext_lazy("audit object type", "party"),
    "partystatus": pgettext_lazy("audit object type", "partystatus"),
    "partyevidencefile": pgettext_lazy("audit object type", "Party evidence file"),
    "focalpoint": pgettext_lazy("audit object type", "focalpoint"),
    "organisation": pgettext_lazy("audit object type", "organisation"),
    "partnership": pgettext_lazy("audit object type", "partnership"),
    "meeting": pgettext_lazy("audit object type", "meeting"),
    "progressreport": pgettext_lazy("audit object type", "progressreport"),
    "user": pgettext_lazy("audit object type", "user"),
}


class AuditFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        label=_("Object type"),
        choices=[
            (name, OBJECT_TYPE_LABELS.get(name, name.replace("statusupdate", "status update")))
            for name in EVENT_MODELS
        ],
        method="filter_object_type",
    )
    object_id = django_filters.CharFilter(label=_("Object id"), method="filter_object_id")
    user = django_filters.ModelChoiceFilter(
        label=_("User"),
        queryset=get_user_model().objects.order_by("username"),
        method="filter_user",
        to_field_name="username",
    )
    since = django_filters.DateFilter(
        label=pgettext_lazy("start of a date range", "From"),
        field_name="pgh_created_at",
        lookup_expr="date__gte",
    )
    until = django_filters.DateFilter(
        label=_("Until"), field_name="pgh_created_at", lookup_expr="date__lte"
    )

    def filter_object_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Only that event table is read, rather than filtering the union of all of them.
        return queryset.across(EVENT_MODELS[value]) if value else queryset

    def filter_object_id(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pgh_obj_id=value.strip()) if value else queryset

    def filter_user(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(pgh_context__user=value.pk) if value else queryset

    class Meta:
        fields: list[str] = []
        form = forms.Form
