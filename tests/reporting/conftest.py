"""Fixtures of the reporting tests: a history to report on, file storage in a temporary
directory, and a real Celery worker on Redis."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pgtrigger
import pytest
from django.test import Client
from django.utils import timezone

from partners.models import PartyImplementation, Region
from reporting.models import Meeting, ProgressReport
from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.factories import PartyFactory, PartyStatusFactory

EVIDENCE = "https://www.cms.int/en/document/blg-joint-activities"


def client_for(user) -> Client:
    """A test client signed in as `user` (anonymous when None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def record(mandate: Mandate, user, status: str, **kwargs):
    """A Secretariat status update through the service, on the mandate's current version."""
    mandate.refresh_from_db()
    return mandate_status_update(
        mandate=mandate, user=user, status=status, expected_version=mandate.version, **kwargs
    )


def mandate_at(resolution, number: str, actor: str) -> Mandate:
    return Mandate.objects.get(resolution=resolution, paragraph__number=number, actor__slug=actor)


@dataclass
class History:
    """What `history` recorded, for assertions."""

    resolution: object
    meeting: Meeting
    in_progress: Mandate  # ¶2 Secretariat: in progress 40 %, narrative and evidence in the period
    completed: Mandate  # ¶3 Secretariat: completed in the period
    before_period: Mandate  # ¶7 Secretariat: in progress, recorded before the period
    overdue: Mandate  # ¶11 Secretariat: due at COP14, not started
    party_mandate: Mandate  # ¶29 Parties


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def history(seed, secretariat_user) -> History:
    """The seed resolution with a history: updates in the period (narrative, evidence,
    progress, a completion), one before it, an overdue mandate and four Parties, two of
    which reported on paragraph 29."""
    user = secretariat_user
    in_progress = mandate_at(seed, "2", "secretariat")
    record(
        in_progress,
        user,
        "in_progress",
        progress=40,
        narrative="Informed the BLG members.",
        evidence_links=[EVIDENCE],
    )
    completed = mandate_at(seed, "3", "secretariat")
    record(completed, user, "in_progress", narrative="Drafted the cooperation plan.")
    record(completed, user, "completed", narrative="Cooperation plan adopted by partners.")

    before_period = mandate_at(seed, "7", "secretariat")
    old = record(before_period, user, "in_progress", narrative="Letters sent before COP14.")
    # Backdating history is what the append-only trigger refuses: set up explicitly.
    with pgtrigger.ignore("resolutions.StatusUpdate:statusupdate_append_only"):
        type(old).objects.filter(pk=old.pk).update(
            created_at=timezone.make_aware(dt.datetime(2023, 6, 1, 12, 0))
        )

    cop14 = Meeting.objects.get(code="COP14")
    overdue = mandate_at(seed, "11", "secretariat")
    Mandate.objects.filter(pk=overdue.pk).update(due_meeting=cop14)

    party_mandate = mandate_at(seed, "29", "parties")
    uz = PartyFactory(iso2="UZ", iso3="UZB", name="Uzbekistan", region=Region.ASIA)
    br = PartyFactory(
        iso2="BR", iso3="BRA", name="Brazil", region=Region.SOUTH_CENTRAL_AMERICA_CARIBBEAN
    )
    de = PartyFactory(iso2="DE", iso3="DEU", name="Germany", region=Region.EUROPE)
    PartyFactory(iso2="KE", iso3="KEN", name="Kenya", region=Region.AFRICA)
    PartyStatusFactory(party=uz, mandate=party_mandate, status=PartyImplementation.IN_PROGRESS)
    PartyStatusFactory(
        party=uz,
        mandate=party_mandate,
        status=PartyImplementation.IMPLEMENTED,
        previous_status=PartyImplementation.IN_PROGRESS,
        narrative="National action plan adopted.",
    )
    PartyStatusFactory(party=br, mandate=party_mandate, status=PartyImplementation.NOT_STARTED)
    PartyStatusFactory(party=de, mandate=party_mandate, status=PartyImplementation.NOT_REPORTED)
    return History(
        resolution=seed,
        meeting=Meeting.objects.get(code="COP15"),
        in_progress=in_progress,
        completed=completed,
        before_period=before_period,
        overdue=overdue,
        party_mandate=party_mandate,
    )


def wait_for(report_id: int, states=("done", "failed"), timeout: float = 90) -> ProgressReport:
    """Wait for a report compiled by a worker to reach one of `states`."""
    deadline = time.monotonic() + timeout
    while True:
        report = ProgressReport.objects.select_related("meeting").get(pk=report_id)
        if report.state in states or time.monotonic() > deadline:
            return report
        time.sleep(0.1)


@pytest.fixture
def celery_worker(transactional_db, media):
    """A real Celery worker (solo pool, in a thread of the test process) consuming the
    test Redis. Messages left by earlier tests are purged first."""
    from celery.contrib.testing.worker import start_worker

    import reporting.tasks  # noqa: F401 - registers the tasks before the worker starts
    from cms_mandates.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60) as worker:
        yield worker
