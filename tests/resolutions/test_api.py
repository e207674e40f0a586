"""The read endpoints of /api/v1/: resolutions, paragraphs, actors, mandates, status
updates. Fields, envelope and links; filters; a fixed number of queries per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms_mandates.rest import MAX_PAGE_SIZE
from resolutions.models import Actor, Mandate, Paragraph, Resolution, StatusUpdate
from resolutions.services import mandate_status_update
from tests.api_helpers import problem
from tests.factories import ActorFactory, MandateFactory, MeetingFactory, ResolutionFactory

pytestmark = pytest.mark.django_db

ENVELOPE = {"next", "previous", "results"}
RESOLUTION_FIELDS = {
    "id",
    "url",
    "html_url",
    "convention",
    "symbol",
    "display_symbol",
    "kind",
    "title",
    "status",
    "adopted_at",
    "supersedes",
    "source_name",
    "operative_paragraphs",
    "mandate_counts",
    "paragraphs_url",
    "mandates_url",
    "created_at",
    "updated_at",
}
PARAGRAPH_FIELDS = {
    "id",
    "url",
    "resolution",
    "part",
    "number",
    "parent",
    "order",
    "heading",
    "text",
    "language",
    "directives",
    "mandates",
}
ACTOR_FIELDS = {
    "slug",
    "url",
    "html_url",
    "name",
    "kind",
    "aliases",
    "description",
    "order",
    "mandate_count",
    "open_mandate_count",
    "mandates_url",
}
MANDATE_FIELDS = {
    "id",
    "url",
    "html_url",
    "links",
    "resolution",
    "paragraph",
    "actor",
    "position",
    "verb",
    "verb_phrase",
    "addressee_phrase",
    "strength",
    "subject_to_resources",
    "due_meeting",
    "cadence",
    "report_to",
    "status",
    "progress",
    "version",
    "is_overdue",
    "status_changed_at",
    "status_updates_url",
    "created_at",
    "updated_at",
}
STATUS_UPDATE_FIELDS = {
    "id",
    "url",
    "mandate",
    "mandate_url",
    "version",
    "status",
    "previous_status",
    "progress",
    "narrative",
    "evidence_links",
    "evidence_files",
    "as_of",
    "author",
    "source",
    "created_at",
}


def _all(client, url: str) -> list[dict]:
    """Every result of a list, following `next`."""
    results, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert set(body) == ENVELOPE
        results.extend(body["results"])
        url, pages = body["next"], pages + 1
        assert pages < 100
    return results


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def updated(seed, secretariat_user):
    """The seed with one status update on paragraph 10's Scientific Council mandate."""
    mandate = Mandate.objects.get(
        resolution=seed, paragraph__number="10", actor__slug="scientific-council"
    )
    update = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        progress=30,
        narrative="Working groups briefed.",
        evidence_links=["https://example.org/wcf"],
        expected_version=0,
    )
    return update


# --- Contract: fields, envelope, links ----------------------------------------------------


def test_api_root_links_every_resource(client, db):
    body = client.get("/api/v1/").json()
    assert {"resolutions", "paragraphs", "actors", "mandates", "status-updates"} <= set(body)
    assert body["mandates"] == "http://testserver/api/v1/mandates/"


def test_resolutions_contract(client, seed):
    body = client.get("/api/v1/resolutions/").json()
    assert set(body) == ENVELOPE and body["next"] is None and body["previous"] is None
    (item,) = body["results"]
    assert set(item) == RESOLUTION_FIELDS
    assert item["id"] == seed.pk
    assert item["symbol"] == "11.10 (Rev.COP14)"
    assert item["display_symbol"] == "Resolution 11.10 (Rev.COP14)"
    assert item["adopted_at"] == "COP14"
    assert item["operative_paragraphs"] == 33
    total = Mandate.objects.filter(resolution=seed).count()
    assert sum(item["mandate_counts"].values()) == total
    assert item["mandate_counts"]["not_started"] == total
    detail = client.get(_path(item["url"]))
    assert detail.status_code == 200
    assert set(detail.json()) == RESOLUTION_FIELDS | {"source_text"}
    assert "Synergies" in detail.json()["source_text"]
    assert client.get(_path(item["html_url"])).status_code == 200
    mandates = _all(client, _path(item["mandates_url"]) + "&page_size=200")
    assert len(mandates) == total
    paragraphs = _all(client, _path(item["paragraphs_url"]) + "&page_size=200")
    assert len(paragraphs) == Paragraph.objects.filter(resolution=seed).count()


