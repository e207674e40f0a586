"""mandate_status_update: permissions, validation, no-op, history, lost-update refusal."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from resolutions.models import Mandate, StatusUpdate
from resolutions.services import StaleVersion, mandate_status_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def mandate(seed):
    return Mandate.objects.get(resolution=seed, paragraph__number="27", actor__slug="secretariat")


def test_update_moves_status_and_writes_history(mandate, secretariat_user):
    update = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        progress=40,
        narrative="Reported to StC on joint BLG activities.",
        evidence_links=["https://www.cms.int/en/document/example"],
        expected_version=0,
    )
    assert (update.version, update.previous_status, update.status) == (
        1,
        "not_started",
        "in_progress",
    )
    assert update.author == secretariat_user
    mandate.refresh_from_db()
    assert (mandate.status, mandate.progress, mandate.version) == ("in_progress", 40, 1)
    assert mandate.status_changed_at is not None

    second = mandate_status_update(
        mandate=mandate, user=secretariat_user, status="ongoing", expected_version=1
    )
    assert (second.version, second.previous_status) == (2, "in_progress")
    assert list(mandate.updates.values_list("version", flat=True)) == [2, 1]


@pytest.mark.parametrize("who", ["anonymous", "reader_user", "focal_point_user"])
def test_only_the_secretariat_may_update(mandate, who, request):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        mandate_status_update(mandate=mandate, user=user, status="completed", expected_version=0)
    assert StatusUpdate.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"status": "completed", "progress": 101}, "progress"),
        ({"status": "completed", "progress": -1}, "progress"),
        ({"status": "completed", "evidence_links": ["javascript:alert(1)"]}, "evidence_links"),
        ({"status": "completed", "evidence_links": ["not a url"]}, "evidence_links"),
        ({"status": "completed", "narrative": "x" * 20_001}, "narrative"),
        (
            {"status": "completed", "as_of": timezone.localdate() + dt.timedelta(days=10)},
            "as_of",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(mandate, secretariat_user, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        mandate_status_update(mandate=mandate, user=secretariat_user, expected_version=0, **kwargs)
    assert field in exc.value.message_dict
    mandate.refresh_from_db()
    assert (mandate.version, mandate.status) == (0, "not_started")
    assert StatusUpdate.objects.count() == 0


def test_evidence_files_are_checked_by_content(mandate, secretariat_user):
    fake_pdf = SimpleUploadedFile(
        "report.pdf", b"<html><script>x</script></html>", "application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        mandate_status_update(
            mandate=mandate,
            user=secretariat_user,
            status="completed",
            evidence_files=[fake_pdf],
            expected_version=0,
        )
    assert "not a valid .pdf" in str(exc.value.message_dict["evidence_files"])

    real_pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n%...\n", "application/pdf")
    update = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="completed",
        evidence_files=[real_pdf],
        expected_version=0,
    )
    stored = update.files.get()
    assert (stored.original_name, stored.content_type, stored.size) == (
        "report.pdf",
        "application/pdf",
        14,
    )


def test_a_stale_version_is_refused_and_names_the_newer_update(mandate, secretariat_user):
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        narrative="First",
        expected_version=0,
    )
    stale = Mandate.objects.get(pk=mandate.pk)
    stale.version = 0  # a form opened before the first update landed
    with pytest.raises(StaleVersion) as exc:
        mandate_status_update(
            mandate=stale, user=secretariat_user, status="completed", expected_version=0
        )
    assert exc.value.latest.narrative == "First"
    mandate.refresh_from_db()
    assert (mandate.status, mandate.version) == ("in_progress", 1)


def test_an_update_that_changes_nothing_writes_nothing(mandate, secretariat_user):
    assert (
        mandate_status_update(
            mandate=mandate, user=secretariat_user, status="not_started", expected_version=0
        )
        is None
    )
    assert StatusUpdate.objects.count() == 0
    mandate.refresh_from_db()
    assert mandate.version == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_version_exactly_one_wins(seed, secretariat_user):
    """Real parallel transactions on PostgreSQL, each on its own connection."""
    mandate = Mandate.objects.get(resolution=seed, paragraph__number="2")
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def write(i: int) -> None:
        try:
            barrier.wait()
            mandate_status_update(
                mandate=Mandate.objects.get(pk=mandate.pk),
                user=secretariat_user,
                status="in_progress",
                narrative=f"writer {i}",
                expected_version=0,
            )
            outcomes.append("won")
        except StaleVersion:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale"] * (writers - 1) + ["won"]
    assert StatusUpdate.objects.filter(mandate=mandate).count() == 1
    assert Mandate.objects.get(pk=mandate.pk).version == 1
