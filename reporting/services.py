"""Every write to meetings and progress reports.

A progress report goes pending -> running -> done (or failed). The database row is the
source of truth, not the broker:
- `report_request` creates the next version (pending) and queues its task on commit;
- `report_compile` (the task's body) claims the row atomically, renders and stores the
  files, records the mandates it froze, and marks it done. A done or failed report is
  never compiled again, so a duplicate or redelivered message changes nothing;
- `reports_sweep` (periodic) re-queues a report whose message or worker was lost;
- `reports_compile_due` (periodic) requests the report of each meeting whose document
  deadline has come.

While a worker compiles a report on PostgreSQL it holds a session advisory lock on it.
The server releases the lock when the worker's connection ends, however it ends, so "running
and unlocked" means its worker died: another may take it over at once. Other databases
(the embedded SQLite, where tasks run in-process one at a time) fall back to time: a
report running for longer than any worker's hard time limit is taken for abandoned.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import IO, TYPE_CHECKING, Any

import kombu.exceptions
import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from partners import permissions
from reporting import selectors
from reporting.content import mandate_ref
from reporting.models import (
    IN_FLIGHT_STATES,
    Meeting,
    ProgressReport,
    ReportEntry,
    ReportSource,
    ReportState,
)
from resolutions.services import records_sync

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

logger = logging.getLogger(__name__)

#: What sending a task raises when the broker cannot be reached.
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.RedisError, ConnectionError, TimeoutError)

#: Namespace of the reports' advisory lock keys (the report id is added to it).
LOCK_NAMESPACE = 0x5245_5054 << 32  # "REPT"
ENTRY_BATCH = 1000

# --- Meetings -----------------------------------------------------------------------------


def meetings_sync(*, meetings: Iterable[Mapping[str, Any]]) -> int:
    """Create or update meetings from records {code, body, number, venue, country,
    start_date, end_date, document_deadline}; dates are ISO strings or None."""
    date_fields = ("start_date", "end_date", "document_deadline")
    parsed = [
        {k: (dt.date.fromisoformat(v) if k in date_fields and v else v) for k, v in record.items()}
        for record in meetings
    ]
    return records_sync(model=Meeting, key="code", records=parsed)


#: Fields of a meeting that people edit (forms, API, services).
MEETING_FIELDS = (
    "body",
    "number",
    "code",
    "start_date",
    "end_date",
    "venue",
    "country",
    "document_deadline",
    "report_document_number",
    "report_agenda_item",
)


def _check_meetings(user: User) -> None:
    if not permissions.can_manage_meetings(user):
        raise PermissionDenied("Only the Secretariat may create or change meetings.")


def meeting_create(*, user: User, **values: Any) -> Meeting:
    """Create a meeting. PermissionDenied unless the user may manage meetings;
    ValidationError (by field) for bad values, nothing written."""
    _check_meetings(user)
    unknown = set(values) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Not meeting fields: {sorted(unknown)}")
    meeting = Meeting(**values)
    meeting.full_clean()
    with transaction.atomic():
        meeting.save()
    return meeting


def meeting_update(*, meeting: Meeting, user: User, **values: Any) -> Meeting:
    """Change a meeting's fields, compared with the stored row: saves only the fields that
    change, and writes nothing when none does. Reports already compiled keep the symbol and
    agenda item they were issued with."""
    _check_meetings(user)
    unknown = set(values) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Not meeting fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean()
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


# --- Requesting and queueing reports ----------------------------------------------------


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def report_request(
    *,
    meeting: Meeting,
    user: User | None,
    source: str = ReportSource.WEB,
    cut_off: dt.datetime | None = None,
    queue: bool = True,
) -> tuple[ProgressReport, bool]:
    """Ask for the next version of `meeting`'s progress report. Returns (report, created).

    - `user` None is the system itself (the deadline schedule, the command line);
      otherwise PermissionDenied unless `permissions.can_compile_report(user)`;
    - while a version is pending or running, that one is returned (created False): a
      second click does not queue a second compilation;
    - the cut-off is now unless given (the schedule passes the document deadline);
      the period starts when the previous meeting of the same body ended;
    - the task is queued when the transaction commits (unless `queue` is False: the
      caller compiles it in the foreground).
    """
    if user is not None and not permissions.can_compile_report(user):
        raise PermissionDenied("Only the Secretariat may compile progress reports.")
    try:
        with transaction.atomic():
            # The meeting row lock serialises version numbering per meeting.
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            in_flight = (
                ProgressReport.objects.filter(meeting=locked, state__in=IN_FLIGHT_STATES)
                .select_related("meeting")
                .first()
            )
            if in_flight is not None:
                return in_flight, False
            last = locked.reports.order_by("-version").values_list("version", flat=True).first()
            report = ProgressReport.objects.create(
                meeting=locked,
                version=(last or 0) + 1,
                document_symbol=locked.report_document_symbol,
                agenda_item=locked.report_agenda_item,
                cut_off=cut_off or timezone.now(),
                period_start=selectors.meeting_period_start(meeting=locked),
                requested_by=user if user is not None and user.is_authenticated else None,
                source=source,
            )
            if queue:
                report_enqueue(report=report)
    except IntegrityError:
        # Another request created the in-flight version between our check and insert
        # (only possible without row locks, on SQLite): return that one.
        report = ProgressReport.objects.select_related("meeting").get(
            meeting=meeting, state__in=IN_FLIGHT_STATES
        )
        return report, False
    return report, True


def report_enqueue(*, report: ProgressReport) -> str:
    """Record that a compilation was queued and send the task when the transaction
    commits. The task id is chosen here, so the row names the message it waits for."""
    from reporting.tasks import compile_report

    task_id = str(uuid.uuid4())
    now = timezone.now()
    with transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(task_id=task_id, queued_at=now)
        limits = {
            "soft_time_limit": settings.REPORT_SOFT_TIME_LIMIT,
            "time_limit": settings.REPORT_TIME_LIMIT,
        }
        transaction.on_commit(partial(_send_compile, compile_report, report.pk, task_id, limits))
    report.task_id, report.queued_at = task_id, now
    return task_id


def _send_compile(task, report_id: int, task_id: str, limits: dict[str, float]) -> None:
    """Send the compile message. With the broker down the request that asked for the
    report still succeeds: the report stays pending, its `queued_at` cleared so that the
    sweep (beat, every minute) re-queues it first thing once the broker is back."""
    try:
        task.apply_async((report_id,), task_id=task_id, **limits)
    except BROKER_ERRORS as exc:
        logger.warning("Broker unavailable, report %s left to the sweep: %s", report_id, exc)
        ProgressReport.objects.filter(pk=report_id, task_id=task_id).update(queued_at=None)


# --- Compiling ------------------------------------------------------------------------------


def _locks_supported() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def _compile_lock(report_id: int) -> Iterator[bool]:
    """Hold the report's advisory lock (PostgreSQL) while compiling: yields whether it
    was acquired. Session-level, so it survives the short transactions of the compile
    and dies with the connection if the worker dies."""
    if not _locks_supported():
        yield True
        return
    key = LOCK_NAMESPACE + report_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether `exc` or an exception it was raised from or while handling is of `kinds`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _drop_interrupted_connection() -> None:
    """Close the database connection if a statement is still in progress on it: Celery's
    soft time limit raises wherever the compile is, also in the middle of a statement,
    after which the connection refuses every other one ("another command is already in
    progress") and the report could not be marked failed. The next statement opens a new
    connection; closing this one also releases the compile lock (a session lock)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    status = getattr(getattr(connection.connection, "info", None), "transaction_status", None)
    if status is not None and status.name not in ("IDLE", "INTRANS", "INERROR"):
        logger.warning("Closing the database connection: a statement was interrupted")
        connection.close()


def _abandoned_before(now: dt.datetime) -> dt.datetime:
    """Without locks: a report started before this moment has outlived any worker's hard
    time limit, so its worker is gone."""
    seconds = max(settings.REPORT_STALE_AFTER, settings.REPORT_TIME_LIMIT) + 60
    return now - dt.timedelta(seconds=seconds)


def _runner_alive(report: ProgressReport, *, now: dt.datetime) -> bool:
    """Is a worker still compiling this running report?"""
    if not _locks_supported():
        return report.started_at is not None and report.started_at > _abandoned_before(now)
    with _compile_lock(report.pk) as acquired:
        return not acquired


@dataclass
class CompileOutcome:
    """What `report_compile` did: compiled, or why not (done, failed, busy, missing)."""

    outcome: str
    report: ProgressReport | None = None


def _fail(report_id: int, *, attempt: int | None, error: str) -> None:
    qs = ProgressReport.objects.filter(pk=report_id, state__in=IN_FLIGHT_STATES)
    if attempt is not None:
        qs = qs.filter(attempts=attempt)
    qs.update(state=ReportState.FAILED, error=error[:2000], finished_at=timezone.now())


def _claim(report_id: int) -> ProgressReport | None:
    """Move the report to running if it is still to be compiled, atomically (a
    conditional UPDATE): of two workers, only one claims it. The caller holds the lock,
    so a report already running here was abandoned by a dead worker."""
    now = timezone.now()
    claimable = Q(state=ReportState.PENDING) | Q(state=ReportState.RUNNING)
    if not _locks_supported():
        claimable = Q(state=ReportState.PENDING) | Q(
            state=ReportState.RUNNING, started_at__lt=_abandoned_before(now)
        )
    qs = ProgressReport.objects.filter(claimable, pk=report_id)
    if qs.filter(attempts__gte=settings.REPORT_MAX_ATTEMPTS).exists():
        _fail(
            report_id,
            attempt=None,
            error=f"Gave up after {settings.REPORT_MAX_ATTEMPTS} attempts: the workers compiling "
            "it stopped before finishing (killed, or over the time limit).",
        )
        return None
    claimed = qs.update(
        state=ReportState.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        error="",
    )
    if not claimed:
        return None
    return ProgressReport.objects.select_related("meeting").get(pk=report_id)


def _store(report: ProgressReport, fmt: str, data: IO[bytes]) -> tuple[str, str]:
    """Save one file under a name fixed by the report version; returns (name, sha256).
    A file left by an interrupted attempt is replaced: it would have the same bytes."""
    name = f"reports/{report.meeting.code}/v{report.version}/{report.file_stem}.{fmt}"
    digest = hashlib.sha256()
    for chunk in iter(lambda: data.read(1 << 16), b""):
        digest.update(chunk)
    data.seek(0)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, File(data, name=name.rsplit("/", 1)[-1]))
    return stored, digest.hexdigest()