def test_paragraphs_contract(client, seed):
    paragraphs = _all(client, f"/api/v1/paragraphs/?resolution={seed.pk}&page_size=100")
    assert [p["order"] for p in paragraphs] == sorted(p["order"] for p in paragraphs)
    assert all(set(p) == PARAGRAPH_FIELDS for p in paragraphs)
    p10 = next(p for p in paragraphs if p["part"] == "operative" and p["number"] == "10")
    assert p10["resolution"]["id"] == seed.pk
    assert {m["actor"] for m in p10["mandates"]} == {
        "parties",
        "non-party-range-states",
        "stakeholders",
        "secretariat",
        "scientific-council",
    }
    assert {d["verb"] for d in p10["directives"]} >= {"encourage", "request"}
    mandate = p10["mandates"][0]
    assert set(mandate) == {"id", "url", "actor", "verb", "strength", "status"}
    assert client.get(_path(mandate["url"])).json()["paragraph"]["id"] == p10["id"]
    detail = client.get(_path(p10["url"])).json()
    assert detail == p10


def test_actors_contract(client, seed):
    actors = _all(client, "/api/v1/actors/")
    assert [a["slug"] for a in actors] == list(Actor.objects.values_list("slug", flat=True))
    assert all(set(a) == ACTOR_FIELDS for a in actors)
    blg = client.get("/api/v1/actors/blg/").json()
    assert blg["mandate_count"] == 4 == blg["open_mandate_count"]
    assert client.get(_path(blg["html_url"])).status_code == 200
    assert len(_all(client, _path(blg["mandates_url"]))) == 4
    problem(client.get("/api/v1/actors/nobody/"), 404)


def test_mandates_contract(client, updated):
    mandate = updated.mandate
    body = client.get("/api/v1/mandates/?page_size=5").json()
    assert set(body) == ENVELOPE and len(body["results"]) == 5
    assert body["next"].startswith("http://testserver/api/v1/mandates/?cursor=")
    assert all(set(m) == MANDATE_FIELDS for m in body["results"])
    detail = client.get(f"/api/v1/mandates/{mandate.pk}/").json()
    assert set(detail) == MANDATE_FIELDS
    assert detail["status"] == "in_progress" and detail["progress"] == 30
    assert detail["version"] == 1
    assert detail["actor"] == {
        "slug": "scientific-council",
        "url": "http://testserver/api/v1/actors/scientific-council/",
        "name": mandate.actor.name,
    }
    assert detail["paragraph"]["number"] == "10"
    assert detail["paragraph"]["text"] == mandate.paragraph.text
    assert detail["resolution"]["symbol"] == mandate.resolution.symbol
    assert detail["verb"] == "request" and detail["strength"] == "directive"
    assert detail["html_url"] == f"http://testserver/mandates/{mandate.pk}/"
    history = _all(client, _path(detail["status_updates_url"]))
    assert [u["id"] for u in history] == [updated.pk]
    problem(client.get("/api/v1/mandates/999999/"), 404)
    problem(client.get("/api/v1/mandates/abc/"), 404)


