"""The web server freezes what is alive after its first requests out of the garbage
collector's sight (`cms_mandates.heap`), at the request counts of GC_FREEZE_AFTER_REQUESTS
and only then, answering every request as before."""

from __future__ import annotations

import gc
import io
import sys
import weakref

import pytest
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from cms_mandates.heap import FreezeAfterWarmUp, parse_counts
from tests.processes import manage


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.fixture
def served_in_test():
    """Requests served by a WSGI handler of our own keep the test's connection (and its
    transaction), as the test client's do."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _get(application, path: str) -> tuple[str, bytes]:
    answer: dict[str, str] = {}
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    body = b"".join(application(environ, lambda status, headers: answer.update(status=status)))
    return answer["status"], body


@pytest.mark.django_db
def test_the_heap_is_frozen_before_the_requests_that_follow_the_counts(
    unfrozen, served_in_test, seed
):
    plain = get_wsgi_application()
    application = FreezeAfterWarmUp(plain, after=(2, 4))
    expected = _get(plain, "/api/v1/resolutions/")
    assert expected[0] == "200 OK"
    frozen = []
    for _ in range(6):
        assert _get(application, "/api/v1/resolutions/") == expected
        frozen.append(gc.get_freeze_count())
    # Before the 3rd request (after 2 served), again before the 5th; never otherwise.
    assert frozen[0] == frozen[1] == 0
    assert frozen[2] > 10_000, "the loaded application is frozen"
    assert frozen[2] == frozen[3]
    assert frozen[4] >= frozen[3]
    assert frozen[5] == frozen[4]

    # A cycle made after a freeze is still collected.
    class Node:
        pass

    node = Node()
    node.itself = node
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None


def test_without_counts_nothing_is_frozen(unfrozen):
    calls = []

    def application(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return [b""]

    wrapped = FreezeAfterWarmUp(application, after=())
    for n in range(5):
        assert _get(wrapped, f"/{n}") == ("204 No Content", b"")
    assert calls == [f"/{n}" for n in range(5)]
    assert gc.get_freeze_count() == 0


def test_the_served_application_freezes_at_the_configured_counts():
    from cms_mandates import wsgi

    assert isinstance(wsgi.application, FreezeAfterWarmUp)
    assert wsgi.application.after == frozenset(settings.GC_FREEZE_AFTER_REQUESTS)


def test_counts_are_read_as_whole_numbers():
    assert parse_counts("10,100,1000") == (10, 100, 1000)
    assert parse_counts(" 100 , 10,10 ") == (10, 100)
    assert parse_counts("") == ()
    for wrong in ("0", "-5", "ten", "1.5"):
        with pytest.raises(ValueError, match="GC_FREEZE_AFTER_REQUESTS"):
            parse_counts(wrong)


def test_a_wrong_count_stops_the_start_with_a_message():
    started = manage("check", env={"GC_FREEZE_AFTER_REQUESTS": "10,ten", "DEBUG": "true"})
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert "GC_FREEZE_AFTER_REQUESTS: 'ten' is not a whole number" in started.stderr
