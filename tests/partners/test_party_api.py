"""`/api/v1/parties/`: Parties, their obligations, and the write of a Party's own status,
refused to every role but that Party's focal points and the Secretariat."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partners.models import Party, PartyStatus
from partners.selectors import party_obligations
from resolutions.models import Mandate
from tests.api_helpers import problem, token_headers
from tests.factories import (
    MandateFactory,
    ParagraphFactory,
    PartyStatusFactory,
    ResolutionFactory,
)

pytestmark = pytest.mark.django_db


def post_status(client: Client, iso2: str, body: dict, **headers):
    return client.post(
        f"/api/v1/parties/{iso2}/statuses/",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_parties_list_and_detail(cms_parties, client):
    body = client.get("/api/v1/parties/?region=oceania&page_size=200").json()
    assert [p["iso2"] for p in body["results"]] == ["AU", "CK", "FJ", "NZ", "PW", "WS"]
    uz = client.get("/api/v1/parties/uz/").json()
    assert uz["name"] == "Uzbekistan" and uz["region"] == "asia"
    assert uz["html_url"].endswith("/parties/uz/")
    assert uz["obligations_url"].endswith("/api/v1/parties/UZ/obligations/")
    assert client.get("/api/v1/parties/EU/").json()["name"] == "European Union"
    problem(client.get("/api/v1/parties/ZZ/"), 404)
    problem(client.get("/api/v1/parties/?region=atlantis"), 400)
    csv = client.get("/api/v1/parties/?q=kenya&format=csv")
    assert csv["Content-Type"].startswith("text/csv") and "KE" in csv.content.decode()


def test_obligations_list_the_mandates_addressed_to_the_party_with_its_own_status(
    seed, focal_point_user, other_focal_point_user, client
):
    party_mandates = list(
        Mandate.objects.filter(actor__slug="parties").order_by("paragraph__order")
    )
    uz, br = Party.objects.get(iso2="UZ"), Party.objects.get(iso2="BR")
    PartyStatusFactory(party=uz, mandate=party_mandates[0], status="implemented", narrative="Done.")
    PartyStatusFactory(party=br, mandate=party_mandates[1], status="in_progress")
    body = client.get("/api/v1/parties/UZ/obligations/?page_size=200").json()
    rows = body["results"]
    assert [r["mandate"] for r in rows] == [m.pk for m in party_mandates]
    first = rows[0]
    assert first["party_status"] == "implemented" and first["party_version"] == 1
    assert first["party_narrative"] == "Done."
    assert first["paragraph"] == party_mandates[0].paragraph.label
    assert first["resolution"]["title"] == seed.title and first["verb"]
    assert rows[1]["party_status"] == "not_reported" and rows[1]["party_version"] == 0
    reported = client.get("/api/v1/parties/uz/obligations/?party_status=implemented").json()
    assert [r["mandate"] for r in reported["results"]] == [party_mandates[0].pk]
    problem(client.get("/api/v1/parties/UZ/obligations/?party_status=done"), 400)
    problem(client.get("/api/v1/parties/UZ/obligations/?region=asia"), 400)


def test_obligations_built_directly_match_the_declared_fields(seed, focal_point_user, settings):
    """The page's rows are built by one function (`ObligationListSerializer`); each is what
    ObligationSerializer's declared fields give, in the same key order: reported and not,
    with a sub-paragraph, in another language and another time zone."""
    from django.utils import translation
    from rest_framework import serializers
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from partners.serializers import ObligationSerializer

    settings.TIME_ZONE = "Asia/Tashkent"
    uz = Party.objects.get(iso2="UZ")
    mandates = list(Mandate.objects.filter(actor__slug="parties").order_by("pk"))
    child = ParagraphFactory(resolution=seed, parent=mandates[1].paragraph, number="b", order=999)
    MandateFactory(resolution=seed, paragraph=child, actor=mandates[0].actor)
    PartyStatusFactory(party=uz, mandate=mandates[0], status="implemented", narrative="Done.")
    request = Request(APIRequestFactory().get("/api/v1/parties/UZ/obligations/"))
    with translation.override("fr"):
        rows = list(party_obligations(party=uz))
        fast = ObligationSerializer(rows, many=True, context={"request": request}).data
        declared = [
            serializers.Serializer.to_representation(
                ObligationSerializer(context={"request": request}), row
            )
            for row in rows
        ]
    assert [list(row) for row in fast] == [list(row) for row in declared]
    assert fast == declared
    reported = next(row for row in fast if row["party_status"] == "implemented")
    assert reported["party_reported_at"] and reported["party_as_of"]
    assert reported["party_reported_at"].endswith("+05:00")
    assert any(" (b)" in row["paragraph"] for row in fast)
    assert fast[0]["resolution"]["symbol"].startswith("Résolution")


def test_obligations_run_a_fixed_number_of_queries(
    seed, focal_point_user, django_assert_num_queries
):
    client = Client()
    with django_assert_num_queries(2) as small:
        client.get("/api/v1/parties/UZ/obligations/?page_size=200")
    uz = Party.objects.get(iso2="UZ")
    actor = Mandate.objects.filter(actor__slug="parties").first().actor
    for number in range(3):
        MandateFactory(paragraph=ParagraphFactory(resolution=seed, order=900 + number), actor=actor)
    for mandate in Mandate.objects.filter(actor__slug="parties"):
        PartyStatusFactory(party=uz, mandate=mandate)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/parties/UZ/obligations/?page_size=200")
    assert all(r["party_status"] == "in_progress" for r in response.json()["results"])


def test_obligations_pages_are_chosen_by_their_sort_keys_and_walk_both_ways(
    seed, focal_point_user, client
):
    """The page's rows are picked by their sort keys alone (a narrow subquery, walking the
    resolutions in symbol order), then read whole; walking the pages forwards and back
    gives every obligation once, in the order the ORM gives, across resolutions (one with
    the seed's symbol in another convention), with a filter on the Party's own status too."""
    uz = Party.objects.get(iso2="UZ")
    parties = Mandate.objects.filter(actor__slug="parties").first().actor
    for symbol, convention, orders in (
        ("10.2", "CMS", (5, 1)),
        (seed.symbol, "CBD", (2, 40)),  # interleaved with the seed's paragraphs
        ("12.5", "CMS", (3,)),
    ):
        resolution = ResolutionFactory(symbol=symbol, convention=convention)
        for order in orders:
            paragraph = ParagraphFactory(resolution=resolution, order=order)
            MandateFactory(paragraph=paragraph, actor=parties)
    mandates = list(Mandate.objects.filter(actor__slug="parties").order_by("paragraph__order"))
    for mandate in mandates[::2]:
        PartyStatusFactory(party=uz, mandate=mandate, status="in_progress")
    obligations = party_obligations(party=uz)
    for query, status in (("", None), ("&party_status=in_progress", "in_progress")):
        orm = obligations.filter(party_status=status) if status else obligations
        expected = list(orm.values_list("pk", flat=True))
        assert len(expected) > 5
        assert len({m.resolution_id for m in orm}) > 2
        whole = client.get(f"/api/v1/parties/UZ/obligations/?page_size=200{query}").json()
        assert [r["mandate"] for r in whole["results"]] == expected
        walked, url, pages = [], f"/api/v1/parties/UZ/obligations/?page_size=2{query}", []
        while url:
            body = client.get(url).json()
            pages.append(body)
            walked += [r["mandate"] for r in body["results"]]
            url = body["next"]
        assert walked == expected
        back, url = [], pages[-1]["previous"]
        while url:
            body = client.get(url).json()
            back = [r["mandate"] for r in body["results"]] + back
            url = body["previous"]
        assert back + [r["mandate"] for r in pages[-1]["results"]] == expected
        assert [r for p in pages for r in p["results"]] == whole["results"]

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/parties/UZ/obligations/?page_size=2").status_code == 200
    (page,) = [q["sql"] for q in queries.captured_queries if "LIMIT 3" in q["sql"]]
    keys = page[page.index("IN (SELECT") : page.index("LIMIT 3")]
    assert '"text"' in page and '"text"' not in keys and "ORDER BY" in keys
    assert "CROSS JOIN LATERAL" in keys


# --- The write ----------------------------------------------------------------------------


@pytest.fixture
def mandate(seed) -> Mandate:
    return Mandate.objects.filter(actor__slug="parties").order_by("paragraph__order").first()


def test_focal_point_records_its_partys_status(client, mandate, focal_point_user):
    headers = token_headers(focal_point_user)
    body = {
        "mandate": mandate.pk,
        "status": "in_progress",
        "narrative": "Working group set up.",
        "evidence_links": ["https://example.org/uz"],
        "version": 0,
    }
    response = post_status(client, "uz", body, **headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["party"], data["version"], data["author"]) == ("UZ", 1, "focal.uz")
    assert data["previous_status"] == "not_reported"
    # The same report again, based on the version now current, changes nothing: 204.
    again = post_status(
        client, "UZ", {"mandate": mandate.pk, "status": "in_progress", "version": 1}, **headers
    )
    assert again.status_code == 204
    assert PartyStatus.objects.count() == 1


def test_stale_version_or_if_match_is_a_412_and_writes_nothing(client, mandate, focal_point_user):
    headers = token_headers(focal_point_user)
    base = {"mandate": mandate.pk, "status": "in_progress", "version": 0}
    assert post_status(client, "UZ", base, **headers).status_code == 201
    stale = problem(post_status(client, "UZ", {**base, "status": "implemented"}, **headers), 412)
    assert stale["current_version"] == 1
    assert stale["current_etag"] == f'"party-UZ-mandate-{mandate.pk}-v1"'
    assert stale["latest_status"]["status"] == "in_progress"
    body = {"mandate": mandate.pk, "status": "implemented"}
    old_tag = f'"party-UZ-mandate-{mandate.pk}-v0"'
    problem(post_status(client, "UZ", body, HTTP_IF_MATCH=old_tag, **headers), 412)
    assert PartyStatus.objects.count() == 1
    current = stale["current_etag"]
    assert post_status(client, "UZ", body, HTTP_IF_MATCH=current, **headers).status_code == 201
    problem(post_status(client, "UZ", body, HTTP_IF_MATCH='"mandate-1-v1"', **headers), 400)
    # Without a version the report is recorded after whatever is latest.
    unchecked = {"mandate": mandate.pk, "status": "not_applicable"}
    assert post_status(client, "UZ", unchecked, **headers).status_code == 201
    assert list(PartyStatus.objects.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
        3,
    ]


def test_write_is_refused_to_every_other_role(
    client, mandate, focal_point_user, other_focal_point_user, reader_user, secretariat_user
):
    body = {"mandate": mandate.pk, "status": "implemented"}
    problem(post_status(client, "UZ", body), 401)
    for user in (other_focal_point_user, reader_user):
        problem(post_status(client, "UZ", body, **token_headers(user)), 403)
    # Even with a body that is not valid: the role is checked first.
    problem(post_status(client, "UZ", {}, **token_headers(other_focal_point_user)), 403)
    # A focal point of Uzbekistan cannot report for Brazil either.
    problem(post_status(client, "BR", body, **token_headers(focal_point_user)), 403)
    assert PartyStatus.objects.count() == 0
    response = post_status(client, "BR", body, **token_headers(secretariat_user))
    assert response.status_code == 201 and response.json()["party"] == "BR"
    response = post_status(
        client, "BR", body | {"status": "in_progress"}, **token_headers(other_focal_point_user)
    )
    assert response.status_code == 201


def test_bad_input_is_a_400_naming_the_field(client, seed, mandate, focal_point_user):
    headers = token_headers(focal_point_user)
    secretariat_mandate = Mandate.objects.filter(actor__slug="secretariat").first()
    errors = problem(
        post_status(
            client, "UZ", {"mandate": secretariat_mandate.pk, "status": "implemented"}, **headers
        ),
        400,
    )["errors"]
    assert "mandate" in errors
    errors = problem(
        post_status(client, "UZ", {"mandate": mandate.pk, "status": "done"}, **headers), 400
    )["errors"]
    assert "status" in errors
    errors = problem(
        post_status(
            client,
            "UZ",
            {"mandate": mandate.pk, "status": "implemented", "as_of": "2999-01-01"},
            **headers,
        ),
        400,
    )["errors"]
    assert "as_of" in errors
    assert PartyStatus.objects.count() == 0
