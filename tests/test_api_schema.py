"""The OpenAPI contract: /api/v1/schema/ documents every endpoint, parameter, response and
error with examples; the examples and real responses conform to it; and schemathesis,
generating requests from the schema against the app on PostgreSQL, finds no 5xx and no
response that breaks the schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from resolutions.models import Mandate
from tests.api_helpers import mandate_etag, post_status_update, token_headers

pytestmark = pytest.mark.django_db

OPERATIONS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(client) -> dict[str, Any]:
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def _operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield path, method, operation


# --- The schema itself --------------------------------------------------------------------


def test_schema_generates_without_warnings_and_is_valid_openapi(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert "openapi: 3" in (tmp_path / "s.yaml").read_text()


def test_every_api_address_is_documented(schema):
    from cms_mandates.api_urls import router

    documented = set(schema["paths"])
    routes = {
        url.pattern.regex.pattern
        for url in router.urls
        if url.name != "api-root" and "format" not in url.pattern.regex.pattern
    }
    assert {
        "/api/v1/resolutions/",
        "/api/v1/resolutions/{id}/",
        "/api/v1/paragraphs/",
        "/api/v1/paragraphs/{id}/",
        "/api/v1/actors/",
        "/api/v1/actors/{slug}/",
        "/api/v1/mandates/",
        "/api/v1/mandates/{id}/",
        "/api/v1/mandates/{id}/status-updates/",
        "/api/v1/status-updates/",
        "/api/v1/status-updates/{id}/",
        "/api/v1/problems/{slug}/",
    } <= documented
    assert len(routes) == len(documented), sorted(routes)


def test_every_registered_viewset_follows_the_conventions():
    """A viewset registered without ApiViewMixin would skip strict parameters, ETags and
    Idempotency-Key: refuse it here rather than in production."""
    from rest_framework.views import APIView

    from cms_mandates.api_urls import router
    from cms_mandates.rest import ApiViewMixin

    assert router.registry
    for prefix, viewset, basename in router.registry:
        assert issubclass(viewset, ApiViewMixin), prefix
        # Before DRF's APIView, so that its initial() and finalize_response() run.
        assert viewset.__mro__.index(ApiViewMixin) < viewset.__mro__.index(APIView), prefix
        assert basename.startswith("api-"), prefix


def test_every_operation_documents_its_parameters_responses_and_errors(schema):
    for path, method, operation in _operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary") and operation.get("description"), where
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (where, parameter["name"])
        responses = operation["responses"]
        for code in ("400", "401", "406", "429"):
            assert code in responses, (where, code)
        if "{" in path:
            assert "404" in responses, where
        for code, response in responses.items():
            assert response.get("description"), (where, code)
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (where, code)
                assert response["content"]["application/problem+json"].get("examples"), (
                    where,
                    code,
                )
            elif code in ("200", "201"):
                assert response["content"]["application/json"].get("examples"), (where, code)
        if method == "get":
            assert "304" in responses and "ETag" in responses["200"]["headers"], where
            assert {"format", "If-None-Match"} <= {p["name"] for p in operation["parameters"]}
        if method == "post":
            assert {"409", "422", "403", "415"} <= set(responses), where
            assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}


def test_lists_document_their_filters_paging_and_csv(schema):
    mandates = schema["paths"]["/api/v1/mandates/"]["get"]
    params = {p["name"]: p for p in mandates["parameters"]}
    for name in (
        "actor",
        "resolution",
        "verb",
        "strength",
        "status",
        "due_meeting",
        "q",
        "ordering",
        "updated_since",
        "cursor",
        "page_size",
        "format",
    ):
        assert name in params, name
    assert params["page_size"]["schema"]["maximum"] == 200
    assert params["updated_since"]["schema"]["format"] == "date-time"
    assert params["format"]["schema"]["enum"] == ["json", "csv"]
    ok = mandates["responses"]["200"]
    assert set(ok["content"]) == {"application/json", "text/csv"}
    assert "Link" in ok["headers"]
    envelope = schema["components"]["schemas"]["PaginatedMandateList"]
    assert set(envelope["properties"]) == {"next", "previous", "results"}


def test_the_status_update_documents_its_preconditions(schema):
    post = schema["paths"]["/api/v1/mandates/{id}/status-updates/"]["post"]
    if_match = next(p for p in post["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True and if_match["in"] == "header"
    assert {"201", "204", "412", "428"} <= set(post["responses"])
    stale = post["responses"]["412"]["content"]["application/problem+json"]["schema"]
    assert stale["allOf"][1]["required"] == ["current_version", "current_etag", "latest_update"]


def test_the_api_description_explains_the_conventions(schema):
    description = schema["info"]["description"]
    for topic in ("Authorization: Token", "cursor", "page_size", "If-Match", "Idempotency-Key"):
        assert topic in description, topic


# --- Examples and real responses conform ----------------------------------------------------


def _json_schema(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: $refs inlined, `nullable` as a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    node = {k: _json_schema(v, components) for k, v in node.items() if k != "example"}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _validator(schema: dict[str, Any], fragment: dict[str, Any]):
    converted = _json_schema(copy.deepcopy(fragment), schema["components"]["schemas"])
    return jsonschema.Draft7Validator(converted)


def test_every_example_conforms_to_its_schema(schema):
    checked = 0
    for path, method, operation in _operations(schema):
        bodies = list(operation.get("responses", {}).items())
        if "requestBody" in operation:
            bodies.append(("request", operation["requestBody"]))
        for code, response in bodies:
            for media_type, content in response.get("content", {}).items():
                if media_type == "text/csv":
                    continue
                validator = _validator(schema, content["schema"])
                for name, example in content.get("examples", {}).items():
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert not errors, (method, path, code, name, errors)
                    checked += 1
    assert checked > 40


@pytest.fixture
def conforms(schema):
    def check(response, path: str, method: str = "get") -> None:
        operation = schema["paths"][path][method]
        declared = operation["responses"][str(response.status_code)]
        if response.status_code in (204, 304):
            assert response.content == b""
            return
        media_type = response["Content-Type"].split(";")[0]
        assert media_type in declared["content"], (path, response.status_code, media_type)
        if media_type == "text/csv":
            return
        errors = [
            e.message
            for e in _validator(schema, declared["content"][media_type]["schema"]).iter_errors(
                json.loads(response.content)
            )
        ]
        assert not errors, (path, response.status_code, errors)

    return check


def test_real_responses_conform_to_the_schema(client, seed, secretariat_user, conforms):
    mandate = Mandate.objects.filter(actor__slug="parties").first()
    for resource, detail in (
        ("resolutions", f"/api/v1/resolutions/{mandate.resolution_id}/"),
        ("paragraphs", f"/api/v1/paragraphs/{mandate.paragraph_id}/"),
        ("actors", "/api/v1/actors/parties/"),
        ("mandates", f"/api/v1/mandates/{mandate.pk}/"),
    ):
        conforms(client.get(f"/api/v1/{resource}/?page_size=3"), f"/api/v1/{resource}/")
        conforms(client.get(f"/api/v1/{resource}/?format=csv"), f"/api/v1/{resource}/")
        key = "{slug}" if resource == "actors" else "{id}"
        template = f"/api/v1/{resource}/{key}/"
        conforms(client.get(detail), template)
        conforms(client.get(detail, HTTP_IF_NONE_MATCH=client.get(detail)["ETag"]), template)
        conforms(client.get(f"/api/v1/{resource}/?nope=1"), f"/api/v1/{resource}/")

    write = "/api/v1/mandates/{id}/status-updates/"
    editor = token_headers(secretariat_user)
    etag = mandate_etag(client, mandate.pk)
    body = {"status": "ongoing", "evidence_links": ["https://example.org/x"]}
    conforms(post_status_update(client, mandate.pk, body, **editor), write, "post")  # 428
    conforms(post_status_update(client, mandate.pk, body, etag=etag, **editor), write, "post")
    conforms(post_status_update(client, mandate.pk, body, etag=etag, **editor), write, "post")
    conforms(post_status_update(client, mandate.pk, {"status": 1}, etag=etag), write, "post")
    fresh = mandate_etag(client, mandate.pk)
    conforms(post_status_update(client, mandate.pk, {}, etag=fresh, **editor), write, "post")
    conforms(client.get("/api/v1/status-updates/"), "/api/v1/status-updates/")
    update = client.get("/api/v1/status-updates/").json()["results"][0]["id"]
    conforms(client.get(f"/api/v1/status-updates/{update}/"), "/api/v1/status-updates/{id}/")
    conforms(client.get("/api/v1/problems/stale-version/"), "/api/v1/problems/{slug}/")


# --- Schemathesis -------------------------------------------------------------------------

#: Generated requests per operation (fuzzing phase), on top of the schema's own examples
#: and the coverage phase's boundary cases (a fixed set derived from the schema).
MAX_EXAMPLES = 15


@pytest.fixture
def in_process_wsgi():
    """Calls to the WSGI app share this test's database transaction. Like Django's test
    client, keep the end of each request from closing that connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _api_schema():
    """The app's own schema, loaded from the app itself (in-process WSGI; generating it
    reads no database). Requests per operation are bounded and reproducible
    (derandomized): the schema's examples, the coverage phase's boundary and invalid
    values, and MAX_EXAMPLES generated ones."""
    from django.core.wsgi import get_wsgi_application

    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
        }
    )
    return schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", get_wsgi_application(), config=config
    )


API_SCHEMA = _api_schema()


@API_SCHEMA.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case, seed, secretariat_user, settings, in_process_wsgi):
    """No 5xx, and every status, media type, header and body as the schema says. Calls are
    made as a Secretariat editor, so that writes run; a write to an existing mandate
    carries its current ETag, so that generated bodies reach the service."""
    from django.test import Client

    # Schemathesis sends hundreds of requests a minute from one address.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    headers = {"Authorization": token_headers(secretariat_user)["HTTP_AUTHORIZATION"]}
    if case.method == "POST" and "status-updates" in case.path:
        mandate_id = (case.path_parameters or {}).get("id")
        if isinstance(mandate_id, int) and Mandate.objects.filter(pk=mandate_id).exists():
            headers["If-Match"] = mandate_etag(Client(), mandate_id)
    case.call_and_validate(
        headers=headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
