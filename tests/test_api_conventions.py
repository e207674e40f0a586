"""The conventions every /api/v1/ endpoint follows (cms_mandates/rest.py): cursor paging,
problem errors, strict query parameters, CSV, ETag and 304, throttling, authentication."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.utils import timezone

from cms_mandates.rest import MAX_PAGE_SIZE, PROBLEM_TYPES, AnonymousThrottle
from reporting.models import Meeting
from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.api_helpers import problem, token_headers
from tests.factories import MandateFactory, MeetingFactory, ParagraphFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _walk(client, url: str, key: str = "next") -> list[list[int]]:
    """The ids of each page, following `key` links from `url`."""
    pages = []
    while url:
        response = client.get(_path(url))
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        url = body[key]
        assert len(pages) < 200
    return pages


# --- Cursor pagination --------------------------------------------------------------------


def test_pages_cover_the_list_once_and_walk_back_the_same_way(client, seed):
    expected = list(
        Mandate.objects.order_by(
            "resolution__symbol", "paragraph__order", "position", "actor__order", "id"
        ).values_list("id", flat=True)
    )
    pages = _walk(client, "/api/v1/mandates/?page_size=7")
    assert [i for page in pages for i in page] == expected
    assert all(len(page) == 7 for page in pages[:-1])

    last = client.get("/api/v1/mandates/?page_size=7")
    while last.json()["next"]:
        last = client.get(_path(last.json()["next"]))
    assert last.json()["next"] is None
    back = _walk(client, last.json()["previous"], key="previous")
    assert back == list(reversed(pages[:-1]))


def test_next_and_previous_are_also_link_headers(client, seed):
    first = client.get("/api/v1/mandates/?page_size=2")
    assert first["Link"] == f'<{first.json()["next"]}>; rel="next"'
    second = client.get(_path(first.json()["next"]))
    body = second.json()
    assert second["Link"] == f'<{body["next"]}>; rel="next", <{body["previous"]}>; rel="prev"'
    assert client.get(_path(body["previous"])).json() == first.json()


@pytest.mark.parametrize("ordering", ["due", "-due", "status", "-updated", "actor"])
def test_every_ordering_pages_exactly_even_over_nulls(client, seed, ordering):
    """Some mandates have a due meeting, most have none (NULL): keyset paging must still
    visit each row once, forwards and backwards."""
    early = MeetingFactory(code="COP90", number=90, start_date=timezone.localdate())
    late = MeetingFactory(code="COP91", number=91)  # no date: NULL through the join
    ids = list(Mandate.objects.order_by("id").values_list("id", flat=True))
    Mandate.objects.filter(id__in=ids[::3]).update(due_meeting=early)
    Mandate.objects.filter(id__in=ids[1::5]).update(due_meeting=late)
    pages = _walk(client, f"/api/v1/mandates/?ordering={ordering}&page_size=4")
    forward = [i for page in pages for i in page]
    assert sorted(forward) == ids
    whole = [
        m["id"]
        for m in client.get(f"/api/v1/mandates/?ordering={ordering}&page_size=200").json()[
            "results"
        ]
    ]
    assert forward == whole
    last_page = client.get(f"/api/v1/mandates/?ordering={ordering}&page_size=4")
    while last_page.json()["next"]:
        last_page = client.get(_path(last_page.json()["next"]))
    backward = _walk(client, last_page.json()["previous"], key="previous")
    assert backward == list(reversed(pages[:-1]))


def test_cursor_is_stable_while_rows_are_added(client, seed, secretariat_user):
    """Rows created or changed behind the cursor do not shift the pages ahead of it: every
    row that existed is seen once, and rows added after the cursor's position appear."""
    before = set(Mandate.objects.values_list("id", flat=True))
    url = "/api/v1/mandates/?ordering=updated&page_size=5"
    first = client.get(url).json()
    seen = [m["id"] for m in first["results"]]

    # New rows, and a row already seen updated: both sort after the cursor.
    resolution = Mandate.objects.first().resolution
    added = [
        MandateFactory(paragraph=ParagraphFactory(resolution=resolution, order=900 + i))
        for i in range(3)
    ]
    mandate_status_update(
        mandate=Mandate.objects.get(pk=seen[0]),
        user=secretariat_user,
        status="ongoing",
        expected_version=0,
    )
    for page in _walk(client, first["next"]):
        seen.extend(page)
    assert set(seen) == before | {m.pk for m in added}
    originals = [i for i in seen if i in before and i != seen[0]]
    assert len(originals) == len(set(originals)) == len(before) - 1
    assert seen.count(seen[0]) == 2  # seen first, then again after its update


