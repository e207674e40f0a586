"""The mandate representation built directly (MandateSerializer.to_representation, for
speed), from a Mandate or from the list's plain rows, is exactly what the declared fields
give, for every kind of row and request."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from resolutions import selectors
from resolutions.models import Actor
from resolutions.serializers import MandateSerializer, request_links
from resolutions.services import mandate_status_update
from tests.factories import MandateFactory, MeetingFactory, ParagraphFactory, ResolutionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["testserver", "mandates.example.org:8443"])
def test_fast_representation_equals_the_declared_fields(secretariat_user, settings, host):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "mandates.example.org"]
    started = MeetingFactory(code="COP1", number=1, start_date="2020-01-01")
    plain = MandateFactory()
    due = MandateFactory(
        due_meeting=started,
        report_to=Actor.objects.get_or_create(slug="blg", defaults={"name": "BLG"})[0],
        cadence="each_meeting",
        subject_to_resources=True,
    )
    mandate_status_update(
        mandate=due,
        user=secretariat_user,
        status="in_progress",
        progress=40,
        narrative="Under way.",
        evidence_links=[],
        expected_version=0,
    )
    _link_every_kind(due, secretariat_user)
    _awkward(plain)
    request = Request(APIRequestFactory().get("/api/v1/mandates/", HTTP_HOST=host))
    rows = list(
        selectors.mandates_for_api()
        .prefetch_related(selectors.links_prefetch())
        .filter(pk__in=[plain.pk, due.pk])
    )
    assert len(rows) == 2
    # The list's plain rows, as CursorPagination reads a page through MandateViewSet.
    ordered = selectors.mandates_for_api().filter(pk__in=[plain.pk, due.pk])
    plain_rows = selectors.mandate_api_rows(ordered=ordered, limit=3)
    assert [row["id"] for row in plain_rows] == [mandate.pk for mandate in rows]
    by_id = {}
    for mandate, row in zip(rows, plain_rows, strict=True):
        serializer = MandateSerializer(context={"request": request})
        fast = by_id[mandate.pk] = serializer.to_representation(mandate)
        declared = serializers.ModelSerializer.to_representation(serializer, mandate)
        assert fast == dict(declared)
        assert list(fast) == list(declared)
        assert serializer.to_representation(row) == fast
    # The same page written by PostgreSQL, as the JSON list reads it.
    links = request_links({"request": request})
    documents = selectors.mandate_api_documents(
        ordered=ordered,
        limit=3,
        keys=["resolution__symbol", "position"],
        addresses=links.document_addresses(),
        today=links.today,
    )
    ids = [json.loads(row["document"])["id"] for row in documents]
    assert ids == [mandate.pk for mandate in rows]
    for row, mandate in zip(documents, rows, strict=True):
        document = json.loads(row["document"])
        assert document == by_id[mandate.pk]
        assert list(document) == list(by_id[mandate.pk])
        assert row["position"] == mandate.position  # the sort keys, for the cursor
    assert by_id[plain.pk]["created_at"].endswith(":00Z")  # whole seconds: no fraction
    assert "\u2028" in by_id[plain.pk]["paragraph"]["text"]
    assert [link["label"] for link in by_id[plain.pk]["links"]] == ["UN Environment Programme"]
    # The factories' symbols ("99.9", "99.10") sort either way round: read `due` by id.
    fast = by_id[due.pk]
    assert fast["is_overdue"] is True
    assert [(link["kind"], link["key"], link["state"]) for link in fast["links"]] == [
        ("gbf_target", "T21", "suggested"),
        ("organisation", "ramsar", "confirmed"),
        ("sdg", "17", "confirmed"),
    ]
    assert fast["links"][1]["label"] == "Ramsar" and fast["links"][1]["decided_at"]
    assert fast["url"].startswith(f"http://{host}/api/v1/mandates/")


def _awkward(mandate) -> None:
    """Text JSON has to escape, a timestamp in whole seconds, a link to an organisation
    without an acronym."""
    from partners.models import Organisation
    from resolutions.models import Mandate, MandateLink, Paragraph

    Paragraph.objects.filter(pk=mandate.paragraph_id).update(
        text='Requests "the Secretariat"\\ to act;\n\tnow\u2028and élan, 東京 \x01'
    )
    Mandate.objects.filter(pk=mandate.pk).update(
        created_at=dt.datetime(2024, 2, 12, 9, 30, tzinfo=dt.UTC)
    )
    unep = Organisation.objects.get_or_create(
        slug="unep", defaults={"name": "UN Environment Programme", "acronym": ""}
    )[0]
    MandateLink.objects.create(
        mandate=mandate,
        kind="organisation",
        organisation=unep,
        state="confirmed",
        decided_at=dt.datetime(2024, 3, 1, 8, 0, 0, 250, tzinfo=dt.UTC),
    )


def _link_every_kind(mandate, user) -> None:
    """A suggested GBF target, a confirmed convention and SDG, and a removed link (hidden)."""
    from partners.models import Organisation
    from resolutions.models import GbfTarget, LinkState, MandateLink, Sdg
    from resolutions.services import mandate_link_add, mandate_link_remove

    ramsar = Organisation.objects.update_or_create(
        slug="ramsar", defaults={"name": "Convention on Wetlands", "acronym": "Ramsar"}
    )[0]
    cites = Organisation.objects.get_or_create(slug="cites", defaults={"name": "CITES"})[0]
    target = GbfTarget.objects.get_or_create(code="T21", defaults={"number": 21, "title": "T"})[0]
    goal = Sdg.objects.get_or_create(number=17, defaults={"title": "Partnerships"})[0]
    MandateLink.objects.create(mandate=mandate, kind="gbf_target", gbf_target=target)
    mandate_link_add(mandate=mandate, user=user, organisation=ramsar)
    mandate_link_add(mandate=mandate, user=user, sdg=goal)
    removed = mandate_link_add(mandate=mandate, user=user, organisation=cites)
    mandate_link_remove(link=removed, user=user)
    assert MandateLink.objects.filter(mandate=mandate, state=LinkState.REJECTED).count() == 1


def test_the_compiled_statements_read_what_the_orm_reads(
    seed, client, secretariat_user, monkeypatch, settings
):
    """On PostgreSQL the list's two statements are compiled once and reused
    (`selectors._page_statement`, `_links_statement`): every page, in every ordering and
    direction, with filters that add joins or parameters, holds the rows the ORM's own
    queries give. So do the pages found by walking the resolutions in symbol order
    (`selectors.page_ids`), across resolutions and between two that share a symbol in
    different conventions."""
    # Far more requests than an anonymous client's rate allows.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    mandates = list(selectors.mandates_for_api().order_by("pk"))
    _link_every_kind(mandates[0], secretariat_user)
    _link_every_kind(mandates[5], secretariat_user)
    mandate_status_update(
        mandate=mandates[5], user=secretariat_user, status="ongoing", expected_version=0
    )
    _other_resolutions(seed)
    for cached in (selectors._document_statement, selectors._page_statement):
        cached.cache_clear()
    selectors._walk_mandates.cache_clear()
    with CaptureQueriesContext(connection) as queries:
        documents = _every_page(client)
    walks = [q["sql"] for q in queries.captured_queries if "CROSS JOIN LATERAL" in q["sql"]]
    assert len(walks) > 10
    assert any('"symbol" DESC' in sql for sql in walks)
    assert all("json_build_object" in sql for sql in walks)
    assert selectors._document_statement.cache_info().currsize >= 5
    assert selectors._walk_mandates.cache_info().currsize == 1  # the unfiltered first page
    assert {m.pk for m in mandates} <= {row["id"] for page in documents for row in page}
    assert sum(bool(row["links"]) for page in documents for row in page) >= 4

    # The rows, represented in Python (CSV, other time zones).
    monkeypatch.setattr(selectors, "_document_statement", lambda *args: None)
    assert _every_page(client) == documents
    assert selectors._page_statement.cache_info().currsize >= 5
    assert selectors._links_statement.cache_info().currsize == 1

    # The ORM's own queries.
    monkeypatch.setattr(selectors, "_page_statement", lambda *args: None)
    monkeypatch.setattr(selectors, "_links_statement", lambda *args: None)
    assert _every_page(client) == documents


def _other_resolutions(seed) -> None:
    """Resolutions before and after the seed in symbol order, and one with the seed's
    symbol in another convention, its paragraphs' orders among the seed's."""
    parties, secretariat = Actor.objects.get(slug="parties"), Actor.objects.get(slug="secretariat")
    for symbol, convention, orders in (
        ("10.2", "CMS", (5, 1, 3)),
        (seed.symbol, "CBD", (2, 40, 41)),
        ("12.5", "CMS", (3, 4)),
    ):
        resolution = ResolutionFactory(symbol=symbol, convention=convention)
        for order in orders:
            paragraph = ParagraphFactory(
                resolution=resolution, order=order, text=f"Urges cooperation, step {order};"
            )
            MandateFactory(paragraph=paragraph, actor=parties, position=0)
            MandateFactory(paragraph=paragraph, actor=secretariat, position=1)


def _every_page(client) -> list[list[dict]]:
    """Every page of a few lists, forwards then backwards, as clients read them."""
    pages = []
    for query in (
        "page_size=4",
        "page_size=4&ordering=-updated",
        "page_size=3&ordering=due,-status&status=not_started&status=ongoing",
        "page_size=2&q=cooperation&actor=parties&actor=secretariat",
        "page_size=5&organisation=ramsar&ordering=-resolution",
        "page_size=4&ordering=-resolution,-actor&q=cooperation",
        "page_size=3&ordering=resolution,-paragraph&actor=parties",
    ):
        url, previous = f"/api/v1/mandates/?{query}", []
        while url:
            body = client.get(url).json()
            pages.append(body["results"])
            previous.append(body["previous"])
            url = body["next"]
        for url in filter(None, reversed(previous)):
            pages.append(client.get(url).json()["results"])
        assert len(pages) > 1
    return pages


def test_the_json_list_is_written_by_postgresql_and_reads_as_the_python_one(
    client, secretariat_user, settings, monkeypatch
):
    """The JSON list's page comes from PostgreSQL (one statement) and is sent as written,
    escaped as DRF escapes; the same data as the rows represented in Python, indented on
    request; in another time zone, and as CSV, the rows are represented in Python."""
    due = MandateFactory(due_meeting=MeetingFactory(code="COP1", number=1, start_date="2020-01-01"))
    _link_every_kind(due, secretariat_user)
    plain = MandateFactory()
    _awkward(plain)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/mandates/?page_size=10")
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "json_build_object" in q["sql"]]
    body = response.content.decode()
    assert "\u2028" not in body and "\\u2028" in body
    documents = response.json()
    assert len(documents["results"]) == 2

    monkeypatch.setattr(selectors, "_document_statement", lambda *args: None)
    rows = client.get("/api/v1/mandates/?page_size=10")
    assert rows.json() == documents
    assert rows["ETag"] != response["ETag"]  # other bytes (spacing), another tag
    monkeypatch.undo()

    # A client's conditional GET: the tag of the bytes it was sent.
    again = client.get("/api/v1/mandates/?page_size=10", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304

    indented = client.get(
        "/api/v1/mandates/?page_size=10", HTTP_ACCEPT="application/json; indent=2"
    )
    assert indented.content.startswith(b'{\n  "next"')
    assert indented.json() == documents

    csv = client.get("/api/v1/mandates/?page_size=10&format=csv")
    assert csv.status_code == 200 and "UN Environment Programme" in csv.content.decode()

    settings.TIME_ZONE = "Asia/Kathmandu"
    with CaptureQueriesContext(connection) as queries:
        local = client.get("/api/v1/mandates/?page_size=10").json()
    assert not [q["sql"] for q in queries.captured_queries if "json_build_object" in q["sql"]]
    assert [row["id"] for row in local["results"]] == [row["id"] for row in documents["results"]]
    assert all(row["created_at"].endswith("+05:45") for row in local["results"])


def test_a_raw_json_array_reads_as_its_items():
    from cms_mandates.rest import ApiJSONRenderer, RawJSONArray

    array = RawJSONArray(['{"id" : 1}', '{"id" : 2, "text" : "a\u2028b"}'])
    assert len(array) == 2 and array[1]["text"] == "a\u2028b" and array == [{"id": 1}, array[1]]
    body = ApiJSONRenderer().render({"next": None, "results": array}, "application/json")
    assert json.loads(body) == {"next": None, "results": [{"id": 1}, {"id": 2, "text": "a\u2028b"}]}
    assert b"\\u2028" in body
    assert ApiJSONRenderer().render({"next": None}, "application/json") == b'{"next":null}'
