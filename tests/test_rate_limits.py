"""The API's rate limits (cms_mandates/rest.py, AnonymousThrottle and UserThrottle) on the
suite's real Redis: every request counted even when many arrive at once, a refusal that
says when to come back, a window that slides, and requests that go on while Redis is
down. The in-process cache of `make run` keeps DRF's own counting."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory

from cms_mandates.rest import AnonymousThrottle
from tests.processes import manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings):
    def set_rate(anon: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": "1000/minute"},
        }

    return set_rate


@pytest.fixture
def address():
    """A client address of this test's own, its window removed afterwards."""
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    key = AnonymousThrottle.cache_format % {"scope": "anon", "ident": ip}
    cache.delete(key)
    yield ip
    cache.delete(key)


def _request(ip: str):
    request = RequestFactory().get("/api/v1/actors/", REMOTE_ADDR=ip)
    request.user = AnonymousUser()
    return request


def _ask(ip: str) -> AnonymousThrottle:
    """One request's throttle (DRF makes one per request), having counted the request."""
    throttle = AnonymousThrottle()
    throttle.allowed = throttle.allow_request(_request(ip), None)
    return throttle


def test_requests_arriving_together_are_all_counted(rate, address):
    rate("10/minute")
    start = threading.Barrier(40)
    verdicts: list[bool] = []

    def one() -> None:
        start.wait()
        verdicts.append(_ask(address).allowed)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(verdicts) == 40
    assert verdicts.count(True) == 10
    # The window holds exactly the ten counted requests; refused ones are not counted.
    key = cache.make_and_validate_key(
        AnonymousThrottle.cache_format % {"scope": "anon", "ident": address}
    )
    assert cache._cache.get_client(key).zcard(key) == 10


def test_a_refusal_says_when_to_come_back_and_the_window_slides(rate, address):
    rate("2/second")
    assert _ask(address).allowed
    time.sleep(0.5)
    assert _ask(address).allowed
    refused = _ask(address)
    assert not refused.allowed
    assert 0.3 < refused.wait() <= 0.5  # when the first hit leaves the window
    time.sleep(refused.wait() + 0.05)
    assert _ask(address).allowed
    assert not _ask(address).allowed  # the second hit is still in the window


def test_the_api_answers_429_with_retry_after_over_the_limit(rate, address, client):
    rate("2/minute")
    for _ in range(2):
        assert client.get("/api/v1/actors/", REMOTE_ADDR=address).status_code == 200
    refused = client.get("/api/v1/actors/", REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert 59 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["type"] == "/api/v1/problems/throttled/"


def test_requests_go_on_uncounted_while_redis_is_down(rate, address, settings):
    rate("1/minute")
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    assert all(_ask(address).allowed for _ in range(3))


def test_the_in_process_cache_of_make_run_keeps_drfs_counting(rate, address, settings):
    rate("2/minute")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [_ask(address).allowed for _ in range(3)] == [True, True, False]
    assert 0 < _ask(address).wait() <= 60


def test_the_cache_shares_one_redis_client_between_operations():
    client = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b", write=True) is client
    cache.set("shared-client-check", 1, 5)
    assert cache.get("shared-client-check") == 1
    cache.delete("shared-client-check")


def test_windows_do_not_meet_drfs_own_counters(rate, address):
    """While a deployment replaces the workers, DRF's pickled list and the sorted set of a
    window must not land on one key (each would fail reading the other)."""
    rate("5/minute")
    drf_key = f"throttle_anon_{address}"
    cache.set(drf_key, [time.time()], 60)
    try:
        assert _ask(address).allowed
        assert cache.get(drf_key) is not None
    finally:
        cache.delete(drf_key)


def test_an_empty_rate_counts_nothing(rate, address, client):
    rate(None)  # API_THROTTLE_ANON= (empty) in the environment
    assert all(_ask(address).allowed for _ in range(30))
    assert cache.get(AnonymousThrottle.cache_format % {"scope": "anon", "ident": address}) is None
    assert client.get("/api/v1/actors/", REMOTE_ADDR=address).status_code == 200


def _start(anon_rate: str) -> subprocess.CompletedProcess:
    """The settings read in a process of their own, with API_THROTTLE_ANON set."""
    return manage("shell", "-c", RATES, env={"API_THROTTLE_ANON": anon_rate, "DEBUG": "true"})


RATES = "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"


def test_rates_are_read_from_the_environment_and_empty_is_none():
    assert "{'anon': '30/hour', 'user':" in _start(" 30/hour ").stdout
    assert "{'anon': None, 'user':" in _start("").stdout


@pytest.mark.parametrize("value", ["120", "many/minute", "120/fortnight"])
def test_a_rate_drf_cannot_read_stops_the_start_with_its_name(value):
    started = _start(value)
    assert started.returncode != 0
    assert f"API_THROTTLE_ANON: {value!r} is not a rate such as 120/minute" in started.stderr
