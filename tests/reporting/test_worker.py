"""Real Celery workers on Redis: the sweep recovers a report whose message was lost, and a
worker killed (SIGKILL) in the middle of a report still leads to exactly one completed
report. The killed workers are `celery -A cms_mandates worker` processes pointed at the
test database."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import connection

from cms_mandates.celery import app
from reporting import services
from reporting.models import ProgressReport, ReportEntry, ReportState
from reporting.tasks import sweep_reports
from resolutions.models import Mandate
from resolutions.seed import seed_reading
from resolutions.services import resolution_create_from_reading
from tests.reporting.conftest import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _assert_one_complete_report(report_id: int) -> ProgressReport:
    report = ProgressReport.objects.get(pk=report_id)
    assert report.state == ReportState.DONE, report.error
    assert ProgressReport.objects.filter(meeting=report.meeting).count() == 1
    assert ReportEntry.objects.filter(report=report).count() == Mandate.objects.count()
    for fmt, name in report.files.items():
        with default_storage.open(name, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == report.checksums[fmt], fmt
    return report


def test_the_sweep_recovers_a_report_whose_message_was_lost(history, media, settings):
    from celery.contrib.testing.worker import start_worker

    report, _ = services.report_request(meeting=history.meeting, user=None)
    app.control.purge()  # the broker loses the message
    settings.REPORT_STALE_AFTER = 0
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        sweep_reports.delay()  # what beat sends every minute
        report = wait_for(report.pk)
    assert report.attempts == 1
    _assert_one_complete_report(report.pk)


class WorkerProcess:
    """`celery -A cms_mandates worker` (prefork, one child) in its own process group, on
    the test database and Redis."""

    def __init__(self, media: Path, log: Path):
        db = connection.settings_dict
        url = (
            f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        env = dict(
            os.environ,
            DATABASE_URL=url,
            REDIS_URL=django_settings.REDIS_URL,
            MEDIA_ROOT=str(media),
            SECRET_KEY="test-only-secret-key",
            DEBUG="false",
            PYTHONUNBUFFERED="1",
        )
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cms_mandates",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_child(self) -> int:
        """The pid of the pool process that runs tasks. While it starts, the worker also
        runs short-lived helpers (forked, then exec'd); the pool process is the child that
        is still a copy of the worker (same command line) a moment after it is seen."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")

        def copies() -> set[str]:
            # Read each time: until the worker has exec'd, it has the test's command line.
            own = Path(f"/proc/{self.process.pid}/cmdline").read_bytes()
            found = set()
            for pid in path.read_text().split():
                try:
                    if Path(f"/proc/{pid}/cmdline").read_bytes() == own:
                        found.add(pid)
                except FileNotFoundError:  # it ended between the two reads
                    pass
            return found

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = copies()
            time.sleep(0.25)
            lasting = seen & copies()
            if len(lasting) == 1:
                return int(lasting.pop())
        raise AssertionError("the worker started no pool process")

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool child."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()


def _wait_until_running(report_id: int) -> ProgressReport:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        report = ProgressReport.objects.get(pk=report_id)
        if report.state != ReportState.PENDING:
            return report
        time.sleep(0.02)
    raise AssertionError("no worker started the report")


def _wait_with_sweeps(report_id: int) -> ProgressReport:
    """Wait for the report to finish, sweeping every second as beat would (every minute)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        report = ProgressReport.objects.get(pk=report_id)
        if report.state in (ReportState.DONE, ReportState.FAILED):
            return report
        services.reports_sweep()
        time.sleep(1)
    return report


@pytest.mark.parametrize("victim", ["pool child", "whole worker"])
def test_a_worker_killed_mid_report_still_gives_one_complete_report(
    history, media, tmp_path, victim
):
    app.control.purge()
    log = tmp_path / "worker.log"
    worker = WorkerProcess(media, log)
    try:
        worker.pool_child()
        report, _ = services.report_request(meeting=history.meeting, user=None)
        running = _wait_until_running(report.pk)
        assert running.state == ReportState.RUNNING
        if victim == "pool child":
            # The main process sees its child die: reject_on_worker_lost puts the message
            # back and a fresh child takes the report over.
            os.kill(worker.pool_child(), signal.SIGKILL)
        else:
            worker.kill()
            worker = WorkerProcess(media, log)  # the message is stranded: the sweep re-queues
        killed = ProgressReport.objects.get(pk=report.pk)
        assert killed.state == ReportState.RUNNING and killed.progress < 100, (
            "the worker was killed in the middle of the report"
        )
        report = _wait_with_sweeps(report.pk)
    finally:
        worker.kill()
    assert report.attempts == 2, log.read_text()
    _assert_one_complete_report(report.pk)


def test_a_report_over_its_soft_time_limit_is_stopped_and_marked_failed(
    history, media, tmp_path, settings
):
    # Four resolutions take seconds to compile; the limit is a twentieth of one.
    reading = seed_reading("synergies-and-partnerships")
    for n in range(3):
        resolution_create_from_reading(reading=reading, symbol=f"99.{n}", title=f"Copy {n}")
    # The limits travel with the message: those of the process that queues it.
    settings.REPORT_SOFT_TIME_LIMIT, settings.REPORT_TIME_LIMIT = 0.05, 30
    app.control.purge()
    worker = WorkerProcess(media, tmp_path / "worker.log")
    try:
        worker.pool_child()
        report, _ = services.report_request(meeting=history.meeting, user=None)
        report = wait_for(report.pk)
    finally:
        worker.kill()
    assert report.state == ReportState.FAILED
    assert report.error == "Compiling took longer than its time limit and was stopped."
    assert report.files == {} and not ReportEntry.objects.filter(report=report).exists()
