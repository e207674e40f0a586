"""Helpers of the REST API tests: credentials, problem responses, conditional writes."""

from __future__ import annotations

import json
from typing import Any

from partners.services import api_token_ensure

PROBLEM = "application/problem+json"


def token_headers(user) -> dict[str, str]:
    """Django test client keyword arguments that authenticate as `user` with a token."""
    token, _ = api_token_ensure(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def problem(response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/problems/")
    assert body["title"] and body["detail"]
    assert body["instance"].startswith("/api/v1/")
    return body


def mandate_etag(client, mandate_id: int, **headers: str) -> str:
    response = client.get(f"/api/v1/mandates/{mandate_id}/", **headers)
    assert response.status_code == 200
    return response["ETag"]


def post_status_update(
    client, mandate_id: int, body: dict[str, Any], *, etag: str | None = None, **headers: str
):
    if etag is not None:
        headers["HTTP_IF_MATCH"] = etag
    return client.post(
        f"/api/v1/mandates/{mandate_id}/status-updates/",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )
