"""/mandates/: the filterable, sortable, paged list of every mandate."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.models import Meeting
from resolutions import selectors
from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.factories import ActorFactory, MandateFactory, ParagraphFactory, ResolutionFactory

pytestmark = pytest.mark.django_db

LIST = "/mandates/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "mandate-results"}


def listed(response) -> list[int]:
    """The mandates listed on a page, in order."""
    html = response.content.decode()
    return [int(pk) for pk in re.findall(r'<a href="/mandates/(\d+)/" aria-label="Paragraph', html)]


def update(mandate, user, status, **kwargs):
    mandate = Mandate.objects.get(pk=mandate.pk)
    return mandate_status_update(
        mandate=mandate, user=user, status=status, expected_version=mandate.version, **kwargs
    )


def test_lists_every_mandate_of_every_resolution(client, seed):
    other = MandateFactory(paragraph=ParagraphFactory(text="Requests the Secretariat to act;"))
    response = client.get(LIST)
    assert response.status_code == 200
    ids = listed(response)
    assert len(ids) == Mandate.objects.count() == 49
    assert other.pk in ids
    assert "49 mandates" in response.content.decode()


def test_filter_by_actor_slug(client, seed):
    response = client.get(LIST, {"actor": "parties"})
    expected = set(Mandate.objects.filter(actor__slug="parties").values_list("pk", flat=True))
    assert len(expected) == 9
    assert set(listed(response)) == expected
    # Several actors: repeat the parameter.
    both = client.get(f"{LIST}?actor=parties&actor=blg")
    assert len(listed(both)) == 9 + 4


def test_filter_by_resolution_strength_status_and_text(client, seed, secretariat_user):
    other = MandateFactory(paragraph=ParagraphFactory(resolution=ResolutionFactory()))
    assert listed(client.get(LIST, {"resolution": other.resolution_id})) == [other.pk]
    exhortations = Mandate.objects.filter(resolution=seed, strength="exhortation")
    assert set(listed(client.get(LIST, {"strength": "exhortation"}))) == set(
        exhortations.values_list("pk", flat=True)
    )
    target = Mandate.objects.get(
        resolution=seed, paragraph__number="10", actor__slug="scientific-council"
    )
    update(target, secretariat_user, "delayed")
    assert listed(client.get(LIST, {"status": "delayed"})) == [target.pk]
    assert listed(client.get(f"{LIST}?status=delayed&status=completed")) == [target.pk]
    found = listed(client.get(LIST, {"q": "World Coastal Forum"}))
    assert target.pk in found
    assert all("World Coastal Forum" in Mandate.objects.get(pk=pk).paragraph.text for pk in found)


def test_filter_by_due_meeting_and_overdue(client, seed, secretariat_user):
    cop14, cop15 = Meeting.objects.get(code="COP14"), Meeting.objects.get(code="COP15")
    late, done, future = Mandate.objects.filter(resolution=seed, actor__slug="secretariat")[:3]
    Mandate.objects.filter(pk__in=[late.pk, done.pk]).update(due_meeting=cop14)
    Mandate.objects.filter(pk=future.pk).update(due_meeting=cop15)
    update(done, secretariat_user, "completed")
    assert set(listed(client.get(LIST, {"due_meeting": "COP14"}))) == {late.pk, done.pk}
    # COP14 opened in February 2024: due then and not completed means overdue.
    assert listed(client.get(LIST, {"overdue": "true"})) == (
        [late.pk, future.pk] if cop15.start_date <= _today() else [late.pk]
    )
    html = client.get(LIST, {"overdue": "true"}).content.decode()
    assert '<span class="flag">Overdue</span>' in html


def _today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.mark.parametrize(
    ("query", "label", "value"),
    [
        ("actor=nobody", "Actor", "nobody"),
        ("resolution=abc", "Resolution", "abc"),
        ("status=finished", "Status", "finished"),
        ("strength=mandatory", "Strength", "mandatory"),
        ("due_meeting=COP99", "Due meeting", "COP99"),
        ("overdue=maybe", "Overdue", "maybe"),
        ("ordering=colour", "Ordering", "colour"),
    ],
)
def test_invalid_filter_values_get_a_clear_message(client, seed, query, label, value):
    response = client.get(f"{LIST}?{query}")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Some filters could not be used" in html
    assert re.search(rf"<strong>{label}</strong> “{value}”: \S", html), html
    assert listed(response) == []
    assert "No results: a filter could not be used." in html


def test_blank_filter_fields_mean_no_filter_and_the_url_is_cleaned(client, seed):
    response = client.get(f"{LIST}?q=&actor=parties&status=&resolution=&overdue=")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?actor=parties"
    # With htmx the fragment comes at once, and the address bar gets the clean URL.
    fragment = client.get(f"{LIST}?q=&actor=parties&status=", **HTMX)
    assert fragment.status_code == 200
    assert fragment["HX-Push-Url"] == f"{LIST}?actor=parties"
    assert len(listed(fragment)) == 9


def test_sorting_by_column_toggles_and_says_so(client, seed, secretariat_user):
    mandates = list(Mandate.objects.filter(resolution=seed).order_by("pk")[:3])
    update(mandates[0], secretariat_user, "not_applicable")
    update(mandates[1], secretariat_user, "completed")
    update(mandates[2], secretariat_user, "delayed")
    ascending = client.get(LIST, {"ordering": "status"})
    assert listed(ascending)[:2] == [mandates[1].pk, mandates[2].pk]
    html = ascending.content.decode()
    assert re.search(
        r'<th scope="col" aria-sort="ascending">\s*'
        r'<a class="sort-link" href="/mandates/\?ordering=-status"',
        html,
    )
    descending = client.get(LIST, {"ordering": "-updated"})
    assert listed(descending)[:3] == [mandates[2].pk, mandates[1].pk, mandates[0].pk]
    # Filters stay when sorting; the page number does not.
    html = client.get(f"{LIST}?actor=secretariat&page=1").content.decode()
    assert 'href="/mandates/?actor=secretariat&amp;ordering=status"' in html


def test_pages_split_the_list_without_overlap(client, seed):
    resolution = ResolutionFactory()
    for _ in range(12):
        MandateFactory(paragraph=ParagraphFactory(resolution=resolution))
    total = Mandate.objects.count()
    assert total == 60
    first = client.get(LIST, {"ordering": "status"})
    second = client.get(LIST, {"ordering": "status", "page": 2})
    assert len(listed(first)) == 50 and len(listed(second)) == 10
    assert set(listed(first)) | set(listed(second)) == set(
        Mandate.objects.values_list("pk", flat=True)
    )
    html = first.content.decode()
    assert "page 1 of 2" in html
    assert 'href="/mandates/?ordering=status&amp;page=2"' in html
    # A page number out of range or not a number shows a page rather than an error.
    assert client.get(LIST, {"page": "many"}).status_code == 200
    assert listed(client.get(LIST, {"page": 99})) == listed(client.get(LIST, {"page": 2}))


def test_every_page_holds_the_orms_rows_in_its_order(client, seed):
    """Each page's rows are picked by their sort keys alone (walking the resolutions in
    symbol order when the order starts with the symbol) and read whole: page after page,
    in either direction, filtered or not, the list is the ORM's, across resolutions
    before and after the seed's and one with its symbol in another convention."""
    for symbol, convention, orders in (("10.2", "CMS", (7, 1)), (seed.symbol, "CBD", (2, 9))):
        resolution = ResolutionFactory(symbol=symbol, convention=convention)
        for order in orders:
            paragraph = ParagraphFactory(resolution=resolution, order=order)
            for position in range(12):
                MandateFactory(paragraph=paragraph, position=position, actor=ActorFactory())
    orm = selectors.mandates_list()
    for query, expected in (
        ({}, orm),
        ({"ordering": "-resolution"}, orm.order_by("-resolution__symbol", "pk")),
        ({"ordering": "-status"}, orm.order_by("-status", "pk")),
        ({"q": "Secretariat", "ordering": "actor"}, orm.order_by("actor__order", "pk")),
    ):
        if "q" in query:
            expected = expected.filter(paragraph__text__icontains="Secretariat")
        expected = list(expected.values_list("pk", flat=True))
        assert 50 < len(expected) <= 100
        pages = [listed(client.get(LIST, {**query, "page": n})) for n in (1, 2)]
        assert [pk for page in pages for pk in page] == expected, query
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"page": 2})
    (page,) = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
    assert "CROSS JOIN LATERAL" in page and "LIMIT 46 OFFSET 50)" in page


