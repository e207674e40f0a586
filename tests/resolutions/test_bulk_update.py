"""mandate_status_bulk_update: one status and one narrative for several mandates, each
with its own history entry, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from resolutions.models import Mandate, StatusUpdate, UpdateSource
from resolutions.services import (
    StaleVersions,
    mandate_status_bulk_update,
    mandate_status_update,
)
from tests.factories import MandateFactory, ParagraphFactory, ResolutionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mandates(seed):
    return list(
        Mandate.objects.filter(resolution=seed, actor__slug="secretariat").order_by("pk")[:3]
    )


def _versions(mandates):
    return {m.pk: m.version for m in mandates}


def test_each_mandate_gets_its_own_history_entry(mandates, secretariat_user):
    mandate_status_update(
        mandate=mandates[0], user=secretariat_user, status="in_progress", expected_version=0
    )
    mandates[0].refresh_from_db()
    updates = mandate_status_bulk_update(
        user=secretariat_user,
        versions=_versions(mandates),
        status="ongoing",
        narrative="Standing work programme agreed with the BLG.",
    )
    assert len(updates) == 3
    for mandate in mandates:
        mandate.refresh_from_db()
        latest = mandate.updates.order_by("-version").first()
        assert mandate.status == "ongoing"
        assert mandate.version == latest.version
        assert latest.narrative == "Standing work programme agreed with the BLG."
        assert latest.source == UpdateSource.BULK
        assert latest.author == secretariat_user
        assert mandate.status_changed_at == latest.created_at
    first = mandates[0].updates.order_by("-version").first()
    assert (first.version, first.previous_status) == (2, "in_progress")


def test_progress_is_kept_per_mandate(mandates, secretariat_user):
    mandate_status_update(
        mandate=mandates[0],
        user=secretariat_user,
        status="in_progress",
        progress=60,
        expected_version=0,
    )
    mandates[0].refresh_from_db()
    mandate_status_bulk_update(
        user=secretariat_user, versions=_versions(mandates), status="delayed"
    )
    progress = dict(
        Mandate.objects.filter(pk__in=_versions(mandates)).values_list("pk", "progress")
    )
    assert progress == {mandates[0].pk: 60, mandates[1].pk: None, mandates[2].pk: None}


def test_a_stale_mandate_stops_the_whole_update_and_is_named(mandates, secretariat_user):
    seen = _versions(mandates)
    # Someone updates the second mandate after the list was loaded.
    mandate_status_update(
        mandate=mandates[1],
        user=secretariat_user,
        status="completed",
        narrative="Done at StC54.",
        expected_version=0,
    )
    before = StatusUpdate.objects.count()
    with pytest.raises(StaleVersions) as exc:
        mandate_status_bulk_update(
            user=secretariat_user, versions=seen, status="delayed", narrative="Postponed"
        )
    stale = exc.value.stale
    assert [s.mandate.pk for s in stale] == [mandates[1].pk]
    assert stale[0].latest.narrative == "Done at StC54."
    assert stale[0].latest.author == secretariat_user
    assert StatusUpdate.objects.count() == before
    assert set(Mandate.objects.filter(pk__in=seen).values_list("status", flat=True)) == {
        "not_started",
        "completed",
    }


def test_mandates_already_at_the_status_without_narrative_are_left_alone(
    mandates, secretariat_user
):
    mandate_status_update(
        mandate=mandates[0], user=secretariat_user, status="ongoing", expected_version=0
    )
    mandates[0].refresh_from_db()
    updates = mandate_status_bulk_update(
        user=secretariat_user, versions=_versions(mandates), status="ongoing"
    )
    assert sorted(u.mandate_id for u in updates) == [mandates[1].pk, mandates[2].pk]
    assert mandates[0].updates.count() == 1
    for mandate in mandates:
        mandate.refresh_from_db()
    # All of them at the status now: nothing to write at all.
    before = StatusUpdate.objects.count()
    assert (
        mandate_status_bulk_update(
            user=secretariat_user, versions=_versions(mandates), status="ongoing"
        )
        == []
    )
    assert StatusUpdate.objects.count() == before


@pytest.mark.parametrize("who", ["anonymous", "reader_user", "focal_point_user"])
def test_only_the_secretariat_may_bulk_update(mandates, who, request):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        mandate_status_bulk_update(user=user, versions=_versions(mandates), status="completed")
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"status": "completed", "narrative": "x" * 20_001}, "narrative"),
        (
            {"status": "completed", "as_of": timezone.localdate() + dt.timedelta(days=5)},
            "as_of",
        ),
        ({"status": "completed", "versions": {}}, "mandates"),
        ({"status": "completed", "versions": {999_999: 0}}, "mandates"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(mandates, secretariat_user, kwargs, field):
    kwargs.setdefault("versions", _versions(mandates))
    with pytest.raises(ValidationError) as exc:
        mandate_status_bulk_update(user=secretariat_user, **kwargs)
    assert field in exc.value.message_dict
    assert StatusUpdate.objects.count() == 0


def test_runs_a_fixed_number_of_queries(db, secretariat_user, django_assert_num_queries):
    resolution = ResolutionFactory()
    few = [MandateFactory(paragraph=ParagraphFactory(resolution=resolution))]
    many = [MandateFactory(paragraph=ParagraphFactory(resolution=resolution)) for _ in range(25)]
    secretariat_user = type(secretariat_user).objects.get(pk=secretariat_user.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert (
            len(
                mandate_status_bulk_update(
                    user=secretariat_user, versions=_versions(few), status="completed"
                )
            )
            == 1
        )
    secretariat_user = type(secretariat_user).objects.get(pk=secretariat_user.pk)
    with django_assert_num_queries(len(small.captured_queries)):
        assert (
            len(
                mandate_status_bulk_update(
                    user=secretariat_user, versions=_versions(many), status="completed"
                )
            )
            == 25
        )
    assert StatusUpdate.objects.filter(source=UpdateSource.BULK).count() == 26
