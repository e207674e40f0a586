"""The public read-only pages: content, role-neutral, and a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from resolutions.models import Mandate
from resolutions.services import mandate_status_update
from tests.factories import MandateFactory, ParagraphFactory, ResolutionFactory

pytestmark = pytest.mark.django_db


def test_home_lists_resolutions_in_force_with_progress(client, seed):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Synergies and Partnerships" in html
    assert "33 operative paragraphs" in html
    assert f"{Mandate.objects.filter(resolution=seed).count()} mandates" in html
    assert reverse("resolutions:resolution-detail", args=[seed.pk]) in html


def test_resolution_page_shows_every_operative_paragraph_with_addressees(client, seed):
    html = client.get(seed.get_absolute_url()).content.decode()
    numbers = re.findall(r'<li class="paragraph" id="p(\d+)">', html)
    assert numbers == [str(n) for n in range(1, 34)]
    # Paragraph 10 addresses five actors with two verbs.
    p10 = html.split('id="p10"')[1].split('id="p11"')[0]
    for name in (
        "Parties",
        "Non-Party Range States",
        "Stakeholders",
        "Secretariat",
        "Scientific Council",
    ):
        assert f'<span class="chip">{name}</span>' in p10
    assert "encourages" in p10 and "requests" in p10
    # Declaratory paragraphs say so instead of inventing addressees.
    p5 = html.split('id="p5"')[1].split('id="p6"')[0]
    assert "Declaratory" in p5 and 'class="chip"' not in p5
    assert "Preamble (22 paragraphs)" in html


def test_resolution_page_shows_current_status(client, seed, secretariat_user):
    mandate = Mandate.objects.get(resolution=seed, paragraph__number="33")
    mandate_status_update(
        mandate=mandate, user=secretariat_user, status="ongoing", expected_version=0
    )
    html = client.get(seed.get_absolute_url()).content.decode()
    p33 = html.split('id="p33"')[1]
    assert 'data-status="ongoing"' in p33


def test_actor_page_lists_everything_asked_of_the_actor(client, seed):
    response = client.get(reverse("resolutions:actor-detail", args=["blg"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "What resolutions ask of Biodiversity Liaison Group" in html
    assert Mandate.objects.filter(actor__slug="blg").count() == 4
    for number in ("23", "24", "25", "26"):
        assert f">{number}</a>" in html


def test_actor_list(client, seed):
    html = client.get(reverse("resolutions:actor-list")).content.decode()
    assert "Biodiversity Liaison Group" in html and "Stakeholders" in html


def test_mandate_page_highlights_the_directive_and_shows_history(client, seed, secretariat_user):
    mandate = Mandate.objects.get(
        resolution=seed, paragraph__number="10", actor__slug="scientific-council"
    )
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        narrative="Working groups briefed on the World Coastal Forum.",
        evidence_links=["https://example.org/wcf"],
        expected_version=0,
    )
    html = client.get(mandate.get_absolute_url()).content.decode()
    assert '<mark class="mark-verb">requests</mark>' in html
    assert "Aquatic and Avian Working Groups of the Scientific Council</mark>" in html
    assert "Working groups briefed on the World Coastal Forum." in html
    assert 'href="https://example.org/wcf"' in html
    # The other mandates of paragraph 10 are listed.
    assert html.count('class="verb exhortation"') >= 3


def test_unknown_pages_answer_404(client, seed):
    assert client.get("/resolutions/999999/").status_code == 404
    assert client.get("/actors/nobody/").status_code == 404
    assert client.get("/mandates/999999/").status_code == 404


def test_paragraph_text_is_escaped(client, db):
    mandate = MandateFactory(
        paragraph=ParagraphFactory(text="Requests the Secretariat <script>alert(1)</script>;")
    )
    html = client.get(mandate.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _grow(resolution, n):
    for _ in range(n):
        MandateFactory(paragraph=ParagraphFactory(resolution=resolution))


@pytest.mark.parametrize(
    "url_for",
    [
        lambda r, m: "/",
        lambda r, m: r.get_absolute_url(),
        lambda r, m: reverse("resolutions:actor-detail", args=["secretariat"]),
        lambda r, m: reverse("resolutions:actor-list"),
        lambda r, m: m.get_absolute_url(),
    ],
    ids=["home", "resolution", "actor", "actors", "mandate"],
)
def test_pages_run_a_fixed_number_of_queries(client, db, django_assert_num_queries, url_for):
    """The same number of queries for a resolution with one mandate and with thirty."""
    resolution = ResolutionFactory()
    _grow(resolution, 1)
    mandate = Mandate.objects.first()
    url = url_for(resolution, mandate)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(resolution, 29)
    for _ in range(3):
        MandateFactory(paragraph=ParagraphFactory(resolution=resolution), actor__slug="parties")
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