def test_htmx_gets_just_the_results_fragment(client, seed):
    response = client.get(LIST, {"actor": "blg"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="mandate-results"' in html
    assert len(listed(response)) == 4
    # The live count outside the fragment and the kept sort order are updated out of band.
    assert '<p id="result-count" hx-swap-oob="innerHTML">' in html and "4 mandates" in html
    assert 'id="filter-ordering"' in html
    assert "HX-Request" in response["Vary"]
    # A history restore asks for the whole page.
    whole = client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in whole.content.decode()


def test_the_filter_form_works_without_javascript(client, seed):
    html = client.get(LIST, {"actor": "parties", "status": "not_started"}).content.decode()
    assert re.search(r'<form class="card filters" method="get" action="/mandates/"', html)
    assert '<option value="parties" selected>Parties</option>' in html
    assert 'id="filter-status-not_started" name="status" value="not_started" checked' in html
    assert '<label for="filter-actor">Actor</label>' in html


def _grow(n):
    resolution = ResolutionFactory()
    for _ in range(n):
        MandateFactory(paragraph=ParagraphFactory(resolution=resolution))


@pytest.mark.parametrize("who", ["anonymous", "secretariat"])
def test_fixed_number_of_queries_for_one_row_and_many(
    client, db, django_assert_num_queries, secretariat_user, who
):
    if who == "secretariat":
        client.force_login(secretariat_user)
    _grow(1)
    url = f"{LIST}?ordering=-updated"
    with CaptureQueriesContext(connection) as page:
        assert len(listed(client.get(url))) == 1
    with CaptureQueriesContext(connection) as fragment:
        assert len(listed(client.get(url, **HTMX))) == 1
    _grow(40)
    with django_assert_num_queries(len(page.captured_queries)):
        assert len(listed(client.get(url))) == 41
    with django_assert_num_queries(len(fragment.captured_queries)):
        assert len(listed(client.get(url, **HTMX))) == 41


def test_listing_is_public_and_read_only_for_visitors(client, seed, focal_point_user):
    for user in (None, focal_point_user):
        if user:
            client.force_login(user)
        html = client.get(LIST).content.decode()
        assert "Update selected" not in html
        assert 'name="mandates"' not in html
        assert reverse("resolutions:mandate-bulk-update") not in html