def test_cursor_of_the_default_order_is_stable_when_rows_are_inserted_before_it(client, seed):
    before = list(Mandate.objects.values_list("id", flat=True))
    first = client.get("/api/v1/mandates/?page_size=10").json()
    seen = [m["id"] for m in first["results"]]
    # A new row that sorts at the very start: a cursor list never shifts because of it.
    resolution = Mandate.objects.first().resolution
    MandateFactory(paragraph=ParagraphFactory(resolution=resolution, order=0))
    for page in _walk(client, first["next"]):
        seen.extend(page)
    assert sorted(seen) == sorted(before)


@pytest.mark.parametrize("size", ["0", "-1", "abc", str(MAX_PAGE_SIZE + 1), "1.5", ""])
def test_page_size_outside_1_to_the_cap_is_a_400(client, seed, size):
    if size == "":
        assert client.get("/api/v1/mandates/?page_size=").status_code == 400
        return
    body = problem(client.get(f"/api/v1/mandates/?page_size={size}"), 400)
    assert list(body["errors"]) == ["page_size"]
    assert str(MAX_PAGE_SIZE) in body["errors"]["page_size"][0]


def test_page_size_at_the_cap_is_accepted(client, seed):
    response = client.get(f"/api/v1/mandates/?page_size={MAX_PAGE_SIZE}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == Mandate.objects.count()


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjpbXX0", "e30", "x" * 3000])
def test_a_tampered_cursor_is_a_400(client, seed, cursor):
    body = problem(client.get(f"/api/v1/mandates/?cursor={cursor}"), 400)
    assert list(body["errors"]) == ["cursor"]


def test_a_cursor_belongs_to_its_ordering(client, seed):
    next_url = client.get("/api/v1/mandates/?page_size=2&ordering=status").json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    body = problem(client.get(f"/api/v1/mandates/?page_size=2&cursor={cursor}"), 400)
    assert "cursor" in body["errors"]


def test_a_cursor_with_values_of_the_wrong_type_is_a_400(client, seed):
    import base64

    next_url = client.get("/api/v1/mandates/?page_size=2&ordering=updated").json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["v"][0] = "not a date"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    body = problem(client.get(f"/api/v1/mandates/?ordering=updated&cursor={forged}"), 400)
    assert "cursor" in body["errors"]


# --- Problems -----------------------------------------------------------------------------


def test_not_found_is_a_problem(client, db):
    body = problem(client.get("/api/v1/mandates/424242/"), 404)
    assert body == {
        "type": "/api/v1/problems/not-found/",
        "title": "Not found",
        "status": 404,
        "detail": "No Mandate matches the given query.",
        "instance": "/api/v1/mandates/424242/",
    }


def test_unknown_api_address_is_a_problem_but_pages_keep_their_404(client, db):
    problem(client.get("/api/v1/no-such-thing/"), 404)
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    # Without a trailing slash the API still redirects, like the rest of the site.
    assert client.get("/api/v1/mandates").status_code == 301


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_405_with_allow(client, seed, secretariat_user, method):
    mandate = Mandate.objects.first()
    response = getattr(client, method)(
        f"/api/v1/mandates/{mandate.pk}/",
        data="{}",
        content_type="application/json",
        **token_headers(secretariat_user),
    )
    problem(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_unacceptable_media_type_is_a_406(client, seed):
    problem(client.get("/api/v1/mandates/", HTTP_ACCEPT="application/xml"), 406)


def test_non_json_body_is_a_415_and_malformed_json_a_400(client, seed, secretariat_user):
    mandate = Mandate.objects.first()
    url = f"/api/v1/mandates/{mandate.pk}/status-updates/"
    etag = client.get(f"/api/v1/mandates/{mandate.pk}/")["ETag"]
    headers = {**token_headers(secretariat_user), "HTTP_IF_MATCH": etag}
    problem(client.post(url, data="status=ongoing", content_type="text/plain", **headers), 415)
    body = problem(
        client.post(url, data="{not json", content_type="application/json", **headers), 400
    )
    assert "JSON" in body["detail"]
    assert not mandate.updates.exists()


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_each_problem_type_is_described_at_its_address(client, db, slug):
    kind = PROBLEM_TYPES[slug]
    body = client.get(kind.uri).json()
    assert body == {
        "type": kind.uri,
        "slug": slug,
        "status": kind.status,
        "title": kind.title,
        "description": kind.description,
    }


def test_unknown_problem_type_is_a_404(client, db):
    problem(client.get("/api/v1/problems/no-such-problem/"), 404)


# --- Strict query parameters --------------------------------------------------------------


def test_unknown_query_parameter_is_a_400_naming_it(client, seed):
    body = problem(client.get("/api/v1/mandates/?actr=parties"), 400)
    assert list(body["errors"]) == ["actr"]
    assert "actor" in body["errors"]["actr"][0]  # the message lists what is read


def test_a_single_valued_parameter_given_twice_is_a_400(client, seed):
    body = problem(client.get("/api/v1/mandates/?strength=directive&strength=exhortation"), 400)
    assert list(body["errors"]) == ["strength"]
    ok = client.get("/api/v1/mandates/?status=not_started&status=ongoing")
    assert ok.status_code == 200


def test_details_read_no_filters(client, seed):
    mandate = Mandate.objects.first()
    body = problem(client.get(f"/api/v1/mandates/{mandate.pk}/?status=ongoing"), 400)
    assert list(body["errors"]) == ["status"]
    problem(client.get(f"/api/v1/mandates/{mandate.pk}/?page_size=3"), 400)


def test_unknown_format_is_a_400_and_csv_is_for_lists(client, seed):
    body = problem(client.get("/api/v1/mandates/?format=xml"), 400)
    assert list(body["errors"]) == ["format"]
    mandate = Mandate.objects.first()
    body = problem(client.get(f"/api/v1/mandates/{mandate.pk}/?format=csv"), 400)
    assert "json" in body["errors"]["format"][0]
    assert client.get(f"/api/v1/mandates/{mandate.pk}/?format=json").status_code == 200


# --- CSV ----------------------------------------------------------------------------------


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_lists_answer_csv_with_nested_columns(client, seed):
    response = client.get("/api/v1/mandates/?actor=blg&format=csv")
    rows = _csv(response)
    json_rows = client.get("/api/v1/mandates/?actor=blg").json()["results"]
    assert [int(r["id"]) for r in rows] == [m["id"] for m in json_rows]
    assert rows[0]["actor.slug"] == "blg"
    assert rows[0]["resolution.symbol"] == "11.10 (Rev.COP14)"
    assert rows[0]["paragraph.text"] == json_rows[0]["paragraph"]["text"]
    assert rows[0]["url"] == json_rows[0]["url"]  # links do not carry ?format=csv
    assert rows[0]["subject_to_resources"] in {"true", "false"}
    assert response["Content-Disposition"] == 'attachment; filename="api-mandate.csv"'


def test_csv_by_accept_header_and_paging_by_link(client, seed):
    response = client.get("/api/v1/mandates/?page_size=3", HTTP_ACCEPT="text/csv")
    assert len(_csv(response)) == 3
    next_url = response["Link"].split(">")[0].lstrip("<")
    assert "page_size=3" in next_url
    assert len(_csv(client.get(_path(next_url), HTTP_ACCEPT="text/csv"))) == 3


def test_empty_csv_still_has_its_header(client, seed):
    rows = client.get("/api/v1/status-updates/?format=csv").content.decode().splitlines()
    assert rows == [
        "id,url,mandate,mandate_url,version,status,previous_status,progress,narrative,"
        "evidence_links,evidence_files,as_of,author,source,created_at"
    ]


def test_csv_neutralises_formulas_and_lists_one_per_line(client, seed, secretariat_user):
    mandate = Mandate.objects.first()
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="ongoing",
        narrative='=HYPERLINK("http://evil.example","click")',
        evidence_links=["https://example.org/a", "https://example.org/b"],
        expected_version=0,
    )
    (row,) = _csv(client.get("/api/v1/status-updates/?format=csv"))
    assert row["narrative"] == "'" + '=HYPERLINK("http://evil.example","click")'
    assert row["evidence_links"] == "https://example.org/a\nhttps://example.org/b"
    assert row["progress"] == ""


def test_errors_stay_problem_json_when_csv_was_asked(client, seed):
    problem(client.get("/api/v1/mandates/?format=csv&status=finished"), 400)


# --- ETag and If-None-Match ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/resolutions/{resolution}/",
        "/api/v1/paragraphs/{paragraph}/",
        "/api/v1/actors/parties/",
        "/api/v1/mandates/{mandate}/",
        "/api/v1/mandates/",
        "/api/v1/problems/not-found/",
    ],
)
def test_every_get_has_an_etag_and_answers_304_when_unchanged(client, seed, url):
    mandate = Mandate.objects.first()
    url = url.format(
        resolution=mandate.resolution_id, paragraph=mandate.paragraph_id, mandate=mandate.pk
    )
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    weak = client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert weak.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_etag_changes_with_the_representation(client, seed, secretariat_user):
    mandate = Mandate.objects.first()
    url = f"/api/v1/mandates/{mandate.pk}/"
    etag = client.get(url)["ETag"]
    assert etag.startswith(f'"mandate-{mandate.pk}-v0-')
    # A correction that does not make a new version still changes the representation.
    paragraph = mandate.paragraph
    paragraph.text += " (corrected)"
    paragraph.save(update_fields=["text"])
    corrected = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert corrected.status_code == 200
    assert corrected["ETag"] != etag and corrected["ETag"].startswith(f'"mandate-{mandate.pk}-v0-')
    mandate_status_update(
        mandate=mandate, user=secretariat_user, status="ongoing", expected_version=0
    )
    assert client.get(url)["ETag"].startswith(f'"mandate-{mandate.pk}-v1-')


def test_a_meeting_date_passing_changes_the_etag(client, seed):
    """is_overdue depends on today: the ETag follows the representation, not the version."""
    import datetime as dt

    meeting = MeetingFactory(
        code="COP98", number=98, start_date=timezone.localdate() + dt.timedelta(days=10)
    )
    mandate = Mandate.objects.first()
    Mandate.objects.filter(pk=mandate.pk).update(due_meeting=meeting)
    url = f"/api/v1/mandates/{mandate.pk}/"
    before = client.get(url)
    Meeting.objects.filter(pk=meeting.pk).update(start_date=timezone.localdate())
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert before.json()["is_overdue"] is False and after.json()["is_overdue"] is True


# --- Throttling ---------------------------------------------------------------------------


def test_anonymous_and_signed_in_clients_are_throttled_separately(
    client, seed, settings, secretariat_user
):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "2/minute"},
    }
    other = Client(REMOTE_ADDR="203.0.113.9")
    cache.delete(AnonymousThrottle.cache_format % {"scope": "anon", "ident": "203.0.113.9"})
    for _ in range(3):
        assert other.get("/api/v1/actors/").status_code == 200
    throttled = other.get("/api/v1/actors/")
    body = problem(throttled, 429)
    assert body["type"] == "/api/v1/problems/throttled/"
    assert int(throttled["Retry-After"]) > 0
    # A token user has a quota of its own.
    headers = token_headers(secretariat_user)
    assert other.get("/api/v1/actors/", **headers).status_code == 200
    assert other.get("/api/v1/actors/", **headers).status_code == 200
    problem(other.get("/api/v1/actors/", **headers), 429)
    cache.delete(AnonymousThrottle.cache_format % {"scope": "anon", "ident": "203.0.113.9"})