def test_status_updates_contract(client, updated):
    body = client.get("/api/v1/status-updates/").json()
    (item,) = body["results"]
    assert set(item) == STATUS_UPDATE_FIELDS
    assert item == client.get(_path(item["url"])).json()
    assert item["mandate"] == updated.mandate_id
    assert _path(item["mandate_url"]) == f"/api/v1/mandates/{updated.mandate_id}/"
    assert item["version"] == 1
    assert item["status"] == "in_progress" and item["previous_status"] == "not_started"
    assert item["evidence_links"] == ["https://example.org/wcf"]
    assert item["evidence_files"] == []
    assert item["author"] == "secretariat" and item["source"] == "web"


def test_every_detail_address_from_a_list_answers_the_same_row(client, updated):
    for resource in ("resolutions", "paragraphs", "actors", "mandates", "status-updates"):
        first = client.get(f"/api/v1/{resource}/?page_size=1").json()["results"][0]
        detail = client.get(_path(first["url"])).json()
        assert {name: detail[name] for name in first} == first


# --- Filters ------------------------------------------------------------------------------


def _ids(client, url: str) -> set[int]:
    return {m["id"] for m in _all(client, url)}


def _expected(**lookup) -> set[int]:
    return set(Mandate.objects.filter(**lookup).values_list("id", flat=True))


def test_mandate_filters_select_what_they_name(client, updated):
    m = "/api/v1/mandates/?page_size=200&"
    assert _ids(client, m + "actor=parties") == _expected(actor__slug="parties")
    assert _ids(client, m + "actor=parties&actor=blg") == _expected(
        actor__slug__in=["parties", "blg"]
    )
    assert _ids(client, m + "verb=encourage") == _expected(verb="encourage")
    assert _ids(client, m + "strength=exhortation") == _expected(strength="exhortation")
    assert _ids(client, m + "status=in_progress") == {updated.mandate_id}
    assert _ids(client, m + f"resolution={updated.mandate.resolution_id}") == _expected()
    assert _ids(client, m + "q=Coastal+Forum") == _expected(
        paragraph__text__icontains="coastal forum"
    )
    assert _ids(client, m + "subject_to_resources=true") == _expected(subject_to_resources=True)


def test_mandate_filter_by_due_meeting(client, seed):
    cop15 = MeetingFactory(code="COP99", number=99)
    Mandate.objects.filter(pk=Mandate.objects.first().pk).update(due_meeting=cop15)
    assert _ids(client, "/api/v1/mandates/?due_meeting=COP99") == _expected(
        due_meeting__code="COP99"
    )


def test_other_lists_filter_too(client, updated):
    seed = updated.mandate.resolution
    other = ResolutionFactory(title="Climate Change and Migratory Species")
    MandateFactory(paragraph__resolution=other, actor=Actor.objects.get(slug="blg"))
    r = "/api/v1/resolutions/?"
    assert _ids(client, r + "q=climate") == {other.pk}
    assert _ids(client, r + "actor=parties") == {seed.pk}
    assert _ids(client, r + "actor=blg") == {seed.pk, other.pk}
    assert _ids(client, r + "adopted_at=COP14") == {seed.pk}
    p = "/api/v1/paragraphs/?page_size=200&"
    addressed = set(
        Paragraph.objects.filter(mandates__actor__slug="blg").values_list("id", flat=True)
    )
    assert _ids(client, p + "actor=blg") == addressed
    assert _ids(client, p + "part=preamble") == set(
        Paragraph.objects.filter(part="preamble").values_list("id", flat=True)
    )
    assert len(_ids(client, p + f"resolution={seed.pk}&number=10")) == 1
    kinds = {a["kind"] for a in _all(client, "/api/v1/actors/?kind=government")}
    assert kinds == {"government"}
    s = "/api/v1/status-updates/?"
    assert _ids(client, s + "actor=scientific-council") == {updated.pk}
    assert _ids(client, s + "actor=parties") == set()
    assert _ids(client, s + "status=in_progress&source=web") == {updated.pk}
    assert _ids(client, s + f"mandate={updated.mandate_id}") == {updated.pk}


