"""MandateFilter, the one FilterSet of the mandate list (pages and API)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from resolutions.filters import MandateFilter
from resolutions.models import Mandate

pytestmark = pytest.mark.django_db


def run(query: str) -> MandateFilter:
    return MandateFilter(QueryDict(query), queryset=Mandate.objects.all())


def test_actor_filters_by_slug(seed):
    found = run("actor=parties&actor=blg")
    assert found.is_valid()
    assert set(found.qs.values_list("actor__slug", flat=True)) == {"parties", "blg"}
    assert found.qs.count() == 13


@pytest.mark.parametrize("name", ["overdue", "subject_to_resources"])
def test_booleans_accept_true_and_false_and_refuse_anything_else(seed, name):
    assert run(f"{name}=true").is_valid() and run(f"{name}=0").is_valid()
    wrong = run(f"{name}=maybe")
    assert not wrong.is_valid()
    assert wrong.errors[name] == ["“maybe” is not true or false."]


def test_every_ordering_ends_with_the_primary_key(seed):
    ordered = run("ordering=-status")
    assert ordered.qs.query.order_by == ("-status", "pk")
    assert list(ordered.qs) == sorted(Mandate.objects.all(), key=lambda m: (m.status, -m.pk))[::-1]