# --- Authentication -----------------------------------------------------------------------


def test_a_wrong_token_is_a_401_even_for_reading(client, seed):
    response = client.get("/api/v1/mandates/", HTTP_AUTHORIZATION="Token not-a-real-token")
    problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_an_inactive_users_token_is_refused(client, seed, secretariat_user):
    headers = token_headers(secretariat_user)
    secretariat_user.is_active = False
    secretariat_user.save(update_fields=["is_active"])
    problem(client.get("/api/v1/mandates/", **headers), 401)


def test_session_writes_need_the_csrf_token(seed, secretariat_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(secretariat_user)
    mandate = Mandate.objects.first()
    etag = browser.get(f"/api/v1/mandates/{mandate.pk}/")["ETag"]
    url = f"/api/v1/mandates/{mandate.pk}/status-updates/"
    data = json.dumps({"status": "ongoing"})
    refused = browser.post(url, data=data, content_type="application/json", HTTP_IF_MATCH=etag)
    body = problem(refused, 403)
    assert "CSRF" in body["detail"]
    assert not mandate.updates.exists()
    browser.get("/accounts/login/")  # sets the CSRF cookie, as a page of the site would
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        url, data=data, content_type="application/json", HTTP_IF_MATCH=etag, HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_a_list_builds_and_cleans_only_the_filters_its_request_names(client, seed, monkeypatch):
    """Filters the request does not name have nothing to do; building, copying and
    cleaning their form fields anyway was milliseconds of every filtered request."""
    from cms_mandates.rest import FilterBackend

    built = []
    get_filterset = FilterBackend.get_filterset

    def spied(self, request, queryset, view):
        filterset = get_filterset(self, request, queryset, view)
        built.append(filterset)
        return filterset

    monkeypatch.setattr(FilterBackend, "get_filterset", spied)
    response = client.get("/api/v1/mandates/?q=cooperation&status=in_progress&page_size=5")
    assert response.status_code == 200
    (filterset,) = built
    assert set(filterset.form.fields) == {"q", "status"}
    # The filters still apply, and still refuse a bad value with the field's own error.
    assert all(r["status"] == "in_progress" for r in response.json()["results"])
    bad = client.get("/api/v1/mandates/?q=cooperation&status=nonsense")
    assert bad.status_code == 400 and "status" in json.dumps(bad.json())
    # Naming none builds no FilterSet at all.
    assert client.get("/api/v1/mandates/?page_size=5").status_code == 200
    assert len(built) == 2