def _freeze_entries(report: ProgressReport) -> None:
    """Record each mandate's status at the cut-off (the basis of comparisons)."""
    ReportEntry.objects.filter(report=report).delete()
    batch: list[ReportEntry] = []
    rows = selectors.report_mandate_rows(cut_off=report.cut_off).iterator(
        chunk_size=selectors.CHUNK_SIZE
    )
    for position, row in enumerate(rows, start=1):
        ref = mandate_ref(row)
        batch.append(
            ReportEntry(
                report=report,
                mandate_id=row["pk"],
                position=position,
                resolution=ref.resolution,
                paragraph=ref.paragraph,
                actor=ref.actor,
                verb=ref.verb,
                status=ref.status,
                progress=ref.progress,
            )
        )
        if len(batch) >= ENTRY_BATCH:
            ReportEntry.objects.bulk_create(batch)
            batch = []
    ReportEntry.objects.bulk_create(batch)


class CompileTimeExceeded(Exception):
    """Compiling has used up its time budget (checked between sections and files)."""


def report_compile(*, report_id: int, time_budget: float | None = None) -> CompileOutcome:
    """Compile a report: the body of the `reporting.compile_report` task. Idempotent:
    a report that is done or failed is left alone; one that a live worker is compiling
    is left to it ("busy"). Any error, the time limit included, marks the report failed
    with a message; nothing of it is stored as done.

    `time_budget` (seconds) stops compiling at the first section or file that starts
    after it has run out; Celery's soft time limit is the backstop within a section."""
    deadline = None if not time_budget else time.monotonic() + float(time_budget)
    # The meeting document is written in the Secretariat's working language, whoever asked
    # for it: in-process (the embedded default) the request's language is still active.
    with translation.override(settings.LANGUAGE_CODE):
        return _report_compile(report_id, deadline)


