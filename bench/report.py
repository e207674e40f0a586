"""Time and peak memory of compiling a COP progress report at `cms` scale and at twice it.

    make bench-report                      # both sizes, then the ratio
    .venv/bin/python bench/report.py --factors 1 --meeting COP15

For each factor (default 1 and 2) the database `<BENCH_DATABASE_URL>` (factor 1) or
`<BENCH_DATABASE_URL>_x<factor>` is created if missing, migrated, given the seed (meetings,
Parties) and `generate_scale_data --factor F` (minutes the first time; nothing after).
Then a fresh Python process compiles a new version of the meeting's report in the
foreground, exactly as the worker does (`services.report_compile`, no Celery in between),
and reports the seconds per file, the total, the rows in the period and its peak resident
memory (`ru_maxrss`, the baseline of the same process before compiling is given too, and
the peak so far after each file), with the largest peak of the PDF's layout children, and
the most memory this process and its children held at one moment (`TreeMemory`: their
proportional set sizes added up every 50 ms). A child's `ru_maxrss` is no measure of it:
Linux carries the high-water mark across exec, so it includes this process's size when
the child started.
Files go to a temporary MEDIA_ROOT. Results are printed and written to
bench/results/report-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import ensure_database  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cms_bench"


def database_url(base: str, factor: float) -> str:
    return base if factor == 1 else f"{base}_x{factor:g}"


def env_for(url: str, media: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": media,
        # Reports compile in this process: no broker.
        "REDIS_URL": "",
    }


def prepare(url: str, factor: float, env: dict[str, str]) -> None:
    ensure_database(url)
    manage = [PYTHON, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["load_seed", "-v0"],
        ["generate_scale_data", "--factor", f"{factor:g}"],
    ):
        subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT)


#: kcmp(2)'s system call number, by machine (Linux).
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}
_KCMP_VM = 1


def shares_address_space(pid: int, other: int) -> bool:
    """Whether two processes run in one address space (kcmp(2) KCMP_VM); False where
    that cannot be told (not Linux, a kernel without kcmp, a process gone)."""
    import ctypes
    import platform

    number = _SYS_KCMP.get(platform.machine())
    if number is None or not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(number, pid, other, _KCMP_VM, 0, 0) == 0


class TreeMemory:
    """The most memory this process and its descendants (the PDF's layout children) held at
    one moment: every `interval` seconds a thread adds up their proportional set sizes
    (PSS, from /proc/PID/smaps_rollup: a page shared by several processes, such as the
    libraries the children map, is counted once in all), and keeps the largest sum and
    the processes it was made of. Linux only; elsewhere it stays at zero."""

    def __init__(self, interval: float = 0.05, root: int | None = None) -> None:
        self.interval = interval
        self.root = os.getpid() if root is None else root
        self.peak_kib = 0
        self.peak_parts: list[int] = []  # KiB of each process at the peak, the root first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        try:
            tasks = Path(f"/proc/{pid}/task").iterdir()
            for task in tasks:
                found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # gone meanwhile
            pass
        return found

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def sample(self) -> None:
        pids, todo = [], [(self.root, None)]
        while todo:
            pid, parent = todo.pop()
            # subprocess starts a child with vfork: until it execs, it runs in its parent's
            # address space, and /proc gives it the parent's PSS. Counted once (a sample
            # of 2026-11-25 showed 183 + 183 MiB for one process's memory).
            if parent is None or not shares_address_space(pid, parent):
                pids.append(pid)
            todo += [(child, pid) for child in self._children(pid)]
        parts = [self._pss_kib(pid) for pid in pids]
        if sum(parts) > self.peak_kib:
            self.peak_kib, self.peak_parts = sum(parts), parts

    def _run(self) -> None:
        if not Path("/proc/self/smaps_rollup").exists():
            return
        while not self._stop.wait(self.interval):
            self.sample()


def measure(meeting_code: str) -> dict:
    """In this process: compile one report and return the figures."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_mandates.settings")
    import django

    django.setup()
    from reporting import renderers, services
    from reporting.content import ReportContent
    from reporting.models import Meeting
    from resolutions.models import Mandate, StatusUpdate

    def peak_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    meeting = Meeting.objects.get(code=meeting_code)
    report, _ = services.report_request(meeting=meeting, user=None, queue=False)
    content = ReportContent(report)
    figures: dict = {
        "meeting": meeting.code,
        "period": f"{report.period_start:%Y-%m-%d} to {report.cut_off:%Y-%m-%d}",
        "mandates": Mandate.objects.count(),
        "status_updates": StatusUpdate.objects.count(),
        "updates_in_period": len(content.history),
        "party_statuses_in_period": len(content.party_history),
        "baseline_rss_mib": round(peak_mib()),
    }
    per_file: dict[str, float] = {}
    peak_after: dict[str, int] = {}
    original = renderers.report_files

    def timed(*args, **kwargs):
        last = time.perf_counter()
        for fmt, data in original(*args, **kwargs):
            per_file[str(fmt)] = round(time.perf_counter() - last, 1)
            # The peak so far once each file is written: which file set the peak.
            peak_after[str(fmt)] = round(peak_mib())
            yield fmt, data
            last = time.perf_counter()

    renderers.report_files = timed
    started = time.perf_counter()
    with TreeMemory() as held:
        outcome = services.report_compile(report_id=report.pk)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if outcome.outcome != "done":
        raise SystemExit(f"The report failed: {outcome.report.error}")
    figures["seconds_per_file"] = per_file
    figures["peak_rss_after_file_mib"] = peak_after
    figures["peak_rss_mib"] = round(peak_mib())
    # The PDF's layout processes (REPORT_PDF_PROCESSES, this one included), the largest
    # peak of its children (an upper bound, see above), and what the report really held
    # at once, sampled: this process and its children.
    figures["pdf_processes"] = renderers.pdf_processes()
    figures["child_peak_rss_mib"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    figures["peak_pss_held_at_once_mib"] = round(held.peak_kib / 1024)
    figures["held_at_once_by_process_mib"] = [round(kib / 1024) for kib in held.peak_parts]
    media = Path(os.environ["MEDIA_ROOT"])
    figures["bytes"] = {
        fmt: (media / name).stat().st_size for fmt, name in sorted(outcome.report.files.items())
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--meeting", default="COP15")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.meeting)))
        return

    results = []
    for factor in args.factors:
        url = database_url(args.database_url, factor)
        with tempfile.TemporaryDirectory(prefix="bench-report-") as media:
            env = env_for(url, media)
            prepare(url, factor, env)
            out = subprocess.run(
                [PYTHON, __file__, "--measure", "--meeting", args.meeting],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout
        figures = {"factor": factor, **json.loads(out.strip().splitlines()[-1])}
        results.append(figures)
        print(json.dumps(figures, indent=2), flush=True)

    print(
        "\n| factor | mandates | updates in period | seconds | peak RSS MiB "
        "| largest child MiB | held at once MiB (PSS, sampled) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['factor']:g} | {r['mandates']:,} | {r['updates_in_period']:,} | "
            f"{r['seconds']} | {r['peak_rss_mib']} | {r['child_peak_rss_mib']} | "
            f"{r['peak_pss_held_at_once_mib']} "
            f"({' + '.join(map(str, r['held_at_once_by_process_mib']))}) |"
        )
    if len(results) > 1:
        base = results[0]
        for r in results[1:]:
            ratio = r["seconds"] / base["seconds"]
            print(f"\ntime with {r['factor'] / base['factor']:g}x the data: {ratio:.2f}x")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"report-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
