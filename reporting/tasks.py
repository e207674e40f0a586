"""Celery tasks of the reporting app. Thin: ids in, a service call, nothing else.

Task names are explicit and stable: queued messages and the beat schedule refer to them.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reporting import services


@shared_task(
    bind=True,
    name="reporting.compile_report",
    # Acknowledge only when done, and put the message back if the worker process dies
    # mid-way: the next worker takes the report over (the database says whether it is
    # still to do, so a second delivery after success changes nothing).
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT,
    ignore_result=True,
)
def compile_report(self, report_id: int) -> str:
    """Compile one progress report; returns what happened (done, busy, failed, ...).

    The soft time limit the message carries is also handed to the service as a budget it
    checks between sections: Celery's signal alone can be lost inside library code that
    catches every exception."""
    _, soft_limit = self.request.timelimit or (None, None)
    return services.report_compile(report_id=report_id, time_budget=soft_limit).outcome


@shared_task(name="reporting.sweep_reports", ignore_result=True)
def sweep_reports() -> dict[str, list[int]]:
    """Re-queue reports whose message or worker was lost (every minute, from beat)."""
    result = services.reports_sweep()
    return {"requeued": result.requeued, "failed": result.failed}


@shared_task(name="reporting.compile_due_reports", ignore_result=True)
def compile_due_reports() -> list[int]:
    """Request the report of each meeting whose document deadline has come."""
    return [report.pk for report in services.reports_compile_due()]