def _report_compile(report_id: int, deadline: float | None) -> CompileOutcome:
    from celery.exceptions import SoftTimeLimitExceeded

    from reporting.renderers import report_files

    def check_time() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise CompileTimeExceeded

    with _compile_lock(report_id) as acquired:
        if not acquired:
            return CompileOutcome("busy")
        attempt: int | None = None
        try:
            report = _claim(report_id)
            if report is None:
                current = ProgressReport.objects.filter(pk=report_id).first()
                return CompileOutcome(current.state if current else "missing", current)
            attempt = report.attempts
            mine = ProgressReport.objects.filter(
                pk=report.pk, state=ReportState.RUNNING, attempts=attempt
            )

            def on_progress(percent: int) -> None:
                check_time()
                mine.update(progress=min(95, 5 + percent * 90 // 100))

            files: dict[str, str] = {}
            checksums: dict[str, str] = {}
            for fmt, data in report_files(report, on_progress=on_progress):
                with data:
                    check_time()
                    files[fmt], checksums[fmt] = _store(report, fmt, data)
            check_time()
            with transaction.atomic():
                _freeze_entries(report)
                finished = mine.update(
                    state=ReportState.DONE,
                    progress=100,
                    files=files,
                    checksums=checksums,
                    finished_at=timezone.now(),
                )
        except Exception as exc:
            _drop_interrupted_connection()
            if _caused_by(exc, (SoftTimeLimitExceeded, CompileTimeExceeded)):
                # Also when a library caught the limit and raised its own error from it
                # (inspect.getfullargspec: "TypeError: unsupported callable").
                error = "Compiling took longer than its time limit and was stopped."
            else:
                logger.exception("Progress report %s failed", report_id)
                error = f"Compiling failed: {exc.__class__.__name__}: {exc}"
            _fail(report_id, attempt=attempt, error=error)
            return CompileOutcome(ReportState.FAILED, ProgressReport.objects.get(pk=report_id))
    report.refresh_from_db()
    return CompileOutcome(ReportState.DONE if finished else report.state, report)


# --- Periodic work ------------------------------------------------------------------------


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def reports_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Re-queue every report left behind: pending for longer than REPORT_STALE_AFTER
    since it was queued (its message was lost), or running in a worker that died. One
    already started REPORT_MAX_ATTEMPTS times is marked failed instead. Idempotent: a
    report queued twice is compiled once."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.REPORT_STALE_AFTER)
    result = SweepResult()
    candidates = ProgressReport.objects.filter(
        Q(state=ReportState.PENDING, queued_at__lt=stale)
        | Q(state=ReportState.PENDING, queued_at__isnull=True)
        | Q(state=ReportState.RUNNING)
    ).order_by("pk")
    for report in candidates:
        if report.state == ReportState.RUNNING and _runner_alive(report, now=now):
            continue
        if report.attempts >= settings.REPORT_MAX_ATTEMPTS:
            _fail(
                report.pk,
                attempt=report.attempts,
                error=f"Gave up after {report.attempts} attempts: the workers compiling it "
                "stopped before finishing (killed, or over the time limit).",
            )
            result.failed.append(report.pk)
            continue
        with transaction.atomic():
            moved = ProgressReport.objects.filter(
                pk=report.pk, state=report.state, attempts=report.attempts
            ).update(state=ReportState.PENDING, progress=0)
            if moved:
                report_enqueue(report=report)
                result.requeued.append(report.pk)
    if result.requeued or result.failed:
        logger.warning("Report sweep: re-queued %s, failed %s", result.requeued, result.failed)
    return result


def reports_compile_due(*, today: dt.date | None = None) -> list[ProgressReport]:
    """Request the report of each meeting whose document deadline has come and that has
    none yet, with the status as of the start of the deadline day."""
    today = today or timezone.localdate()
    requested = []
    for meeting in selectors.meetings_due_for_report(today=today):
        report, created = report_request(
            meeting=meeting,
            user=None,
            source=ReportSource.SCHEDULE,
            cut_off=_start_of_day(meeting.document_deadline),
        )
        if created:
            requested.append(report)
    return requested


def validation_messages(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]} ("__all__" for the whole object)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}