@pytest.mark.parametrize(
    "query",
    [
        "actor=nobody",
        "verb=note",
        "strength=strong",
        "status=finished",
        "due_meeting=COP1000",
        "resolution=abc",
        "resolution=999999",
        "updated_since=yesterday",
        "updated_since=2026-13-01T00:00:00Z",
        "ordering=colour",
        "overdue=maybe",
        "subject_to_resources=perhaps",
        "q=" + "x" * 201,
    ],
)
def test_malformed_filter_values_are_a_400_naming_the_filter(client, seed, query):
    body = problem(client.get(f"/api/v1/mandates/?{query}"), 400)
    assert list(body["errors"]) == [query.split("=")[0]]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/resolutions/?status=ratified",
        "/api/v1/paragraphs/?part=appendix",
        "/api/v1/actors/?kind=robots",
        "/api/v1/status-updates/?updated_since=soon",
        "/api/v1/status-updates/?mandate=abc",
    ],
)
def test_every_list_refuses_malformed_filter_values(client, seed, url):
    body = problem(client.get(url), 400)
    assert len(body["errors"]) == 1


def test_incremental_sync_with_updated_since(client, seed, secretariat_user):
    """A harvester asks what changed since its last sync, follows `next`, remembers the
    latest updated_at it saw, and next time gets only what changed after it."""
    to_parties = list(Mandate.objects.filter(actor__slug="parties").order_by("id"))
    url = "/api/v1/mandates/?actor=parties&ordering=updated&page_size=3"
    first = _all(client, url)
    assert [m["id"] for m in first] == [
        m.pk for m in sorted(to_parties, key=lambda m: (m.updated_at, m.pk))
    ]
    last_sync = max(m["updated_at"] for m in first)

    changed = to_parties[1:3]
    for mandate in changed:
        mandate_status_update(
            mandate=mandate, user=secretariat_user, status="ongoing", expected_version=0
        )
    other = Mandate.objects.filter(actor__slug="secretariat").first()
    mandate_status_update(
        mandate=other, user=secretariat_user, status="ongoing", expected_version=0
    )

    since = client.get(
        "/api/v1/mandates/", {"actor": "parties", "updated_since": last_sync, "ordering": "updated"}
    ).json()["results"]
    # At or after the last sync: the changed rows, plus any row stamped exactly then.
    new = [m for m in since if m["updated_at"] > last_sync]
    assert {m["id"] for m in new} == {m.pk for m in changed}
    assert all(m["status"] == "ongoing" for m in new)
    updates = client.get("/api/v1/status-updates/", {"updated_since": last_sync}).json()
    assert {u["mandate"] for u in updates["results"]} == {m.pk for m in changed} | {other.pk}


def test_updated_since_reads_a_time_without_offset_in_the_site_time_zone(client, seed):
    # The seed was created moments ago: nothing is older than 2000, everything newer.
    assert len(_all(client, "/api/v1/mandates/?updated_since=2000-01-01T00:00")) == (
        Mandate.objects.count()
    )
    assert _all(client, "/api/v1/mandates/?updated_since=2999-01-01") == []


# --- A fixed number of queries per page ---------------------------------------------------


def _bulk(n: int) -> None:
    """More rows than the largest page in every list."""
    from tests.factories import ParagraphFactory

    resolution = ResolutionFactory()
    actor = ActorFactory(slug="secretariat", name="Secretariat")
    paragraphs = Paragraph.objects.bulk_create(
        ParagraphFactory.build(resolution=resolution, order=i + 1, number=str(i + 1))
        for i in range(n)
    )
    mandates = Mandate.objects.bulk_create(
        Mandate(
            resolution=resolution,
            paragraph=p,
            actor=actor,
            verb="request",
            strength="directive",
        )
        for p in paragraphs
    )
    StatusUpdate.objects.bulk_create(
        StatusUpdate(
            mandate=mandates[0], version=i + 1, status="ongoing", previous_status="ongoing"
        )
        for i in range(n)
    )
    Actor.objects.bulk_create(
        Actor(slug=f"bulk-{i}", name=f"Bulk {i}", kind="organisation") for i in range(n)
    )
    Resolution.objects.bulk_create(
        Resolution(symbol=f"bulk.{i}", title=f"Bulk {i}") for i in range(n)
    )


