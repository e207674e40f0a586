"""Where a request's time goes, one request at a time in one process, without gunicorn or a
load generator: for each path, the CPU time of this process (the Python) and of its
PostgreSQL backend (read from /proc: the server must run on this host) per request, and
the wall time (mean, 99th percentile, slowest), over interleaved turns so that a slow
spell of the machine falls on every path alike. The benchmark data must exist (`make
bench` makes it). GC_FREEZE_AFTER_REQUESTS applies as in gunicorn (empty: no freeze).

    .venv/bin/python bench/cpu.py "/api/v1/mandates/?page_size=50" "/floor/mandates/?page_size=50"

Where the Python goes, function by function, without the start-up and the first requests:

    .venv/bin/python bench/cpu.py --plain 500 --profile list.prof "/api/v1/mandates/?page_size=50"

Instruction counts are free of the machine's noise: run the same requests under callgrind
twice, N and M of them, and divide the difference of the two totals by M - N.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/cpu.py --plain 120 "/api/v1/mandates/?page_size=50"
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DEFAULT_DB, DEFAULT_REDIS, django_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="Paths with their query strings.")
    parser.add_argument("--requests", type=int, default=400, help="Measured, per path.")
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--plain", type=int, metavar="N", help="Only serve N requests of each path, in turn."
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="With --plain: after the warm-up, profile the N requests (cProfile) into FILE.",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    os.environ.update(django_env(args))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

    from django.db import connection

    from bench import wsgi

    def serve(path: str) -> None:
        route, _, query = path.partition("?")
        answer: dict[str, str] = {}
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8765",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        b"".join(wsgi.application(environ, lambda status, headers: answer.update(s=status)))
        if not answer["s"].startswith("200"):
            raise SystemExit(f"{path}: {answer['s']}")

    def plain(count: int) -> None:
        for _ in range(count):
            for path in args.paths:
                serve(path)

    if args.plain is not None:
        if args.profile:
            import cProfile

            plain(args.warmup)
            cProfile.runctx("plain(args.plain)", globals(), locals(), args.profile)
        else:
            plain(args.plain)
        return

    def backend_seconds() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    for path in args.paths:
        for _ in range(args.warmup):
            serve(path)
    totals = {path: [0.0, 0.0] for path in args.paths}
    walls: dict[str, list[float]] = {path: [] for path in args.paths}
    per_turn = max(1, args.requests // args.turns)
    for _ in range(args.turns):
        for path in args.paths:
            pg, cpu = backend_seconds(), time.process_time()
            for _ in range(per_turn):
                start = time.perf_counter()
                serve(path)
                walls[path].append(time.perf_counter() - start)
            total = totals[path]
            total[0] += time.process_time() - cpu
            total[1] += backend_seconds() - pg
    count = per_turn * args.turns
    # The slowest requests are those a pause of the process (a garbage collection) fell on.
    print("| path | Python ms | PostgreSQL ms | both ms | wall ms | wall p99 ms | wall max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for path, (python, pg) in totals.items():
        python, pg = (1000 * x / count for x in (python, pg))
        ordered = sorted(walls[path])
        wall, p99, top = (
            1000 * x for x in (sum(ordered) / count, ordered[int(0.99 * (count - 1))], ordered[-1])
        )
        print(
            f"| {path} | {python:.2f} | {pg:.2f} | {python + pg:.2f} | {wall:.2f} | {p99:.1f} "
            f"| {top:.1f} |"
        )


if __name__ == "__main__":
    main()
