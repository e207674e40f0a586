"""The report reads: as of a cut-off, streamed, in a fixed number of queries."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms_mandates.celery import app
from partners.models import Party, PartyImplementation
from reporting import selectors, services
from reporting.content import ReportContent
from reporting.renderers import render_html, write_csv, write_json
from resolutions.seed import seed_reading
from resolutions.services import resolution_create_from_reading
from tests.factories import PartyStatusFactory

pytestmark = pytest.mark.django_db


def test_party_participation_by_region_as_of_the_cut_off(history):
    cut_off = timezone.now()
    kenya_mandate = history.party_mandate
    PartyStatusFactory(
        party=Party.objects.get(iso2="KE"),
        mandate=kenya_mandate,
        status=PartyImplementation.IN_PROGRESS,
    )
    rows = list(
        selectors.party_participation_by_region(
            cut_off=cut_off, resolution_ids=[history.resolution.pk]
        )
    )
    assert [(r["region"], r["parties"], r["reported"]) for r in rows] == [
        ("africa", 1, 0),  # Kenya reported after the cut-off
        ("asia", 1, 1),
        ("europe", 1, 0),  # Germany's last status is "not reported"
        ("south_central_america_caribbean", 1, 1),
    ]
    assert {r["resolution_id"] for r in rows} == {history.resolution.pk}
    now = {r["region"]: r["reported"] for r in selectors.party_participation_by_region()}
    assert now["africa"] == 1
    counts = {
        (r["mandate_id"], r["status"]): r["n"]
        for r in selectors.party_mandate_status_counts(cut_off=cut_off)
    }
    assert counts == {
        (kenya_mandate.pk, "implemented"): 1,
        (kenya_mandate.pk, "not_reported"): 1,
        (kenya_mandate.pk, "not_started"): 1,
    }


def test_report_reads_run_a_fixed_number_of_queries_whatever_the_size(history, media):
    """Rows are streamed: more resolutions, paragraphs and updates mean more rows from the
    same queries, never more queries (nor more than one resolution held at a time)."""
    report, _ = services.report_request(meeting=history.meeting, user=None, queue=False)

    def render_all() -> int:
        report.cut_off = timezone.now()
        with CaptureQueriesContext(connection) as captured:
            render_html(ReportContent(report))
            write_csv(ReportContent(report, every_update=True), io.BytesIO())
            write_json(ReportContent(report, every_update=True), io.BytesIO())
        return len(captured)

    small = render_all()
    reading = seed_reading("synergies-and-partnerships")
    for n in range(3):
        resolution_create_from_reading(reading=reading, symbol=f"99.{n}", title=f"Copy {n}")
    assert render_all() == small


def test_rows_come_as_plain_values_for_streaming(history):
    cut_off = timezone.now()
    for queryset in (
        selectors.report_paragraph_rows(cut_off=cut_off),
        selectors.report_mandate_rows(cut_off=cut_off),
        selectors.status_updates_in_period(period_start=None, cut_off=cut_off),
        selectors.overdue_mandates(cut_off=cut_off),
        selectors.party_statuses_in_period(period_start=None, cut_off=cut_off),
    ):
        first = next(queryset.iterator(chunk_size=10))
        assert isinstance(first, dict)


def test_beat_schedule_names_registered_tasks():
    import notifications.tasks  # noqa: F401
    import reporting.tasks  # noqa: F401

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reporting.sweep_reports", "reporting.compile_due_reports"} <= scheduled
    assert scheduled <= set(app.tasks)
    task = app.tasks["reporting.compile_report"]
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert task.soft_time_limit < task.time_limit
