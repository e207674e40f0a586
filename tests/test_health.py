"""/healthz reports the database and the broker, with real services."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_broker_down_is_503_and_named(client, settings):
    # A port nothing listens on: a real refused connection, not a stand-in.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_embedded_default_reports_the_broker_in_process(client, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz").json()["broker"] == "in-process"


def test_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
