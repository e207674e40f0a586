"""The mandate representation built directly (MandateSerializer.to_representation, for
speed), from a Mandate or from the list's plain rows, is exactly what the declared fields
give, for every kind of row and request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from resolutions import selectors
from resolutions.models import Actor
from resolutions.serializers import MandateSerializer
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
    selectors._page_statement.cache_clear()
    with CaptureQueriesContext(connection) as queries:
        compiled = _every_page(client)
    walks = [q["sql"] for q in queries.captured_queries if "CROSS JOIN LATERAL" in q["sql"]]
    assert len(walks) > 10
    assert any('"symbol" DESC' in sql for sql in walks)
    assert selectors._page_statement.cache_info().currsize >= 5
    assert selectors._links_statement.cache_info().currsize == 1
    assert {m.pk for m in mandates} <= {row["id"] for page in compiled for row in page}
    assert sum(bool(row["links"]) for page in compiled for row in page) >= 4

    monkeypatch.setattr(selectors, "_page_statement", lambda *args: None)
    monkeypatch.setattr(selectors, "_links_statement", lambda *args: None)
    assert _every_page(client) == compiled


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
