"""Reporting services: meetings, requesting, compiling (idempotent, claimed once), the
sweep and the deadline schedule. Compiled here in the foreground; tests/reporting/
test_worker.py does it through real Celery workers."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone, translation

from reporting import selectors, services
from reporting.models import Meeting, ProgressReport, ReportEntry, ReportSource
from resolutions.models import Mandate
from tests.factories import MeetingFactory
from tests.reporting.conftest import record

pytestmark = pytest.mark.django_db


# --- Meetings ----------------------------------------------------------------------------


def test_secretariat_creates_and_updates_a_meeting(secretariat_user):
    meeting = services.meeting_create(
        user=secretariat_user,
        body="stc",
        number=56,
        code="StC56",
        start_date=dt.date(2026, 3, 21),
        end_date=dt.date(2026, 3, 21),
        venue="Campo Grande",
        country="Brazil",
        document_deadline=dt.date(2026, 2, 1),
        report_document_number="",
        report_agenda_item="",
    )
    assert meeting.report_document_symbol == "UNEP/CMS/StC56/Doc.X"
    services.meeting_update(
        meeting=meeting,
        user=secretariat_user,
        report_document_number="12.1",
        report_agenda_item="12",
    )
    meeting.refresh_from_db()
    assert meeting.report_document_symbol == "UNEP/CMS/StC56/Doc.12.1"
    before = meeting.updated_at
    services.meeting_update(meeting=meeting, user=secretariat_user, venue="Campo Grande")
    meeting.refresh_from_db()
    assert meeting.updated_at == before, "a change that changes nothing writes nothing"


def test_meeting_codes_are_unique_whatever_the_case(seed, secretariat_user):
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(user=secretariat_user, body="cop", number=99, code="cop15")
    assert "code" in exc.value.message_dict or "__all__" in exc.value.message_dict
    assert not Meeting.objects.filter(number=99).exists()


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_only_the_secretariat_manages_meetings(seed, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.meeting_create(user=user, body="cop", number=99, code="COP99")
    cop15 = Meeting.objects.get(code="COP15")
    with pytest.raises(PermissionDenied):
        services.meeting_update(meeting=cop15, user=user, venue="Elsewhere")
    cop15.refresh_from_db()
    assert cop15.venue == "Campo Grande"


# --- Periods --------------------------------------------------------------------------------


def test_a_report_covers_the_period_since_the_previous_meeting_of_the_same_body(seed):
    cop15 = Meeting.objects.get(code="COP15")
    assert selectors.meeting_previous(meeting=cop15).code == "COP14"
    start = selectors.meeting_period_start(meeting=cop15)
    assert timezone.localtime(start) == timezone.make_aware(dt.datetime(2024, 2, 18))
    # StC53 is the first Standing Committee on record: since the COP before it (COP13).
    stc53 = Meeting.objects.get(code="StC53")
    assert timezone.localdate(selectors.meeting_period_start(meeting=stc53)) == dt.date(2020, 2, 23)
    # COP13, the first COP on record: since the beginning.
    assert selectors.meeting_period_start(meeting=Meeting.objects.get(code="COP13")) is None


# --- Requesting --------------------------------------------------------------------------


def test_requests_make_versions_and_a_second_click_returns_the_one_in_flight(
    seed, secretariat_user, django_capture_on_commit_callbacks
):
    cop15 = Meeting.objects.get(code="COP15")
    services.meeting_update(
        meeting=cop15,
        user=secretariat_user,
        report_document_number="18",
        report_agenda_item="18.1",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = services.report_request(meeting=cop15, user=secretariat_user)
    assert created and len(callbacks) == 1, "the task is queued once, on commit"
    assert (first.version, first.state, first.document_symbol, first.agenda_item) == (
        1,
        "pending",
        "UNEP/CMS/COP15/Doc.18",
        "18.1",
    )
    assert first.requested_by == secretariat_user and first.task_id and first.queued_at
    again, created = services.report_request(meeting=cop15, user=secretariat_user)
    assert (again.pk, created) == (first.pk, False)

    ProgressReport.objects.filter(pk=first.pk).update(state="done")
    second, created = services.report_request(meeting=cop15, user=None, source=ReportSource.COMMAND)
    assert created and second.version == 2 and second.requested_by is None
    # Renumbering the meeting later does not change issued symbols.
    services.meeting_update(meeting=cop15, user=secretariat_user, report_document_number="19")
    first.refresh_from_db()
    assert first.document_symbol == "UNEP/CMS/COP15/Doc.18"


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_only_the_secretariat_requests_reports(seed, who, request):
    with pytest.raises(PermissionDenied):
        services.report_request(
            meeting=Meeting.objects.get(code="COP15"), user=request.getfixturevalue(who)
        )
    assert not ProgressReport.objects.exists()


# --- Compiling --------------------------------------------------------------------------------


@pytest.fixture
def pending(seed, media):
    """A queued report (no worker runs here: the test's transaction never commits)."""
    report, _ = services.report_request(meeting=Meeting.objects.get(code="COP15"), user=None)
    return report


def test_compiling_is_idempotent(pending):
    outcome = services.report_compile(report_id=pending.pk)
    assert outcome.outcome == "done"
    report = outcome.report
    assert (report.progress, report.attempts, sorted(report.files)) == (
        100,
        1,
        ["csv", "docx", "html", "json", "pdf"],
    )
    entries = ReportEntry.objects.filter(report=report).count()
    assert entries == Mandate.objects.count()
    # A second delivery of the message changes nothing.
    again = services.report_compile(report_id=pending.pk)
    assert again.outcome == "done"
    again.report.refresh_from_db()
    assert (again.report.attempts, again.report.checksums, again.report.finished_at) == (
        1,
        report.checksums,
        report.finished_at,
    )
    assert ReportEntry.objects.filter(report=report).count() == entries
    assert services.report_compile(report_id=10**9).outcome == "missing"


def _other_session():
    """A second database session, as another worker process would have."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"],
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    )


def test_a_report_a_live_worker_holds_is_not_compiled_twice(pending):
    key = services.LOCK_NAMESPACE + pending.pk
    with _other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        assert services.report_compile(report_id=pending.pk).outcome == "busy"
        pending.refresh_from_db()
        assert (pending.state, pending.attempts) == ("pending", 0)
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
        assert services.report_compile(report_id=pending.pk).outcome == "done"


def test_an_error_marks_the_report_failed_with_a_message(pending, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # storage cannot create directories under a file
    outcome = services.report_compile(report_id=pending.pk)
    assert outcome.outcome == "failed"
    assert outcome.report.error.startswith("Compiling failed:")
    assert outcome.report.finished_at is not None
    # Failed is final: another delivery does not retry it.
    assert services.report_compile(report_id=pending.pk).outcome == "failed"


def test_a_report_over_its_time_budget_is_stopped_and_marked_failed(pending):
    # A budget of a microsecond runs out before the first section is done.
    outcome = services.report_compile(report_id=pending.pk, time_budget=1e-6)
    assert outcome.outcome == "failed"
    assert outcome.report.error == "Compiling took longer than its time limit and was stopped."
    assert outcome.report.files == {}
    assert not ReportEntry.objects.filter(report=outcome.report).exists()


def test_a_time_limit_a_library_turned_into_its_own_error_still_reads_as_the_limit(
    pending, monkeypatch
):
    """Celery's soft time limit raises wherever the compile is; inspect.getfullargspec,
    for one, catches it and raises "TypeError: unsupported callable" from it."""
    from celery.exceptions import SoftTimeLimitExceeded

    from reporting import renderers

    def struck(report, on_progress):
        try:
            raise SoftTimeLimitExceeded
        except SoftTimeLimitExceeded as limit:
            raise TypeError("unsupported callable") from limit
        yield  # a generator, as report_files is

    monkeypatch.setattr(renderers, "report_files", struck)
    outcome = services.report_compile(report_id=pending.pk)
    assert outcome.outcome == "failed"
    assert outcome.report.error == "Compiling took longer than its time limit and was stopped."


def test_a_generous_time_budget_changes_nothing(pending):
    assert services.report_compile(report_id=pending.pk, time_budget=3600).outcome == "done"


def test_a_report_asked_for_in_french_is_written_in_english(pending):
    # In-process (the embedded default) the request's language is still active.
    with translation.override("fr"):
        outcome = services.report_compile(report_id=pending.pk)
        assert translation.get_language() == "fr"
    with default_storage.open(outcome.report.files["html"], "rb") as f:
        html = f.read().decode()
    assert "15th Meeting of the Conference of the Parties" in html
    assert "Conférence" not in html and "réunion" not in html


# --- Sweep and schedule ---------------------------------------------------------------------


def test_sweep_requeues_lost_and_abandoned_reports_and_leaves_live_ones(
    pending, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_STALE_AFTER = 60
    now = timezone.now()
    # Just queued: left alone.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.reports_sweep(now=now).requeued == []
    assert callbacks == []
    # Pending for longer than REPORT_STALE_AFTER: its message was lost.
    first_task = pending.task_id
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.reports_sweep(now=now + dt.timedelta(seconds=61)).requeued == [pending.pk]
    assert len(callbacks) == 1
    pending.refresh_from_db()
    assert pending.task_id != first_task and pending.state == "pending"

    # Running, and a live worker holds it: left alone.
    ProgressReport.objects.filter(pk=pending.pk).update(state="running", started_at=now, attempts=1)
    key = services.LOCK_NAMESPACE + pending.pk
    with _other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        assert services.reports_sweep().requeued == []
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
    # Running, and nobody holds it: its worker died. Back to pending, queued again.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.reports_sweep().requeued == [pending.pk]
    pending.refresh_from_db()
    assert (pending.state, len(callbacks)) == ("pending", 1)


def test_sweep_gives_up_after_the_maximum_attempts(pending, settings):
    ProgressReport.objects.filter(pk=pending.pk).update(
        state="running", attempts=settings.REPORT_MAX_ATTEMPTS, started_at=timezone.now()
    )
    assert services.reports_sweep().failed == [pending.pk]
    pending.refresh_from_db()
    assert pending.state == "failed" and "Gave up after" in pending.error


def test_deadline_schedule_requests_each_due_meeting_once(seed):
    today = timezone.localdate()
    due = MeetingFactory(code="StC60", body="stc", number=60, document_deadline=today)
    MeetingFactory(code="StC61", body="stc", number=61, document_deadline=today + dt.timedelta(1))
    requested = services.reports_compile_due(today=today)
    assert [r.meeting for r in requested] == [due]
    report = requested[0]
    assert report.source == "schedule" and report.requested_by is None
    assert timezone.localtime(report.cut_off) == timezone.make_aware(
        dt.datetime.combine(today, dt.time.min)
    )
    assert services.reports_compile_due(today=today) == []


def test_status_at_the_cut_off_comes_from_the_history(history, secretariat_user):
    cut_off = timezone.now()
    record(history.in_progress, secretariat_user, "completed")
    rows = {r["pk"]: r for r in selectors.report_mandate_rows(cut_off=cut_off)}
    assert rows[history.in_progress.pk]["status_at"] == "in_progress"
    assert rows[history.in_progress.pk]["progress_at"] == 40
    assert rows[history.completed.pk]["status_at"] == "completed"
    assert selectors.report_status_totals(cut_off=timezone.now())["completed"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_statement_cut_off_by_the_time_limit_leaves_a_connection_that_works():
    """Celery's soft time limit can strike in the middle of a statement; the connection
    then refuses any other ("another command is already in progress") until it is closed,
    and the report could not be marked failed (tests/reporting/test_worker.py)."""
    connection.ensure_connection()
    raw = connection.connection
    raw.pgconn.send_query(b"SELECT pg_sleep(0.2)")  # sent, its answer never read
    with (
        pytest.raises(Exception, match="another command is already in progress"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1")
    services._drop_interrupted_connection()
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    # A connection between statements is kept.
    kept = connection.connection
    services._drop_interrupted_connection()
    assert connection.connection is kept
