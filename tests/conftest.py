"""Suite-wide fixtures. The suite runs against the real PostgreSQL and Redis named by
DATABASE_URL and REDIS_URL (`make test` sets both); it stops at once, with a message
saying what to start, when either cannot be reached."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; the tests' own ORM calls
# around it are synchronous and safe, so Django's async-context guard is relaxed here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def _unreachable(what: str, url: str, error: Exception, hint: str) -> None:
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port}" if parts.hostname else url
    pytest.exit(
        f"\n{what} at {where} cannot be reached ({error.__class__.__name__}: {error}).\n"
        f"The test suite needs it. {hint}\n",
        returncode=3,
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit(
            "\nThe test suite runs on PostgreSQL: run `make test`, or set DATABASE_URL "
            "(e.g. postgres://postgres@127.0.0.1:5432/cms_mandates) and REDIS_URL.\n",
            returncode=3,
        )
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    try:
        psycopg.connect(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        _unreachable(
            "PostgreSQL",
            url,
            exc,
            "Start it with: pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start",
        )
    if not settings.REDIS_URL:
        pytest.exit("\nThe test suite needs Redis: set REDIS_URL or run `make test`.\n", 3)
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        _unreachable(
            "Redis",
            settings.REDIS_URL,
            exc,
            'Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""',
        )
    # Static files are served hashed from the manifest in every mode, tests included.
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)
    # The French and Spanish catalogues, compiled as `make run` and the image do.
    call_command("compile_translations", verbosity=0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made in most tests; the production hasher's deliberate slowness (about half
    a second each here) buys nothing in a test database."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _api_throttle_window():
    """Every test starts a fresh anonymous API rate window: the whole suite calls from one
    address and would otherwise be throttled depending on the order tests run in."""
    from django.core.cache import cache

    from cms_mandates.rest import AnonymousThrottle

    cache.delete(AnonymousThrottle.cache_format % {"scope": "anon", "ident": "127.0.0.1"})


@pytest.fixture
def scratch_db():
    """The name of an empty database beside the test database, dropped afterwards."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_scratch"
    admin = {"host": db["HOST"], "port": db["PORT"] or None, "user": db["USER"]}
    admin["dbname"] = "postgres"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seed(db):
    """The shipped seed: roles, actors, meetings and the Synergies and Partnerships
    resolution. Returns the resolution."""
    from partners.services import groups_sync
    from resolutions.models import Resolution
    from resolutions.seed import seed_load

    groups_sync()
    seed_load()
    return Resolution.objects.get(symbol="11.10 (Rev.COP14)")


@pytest.fixture
def secretariat_user(db):
    from tests.factories import secretariat_user

    return secretariat_user()


@pytest.fixture
def reader_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="reader")


@pytest.fixture
def focal_point_user(db):
    from tests.factories import focal_point

    return focal_point(username="focal.uz", iso2="UZ")


@pytest.fixture
def other_focal_point_user(db):
    from tests.factories import focal_point

    return focal_point(username="focal.br", iso2="BR")


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's package) driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, with static files served as in production: by
    WhiteNoise, from the hashed files collected at session start. (pytest-django puts
    Django's StaticFilesHandler in front, which looks files up with the finders; they know
    css/app.css but not the css/app.<hash>.css the pages link to, so no stylesheet or
    script loaded in browser tests.)"""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.static_handler = _no_static_handler
    server.start()
    yield server
    server.stop()


def _no_static_handler(app):
    return app


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def admin(db):
    """A superuser (staff): every right, the admin site included."""
    from tests.factories import UserFactory

    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test ends in the default language: a request with another Accept-Language
    leaves its language active in the thread, and a later test would format in it."""
    yield
    from django.utils import translation

    translation.deactivate()