@pytest.mark.parametrize(
    ("resource", "queries", "csv_queries"),
    [
        ("resolutions", 1, 1),
        ("paragraphs", 2, 2),
        ("actors", 1, 1),
        # JSON: the page written by PostgreSQL; CSV: the rows, then their links.
        ("mandates", 1, 2),
        ("status-updates", 2, 2),
    ],
)
def test_lists_run_the_same_queries_at_page_size_1_and_at_the_cap(
    client, db, django_assert_num_queries, resource, queries, csv_queries
):
    _bulk(MAX_PAGE_SIZE + 5)
    with django_assert_num_queries(queries):
        small = client.get(f"/api/v1/{resource}/?page_size=1")
    with django_assert_num_queries(queries):
        full = client.get(f"/api/v1/{resource}/?page_size={MAX_PAGE_SIZE}")
    assert len(small.json()["results"]) == 1
    assert len(full.json()["results"]) == MAX_PAGE_SIZE
    # Following a cursor costs the same.
    with django_assert_num_queries(queries):
        assert client.get(_path(full.json()["next"])).status_code == 200
    # So does the CSV form.
    with django_assert_num_queries(csv_queries):
        assert (
            client.get(f"/api/v1/{resource}/?page_size={MAX_PAGE_SIZE}&format=csv").status_code
            == 200
        )


def test_a_mandate_page_is_chosen_by_its_sort_keys_before_its_wide_columns_are_read(client, db):
    """At scale the page's sort is most of its cost: the database sorts narrow rows (the
    keys), then reads paragraph texts and the rest for the page's rows only."""
    _bulk(12)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/mandates/?page_size=5&actor=secretariat")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5
    (page,) = [q["sql"] for q in queries.captured_queries if "LIMIT 6" in q["sql"]]
    assert "IN (SELECT" in page
    keys = page[page.index("IN (SELECT") : page.index("LIMIT 6")]
    assert '"text"' in page and '"text"' not in keys
    assert "ORDER BY" in keys  # the narrow sort picks the rows
    # Suffixed requests take the general path and give the same rows.
    suffixed = client.get("/api/v1/mandates.json?page_size=5&actor=secretariat")
    assert suffixed.status_code == 200
    assert [r["id"] for r in suffixed.json()["results"]] == [
        r["id"] for r in response.json()["results"]
    ]


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/resolutions/{resolution}/", 1),
        ("/api/v1/paragraphs/{paragraph}/", 2),
        ("/api/v1/actors/secretariat/", 1),
        ("/api/v1/mandates/{mandate}/", 2),
        ("/api/v1/status-updates/{update}/", 2),
    ],
)
def test_details_run_a_fixed_number_of_queries(client, db, django_assert_num_queries, url, queries):
    _bulk(30)
    mandate = Mandate.objects.select_related("paragraph").first()
    url = url.format(
        resolution=mandate.resolution_id,
        paragraph=mandate.paragraph_id,
        mandate=mandate.pk,
        update=mandate.updates.first().pk,
    )
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_a_token_adds_one_query(client, db, secretariat_user):
    from tests.api_helpers import token_headers

    _bulk(3)
    headers = token_headers(secretariat_user)
    with CaptureQueriesContext(connection) as anonymous:
        client.get("/api/v1/mandates/")
    with CaptureQueriesContext(connection) as authenticated:
        client.get("/api/v1/mandates/", **headers)
    assert len(authenticated) == len(anonymous) + 1
