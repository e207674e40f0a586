"""The mandate page's links (shown, confirmed, removed), the synergies page, the
paragraph URIs and citations as links."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from resolutions.models import LinkState, Mandate, MandateLink
from tests.factories import MandateFactory, ParagraphFactory, ResolutionFactory


def _link(seed, number: str, actor: str, slug: str) -> MandateLink:
    return MandateLink.objects.get(
        mandate__resolution=seed,
        mandate__paragraph__number=number,
        mandate__actor__slug=actor,
        organisation__slug=slug,
    )


def _chips(html: str) -> list[str]:
    return re.findall(r'<span class="link-chip"[^>]*>.*?</span></span>', html, re.S)


def test_a_suggested_link_is_never_shown_as_confirmed(client, seed):
    link = _link(seed, "10", "secretariat", "ramsar")
    for url in (
        reverse("resolutions:mandate-detail", args=[link.mandate_id]),
        reverse("synergies") + "?organisation=ramsar",
    ):
        html = client.get(url).content.decode()
        chips = [c for c in _chips(html) if ">Ramsar<" in c]
        assert chips, url
        for chip in chips:
            assert 'data-link-state="suggested"' in chip
            assert ">suggested<" in chip
            assert "confirmed" not in chip


def test_the_secretariat_confirms_on_the_mandate_page(secretariat_client, seed):
    link = _link(seed, "10", "secretariat", "ramsar")
    page = reverse("resolutions:mandate-detail", args=[link.mandate_id])
    html = secretariat_client.get(page).content.decode()
    assert 'aria-label="Confirm the link to Ramsar"' in html
    response = secretariat_client.post(
        reverse("resolutions:mandate-link-decide", args=[link.mandate_id, link.pk]),
        {"action": "confirm"},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.state == LinkState.CONFIRMED
    chip = [c for c in _chips(secretariat_client.get(page).content.decode()) if ">Ramsar<" in c]
    assert 'data-link-state="confirmed"' in chip[0] and ">confirmed<" in chip[0]


def test_a_removed_link_disappears(secretariat_client, seed):
    link = _link(seed, "14", "secretariat", "cites")
    secretariat_client.post(
        reverse("resolutions:mandate-link-decide", args=[link.mandate_id, link.pk]),
        {"action": "remove"},
    )
    html = secretariat_client.get(reverse("resolutions:mandate-detail", args=[link.mandate_id]))
    assert not [c for c in _chips(html.content.decode()) if ">CITES<" in c]
    link.refresh_from_db()
    assert link.state == LinkState.REJECTED


def test_adding_a_link_on_the_mandate_page(secretariat_client, seed):
    mandate = Mandate.objects.filter(resolution=seed, paragraph__number="3").first()
    url = reverse("resolutions:mandate-link-add", args=[mandate.pk])
    assert secretariat_client.post(url, {"target": "gbf_target:T21"}).status_code == 302
    assert mandate.links.get(gbf_target__code="T21").state == LinkState.CONFIRMED
    secretariat_client.post(url, {"target": "sdg:99"})
    assert not mandate.links.filter(kind="sdg").exists()


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user"])
def test_others_cannot_decide(client, seed, request, who):
    client.force_login(request.getfixturevalue(who))
    link = _link(seed, "10", "secretariat", "ramsar")
    html = client.get(reverse("resolutions:mandate-detail", args=[link.mandate_id])).content
    assert b"Confirm the link" not in html
    url = reverse("resolutions:mandate-link-decide", args=[link.mandate_id, link.pk])
    assert client.post(url, {"action": "confirm"}).status_code == 403
    link.refresh_from_db()
    assert link.state == LinkState.SUGGESTED


def test_anonymous_visitors_are_sent_to_sign_in(client, seed):
    link = _link(seed, "10", "secretariat", "ramsar")
    url = reverse("resolutions:mandate-link-decide", args=[link.mandate_id, link.pk])
    response = client.post(url, {"action": "remove"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_synergies_page_lists_mandates_across_resolutions(client, seed):
    other = ResolutionFactory(symbol="12.3", title="Other")
    paragraph = ParagraphFactory(resolution=other, number="4", text="Asks CITES.")
    mandate = MandateFactory(resolution=other, paragraph=paragraph)
    MandateLink.objects.create(
        mandate=mandate,
        kind="organisation",
        organisation_id=_link(seed, "14", "secretariat", "cites").organisation_id,
        state=LinkState.CONFIRMED,
    )
    response = client.get(reverse("synergies"), {"organisation": "cites"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 mandates linked to CITES" in html
    assert "Resolution 12.3" in html and seed.display_symbol in html
    confirmed = client.get(
        reverse("synergies"), {"organisation": "cites", "link_state": "confirmed"}
    )
    assert "1 mandate linked to CITES" in confirmed.content.decode()


def test_synergies_page_refuses_unknown_choices(client, seed):
    response = client.get(reverse("synergies"), {"organisation": "nowhere"})
    assert response.status_code == 400
    assert "nowhere" in response.content.decode()
    assert client.get(reverse("synergies"), {"colour": "red"}).status_code == 400


def test_synergies_page_runs_a_fixed_number_of_queries(client, seed, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("synergies"), {"organisation": "blg"})
    other = ResolutionFactory(symbol="12.4")
    blg = _link(seed, "2", "secretariat", "blg").organisation_id
    for n in range(15):
        mandate = MandateFactory(
            resolution=other,
            paragraph=ParagraphFactory(resolution=other, text=f"Resolution 11.10 (Rev.COP14) {n}"),
        )
        MandateLink.objects.create(mandate=mandate, kind="organisation", organisation_id=blg)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("synergies"), {"organisation": "blg"}).content.decode()
    assert "12.4" in html


def test_the_citation_map(client, seed):
    cited = ResolutionFactory(symbol="12.25", title="Promoting Conservation")
    html = client.get(reverse("synergies")).content.decode()
    table = html[html.index('class="data citation-map"') :]
    # The seed cites 12.25 (known: a link) and 7.9 (not on record: plain text).
    assert f'<a href="{cited.get_absolute_url()}">Resolution 12.25</a>' in table
    assert '<span class="citation-unknown">Resolution 7.9</span>' in table
    row = table[table.index(cited.get_absolute_url() + '">Resolution 12.25</a> Promoting') :]
    assert seed.display_symbol in row.split("</tr>")[0]  # cited by the seed


def test_paragraph_uri_leads_to_its_place(client, seed):
    paragraph = seed.paragraphs.get(number="10")
    response = client.get(reverse("paragraph-uri", args=[paragraph.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{seed.get_absolute_url()}#para-{paragraph.pk}"
    page = client.get(seed.get_absolute_url()).content.decode()
    assert f'id="para-{paragraph.pk}"' in page
    assert client.get(reverse("paragraph-uri", args=[999999])).status_code == 404


def test_citations_become_links_when_known(client, seed):
    cited = ResolutionFactory(symbol="12.25", title="Promoting Conservation")
    html = client.get(seed.get_absolute_url()).content.decode()
    assert f'<a class="citation" href="{cited.get_absolute_url()}"' in html
    assert "Resolution 7.9" in html
    assert 'class="citation" href="' + "/resolutions/" not in html.split("Resolution 7.9")[0][-60:]


def test_citation_links_are_escaped(client, db):
    ResolutionFactory(symbol="12.3", title='<script>alert("t")</script>')
    resolution = ResolutionFactory(symbol="14.1")
    ParagraphFactory(
        resolution=resolution,
        part="preamble",
        number="",
        text='<img src=x onerror=alert(1)> see Resolution 12.3 & "Decision 1.1"',
    )
    html = client.get(resolution.get_absolute_url()).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html
    assert "Resolution 12.3</a> &amp; &quot;Decision 1.1&quot;" in html
