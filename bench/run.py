"""`make bench`: the application under load, side by side with a floor and a textbook DRF list.

    make bench                       # cms scale, database cms_bench
    BENCH_SCALE=quick make bench     # 0.05 of cms and short phases: a smoke run
    .venv/bin/python bench/run.py --help

Steps: make sure the database (BENCH_DATABASE_URL, default .../cms_bench) is migrated and
holds the scale data (generate_scale_data, minutes at cms), start gunicorn with production
settings (DEBUG off, SECRET_KEY, ALLOWED_HOSTS) on bench.wsgi, then for each target:
1. capacity: closed loop, CONCURRENCY keep-alive clients as fast as answers come, for
   CAPACITY_SECONDS in all, taken in ROUNDS turns with the targets interleaved (the
   machine's slow spells then fall on every target alike): requests per second;
2. latency: an open loop at half that rate (requests scheduled at fixed intervals, latency
   measured from the scheduled time, so a stalled server is not hidden) for LATENCY_SECONDS:
   p50/p95/p99.
Every answer must have the expected status; anything else counts as an error. Queries per
request come from the X-Queries header (bench/middleware.py). Peak memory is the largest
peak resident set (VmHWM) of the gunicorn workers at the end. Results are printed as a
markdown table and written to bench/results/<time>.json (not committed).

The targets are one list (TARGETS): adding the Party page is one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import ensure_database  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cms_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


@dataclass
class Target:
    name: str
    path: str  # may hold {mandate}: a mandate with a long history
    method: str = "GET"
    expect: int = 200
    write: bool = False  # POST a status update with If-Match (token auth)


TARGETS = [
    Target("list API, 50 per page", "/api/v1/mandates/?page_size=50"),
    Target("floor (raw SQL, same rows)", "/floor/mandates/?page_size=50"),
    Target("textbook DRF list", "/bench/textbook/mandates/?page_size=50"),
    Target("Party obligations page", "/parties/aa/"),
    Target("Parties' obligations (API)", "/api/v1/parties/AA/obligations/?page_size=50"),
    Target("mandate page + history", "/mandates/{mandate}/"),
    Target("full-text search", "/api/v1/mandates/?q=flyway+cooperation&page_size=50"),
    Target("status-update write", "/api/v1/mandates/{mandate}/status-updates/", "POST", 201, True),
]


@dataclass
class Phase:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def add(self, other: Phase) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.queries += other.queries

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# --- the client ---------------------------------------------------------------------------


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, port: int, token: str, writes: queue.Queue | None) -> None:
        self.port, self.token, self.writes = port, token, writes
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return conn

    def call(self, target: Target, mandate: int) -> tuple[int, int]:
        """(status, queries) of one request; status 0 for a transport failure."""
        headers = {"Host": "127.0.0.1"}
        body = None
        item = None
        path = target.path.format(mandate=mandate)
        if target.write:
            item = self.writes.get()
            mandate_id, etag, n = item
            path = target.path.format(mandate=mandate_id)
            headers.update(
                {
                    "Authorization": f"Token {self.token}",
                    "If-Match": etag,
                    "Content-Type": "application/json",
                }
            )
            body = json.dumps(
                {
                    "status": "in_progress",
                    "progress": n % 100,
                    "narrative": f"Benchmark write {n}: flyway cooperation workshop held.",
                }
            )
        try:
            conn = self._conn()
            conn.request(target.method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            queries = int(response.getheader("X-Queries") or 0)
        except (OSError, http.client.HTTPException):
            self.local.conn = None
            status, queries, data = 0, 0, b""
        if item is not None:
            if status == 201:
                item = (item[0], json.loads(data)["mandate_etag"], item[2] + 1)
            self.writes.put(item)
        return status, queries


def capacity(client: Client, target: Target, mandate: int, seconds: float, workers: int) -> Phase:
    phase = Phase()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status, queries = client.call(target, mandate)
            elapsed = time.perf_counter() - started
            with lock:
                phase.requests += 1
                phase.latencies.append(elapsed)
                phase.queries.append(queries)
                phase.errors += status != target.expect

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return phase


def fixed_rate(client: Client, target: Target, mandate: int, rate: float, seconds: float) -> Phase:
    """Open loop: request k is due at start + k / rate whatever happened to the others;
    its latency counts from that moment (no coordinated omission)."""
    phase = Phase()
    lock = threading.Lock()
    total = max(1, int(rate * seconds))

    def one(due: float) -> None:
        status, queries = client.call(target, mandate)
        with lock:
            phase.requests += 1
            phase.latencies.append(time.perf_counter() - due)
            phase.queries.append(queries)
            phase.errors += status != target.expect

    start = time.perf_counter() + 0.05
    with ThreadPoolExecutor(max_workers=32) as pool:
        for k in range(total):
            due = start + k / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(one, due)
    phase.seconds = time.perf_counter() - start
    return phase


# --- the server and the data --------------------------------------------------------------


def django_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_THROTTLE_ANON": "1000000/second",
        "API_THROTTLE_USER": "1000000/second",
        "CONN_MAX_AGE": "600",
        # gunicorn answers plain HTTP on loopback here, as behind a TLS-terminating proxy.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
    }


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """Create and migrate the database, generate the data if missing, and return what
    the load needs."""
    ensure_database(env["DATABASE_URL"])
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "generate_scale_data", "--factor", str(args.factor)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    script = (
        "import json\n"
        "from django.db.models import Max\n"
        "from partners.services import api_token_ensure, secretariat_user_ensure\n"
        "from resolutions.models import Mandate\n"
        "from resolutions.scale import SOURCE_NAME\n"
        "from django.db import transaction\n"
        "user = secretariat_user_ensure(username='scale-secretariat')\n"
        "with transaction.atomic():\n"
        "    token, _ = api_token_ensure(user=user)\n"
        "ms = Mandate.objects.filter(resolution__source_name=SOURCE_NAME)\n"
        "top = ms.order_by('-version', 'pk').first()\n"
        "writes = list(ms.order_by('-pk').values_list('pk', flat=True)[:64])\n"
        "print(json.dumps({'token': token.key, 'mandate': top.pk, 'history': top.version,\n"
        "    'mandates': ms.count(), 'writes': writes}))\n"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            GUNICORN,
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def worker_peaks(server: subprocess.Popen) -> float:
    """Largest peak RSS (MiB) among the gunicorn workers (children of the master)."""
    peak = 0
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def etags(port: int, mandates: list[int]) -> queue.Queue:
    q: queue.Queue = queue.Queue()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for pk in mandates:
        conn.request("GET", f"/api/v1/mandates/{pk}/", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        q.put((pk, response.getheader("ETag"), 0))
    return q


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    quick = os.environ.get("BENCH_SCALE", "cms") == "quick"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--factor", type=float, default=0.05 if quick else 1.0)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="Threads per gunicorn worker.")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--capacity-seconds", type=float, default=3 if quick else 8)
    parser.add_argument("--latency-seconds", type=float, default=3 if quick else 10)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1 if quick else 4,
        help="Capacity is measured in this many turns per target, interleaved.",
    )
    parser.add_argument("--only", nargs="*", help="Names of targets to run (substring).")
    args = parser.parse_args()

    env = django_env(args)
    info = prepare(args, env)
    server = start_server(args, env)
    rows = []
    try:
        client = Client(args.port, info["token"], etags(args.port, info["writes"]))
        targets = [t for t in TARGETS if not args.only or any(o in t.name for o in args.only)]
        for target in targets:
            capacity(client, target, info["mandate"], 1.0, args.concurrency)  # warm-up
        # Capacity in rounds, the targets taking turns, so that a slow spell of the machine
        # falls on all of them rather than on one: the ratios compare like with like.
        caps = {target.name: Phase() for target in targets}
        for _ in range(args.rounds):
            for target in targets:
                caps[target.name].add(
                    capacity(
                        client,
                        target,
                        info["mandate"],
                        args.capacity_seconds / args.rounds,
                        args.concurrency,
                    )
                )
        for target in targets:
            cap = caps[target.name]
            rate = max(1.0, cap.rps / 2)
            lat = fixed_rate(client, target, info["mandate"], rate, args.latency_seconds)
            row = {
                "target": target.name,
                "path": target.path.format(mandate=info["mandate"]),
                "capacity_rps": round(cap.rps, 1),
                "rate_rps": round(rate, 1),
                "p50_ms": round(lat.pct(50), 1),
                "p95_ms": round(lat.pct(95), 1),
                "p99_ms": round(lat.pct(99), 1),
                "errors": cap.errors + lat.errors,
                "requests": cap.requests + lat.requests,
                "queries": statistics.median(cap.queries + lat.queries),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
        peak = worker_peaks(server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    by_name = {r["target"]: r for r in rows}
    ratios = {}
    api, floor_, textbook = (
        by_name.get("list API, 50 per page"),
        by_name.get("floor (raw SQL, same rows)"),
        by_name.get("textbook DRF list"),
    )
    if api and floor_:
        ratios["list / floor throughput"] = round(api["capacity_rps"] / floor_["capacity_rps"], 2)
    if api and textbook:
        ratios["list / textbook throughput"] = round(
            api["capacity_rps"] / textbook["capacity_rps"], 2
        )
    result = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "factor": args.factor,
        "mandates": info["mandates"],
        "history_of_mandate_page": info["history"],
        "workers": args.workers,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "peak_worker_rss_mib": round(peak, 1),
        "ratios": ratios,
        "rows": rows,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))

    print()
    print(
        f"factor {args.factor:g} ({info['mandates']} mandates), {args.workers} gunicorn "
        f"workers x {args.threads} threads, {args.concurrency} clients, "
        f"{os.cpu_count()} CPUs, capacity in {args.rounds} interleaved rounds of "
        f"{args.capacity_seconds / args.rounds:g} s; "
        f"peak worker RSS {peak:.0f} MiB"
    )
    print()
    print(
        "| target | capacity req/s | p50 ms | p95 ms | p99 ms (at half capacity) | errors "
        "| queries/req |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['target']} | {r['capacity_rps']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['errors']}/{r['requests']} | {r['queries']:g} |"
        )
    print()
    for name, value in ratios.items():
        print(f"- {name}: {value}")
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
