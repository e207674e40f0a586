"""Memory and time of a progress report as the data grows.

    VAR_DIR=$(mktemp -d) DEBUG=true .venv/bin/python bench/report_memory.py [N ...]

Runs on the embedded default (a fresh SQLite under VAR_DIR) unless DATABASE_URL is set;
never point it at a database you care about: it adds resolutions and status updates. For
each N (default 1 4 16 64) it grows the data to N copies of the seed resolution (33
operative paragraphs, 48 mandates each) with a status update, narrative and evidence link
on every mandate, then measures:
- walk: the Python memory peak (tracemalloc) of reading everything a report holds, as the
  renderers do: the streaming reads, one resolution section at a time, the annex rows;
- compile (N <= --compile-up-to, default 16): the time to compile every file, and the
  process's peak resident memory afterwards (WeasyPrint and python-docx hold the whole
  document while they lay it out).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from partners.services import secretariat_user_ensure  # noqa: E402
from reporting import services  # noqa: E402
from reporting.content import ReportContent  # noqa: E402
from reporting.models import Meeting, ProgressReport  # noqa: E402
from resolutions.models import Mandate, Resolution  # noqa: E402
from resolutions.seed import seed_reading  # noqa: E402
from resolutions.services import mandate_status_update, resolution_create_from_reading  # noqa: E402


def grow_to(n: int, user) -> None:
    reading = seed_reading("synergies-and-partnerships")
    while Resolution.objects.count() < n:
        k = Resolution.objects.count()
        resolution = resolution_create_from_reading(
            reading=reading, symbol=f"90.{k}", title=f"Bench copy {k}"
        )
        for mandate in Mandate.objects.filter(resolution=resolution):
            mandate_status_update(
                mandate=mandate,
                user=user,
                status="in_progress",
                progress=50,
                narrative="Progress recorded for the benchmark. " * 5,
                evidence_links=["https://www.cms.int/en/document/example"],
                expected_version=0,
            )


def walk(report: ProgressReport) -> None:
    content = ReportContent(report)
    for section in content.sections:
        del section
    for _row in content.history:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 4, 16, 64])
    parser.add_argument("--compile-up-to", type=int, default=16)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_seed", verbosity=0)
    user = secretariat_user_ensure(username="bench")
    meeting = Meeting.objects.get(code="COP15")
    print("resolutions  mandates  walk peak MiB  compile s  max RSS MiB")
    for n in args.sizes:
        grow_to(n, user)
        report, _ = services.report_request(meeting=meeting, user=None, queue=False)
        tracemalloc.start()
        walk(report)
        walk_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        seconds = rss = "-"
        if n <= args.compile_up_to:
            started = time.perf_counter()
            outcome = services.report_compile(report_id=report.pk)
            assert outcome.outcome == "done", outcome.report.error
            seconds = f"{time.perf_counter() - started:.1f}"
            rss = f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
        else:
            ProgressReport.objects.filter(pk=report.pk).update(state="failed")
        print(f"{n:>11}  {Mandate.objects.count():>8}  {walk_peak:>13.1f}  {seconds:>9}  {rss:>11}")


if __name__ == "__main__":
    main()
