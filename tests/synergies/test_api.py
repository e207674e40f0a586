"""Links in the REST API (`links` on mandates, filters) and the JSON-LD export."""

from __future__ import annotations

import json

from django.urls import reverse

from resolutions.models import LinkState, MandateLink
from tests.factories import MandateFactory, ParagraphFactory, ResolutionFactory

API = "/api/v1/mandates/"


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_mandates_carry_their_links_with_their_state(client, seed):
    link = MandateLink.objects.get(
        mandate__resolution=seed,
        mandate__paragraph__number="10",
        mandate__actor__slug="secretariat",
        organisation__slug="ramsar",
    )
    row = client.get(f"{API}{link.mandate_id}/").json()
    ramsar = [item for item in row["links"] if item["key"] == "ramsar"]
    assert ramsar == [
        {
            "kind": "organisation",
            "key": "ramsar",
            "label": "Ramsar",
            "title": "Convention on Wetlands (Ramsar Convention)",
            "state": "suggested",
            "source": "importer",
            "decided_at": None,
        }
    ]
    link.state = LinkState.REJECTED
    link.save()
    row = client.get(f"{API}{link.mandate_id}/").json()
    assert "ramsar" not in [item["key"] for item in row["links"]]


def test_filters_by_organisation_gbf_target_and_sdg(client, seed, secretariat_user):
    from resolutions import services
    from resolutions.models import GbfTarget, Sdg

    ramsar = set(
        MandateLink.objects.filter(organisation__slug="ramsar").values_list("mandate_id", flat=True)
    )
    assert ramsar
    assert _ids(client.get(API, {"organisation": "ramsar", "page_size": 200})) == ramsar
    mandate = MandateLink.objects.filter(organisation__slug="ramsar").first().mandate
    services.mandate_link_add(
        mandate=mandate, user=secretariat_user, gbf_target=GbfTarget.objects.get(code="T21")
    )
    services.mandate_link_add(
        mandate=mandate, user=secretariat_user, sdg=Sdg.objects.get(number=17)
    )
    assert _ids(client.get(API, {"gbf_target": "T21"})) == {mandate.pk}
    assert _ids(client.get(API, {"sdg": "17"})) == {mandate.pk}
    assert _ids(client.get(API, {"sdg": "17", "organisation": "cites"})) == set()
    assert _ids(client.get(API, {"organisation": "ramsar", "link_state": "confirmed"})) == set()
    assert _ids(client.get(API, {"link_state": "confirmed"})) == {mandate.pk}
    # A removed link no longer matches.
    services.mandate_link_remove(link=mandate.links.get(sdg__number=17), user=secretariat_user)
    assert _ids(client.get(API, {"sdg": "17"})) == set()


def test_unknown_filter_values_are_400(client, seed):
    for params in (
        {"organisation": "atlantis"},
        {"gbf_target": "T99"},
        {"sdg": "18"},
        {"sdg": "x"},
        {"link_state": "rejected"},
    ):
        response = client.get(API, params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("application/problem+json")
        assert set(params) <= set(response.json()["errors"])


def test_the_list_runs_a_fixed_number_of_queries(client, seed, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        client.get(API, {"page_size": 1})
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = client.get(API, {"page_size": 200}).json()["results"]
    assert sum(len(r["links"]) for r in rows) > 20


def test_the_export(client, seed, secretariat_user):
    from resolutions import services

    link = MandateLink.objects.get(
        mandate__resolution=seed,
        mandate__paragraph__number="10",
        mandate__actor__slug="secretariat",
        organisation__slug="cbd",
    )
    services.mandate_link_confirm(link=link, user=secretariat_user)
    response = client.get(reverse("synergies-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.content)
    assert "@context" in document
    paragraph = seed.paragraphs.get(number="10")
    node = next(n for n in document["@graph"] if n["number"] == "10")
    assert node["@id"] == f"http://testserver/paragraphs/{paragraph.pk}/"
    assert node["isPartOf"]["symbol"] == seed.symbol
    assert node["isPartOf"]["@id"] == f"http://testserver{seed.get_absolute_url()}"
    cbd = [e for e in node["links"] if e["key"] == "cbd"]
    assert {e["state"] for e in cbd} == {"confirmed", "suggested"}
    confirmed = next(e for e in cbd if e["state"] == "confirmed")
    assert [m["actor"] for m in confirmed["mandates"]] == ["secretariat"]
    suggested = next(e for e in cbd if e["state"] == "suggested")
    assert "secretariat" not in [m["actor"] for m in suggested["mandates"]]

    only = json.loads(client.get(reverse("synergies-export"), {"state": "confirmed"}).content)
    assert [(n["number"], [e["key"] for e in n["links"]]) for n in only["@graph"]] == [
        ("10", ["cbd"])
    ]
    assert client.get(reverse("synergies-export"), {"state": "rejected"}).status_code == 400


def test_the_export_names_goals_by_thesaurus(client, db):
    from resolutions.seed import gbf_target_records
    from resolutions.services import synergy_vocabulary_sync

    synergy_vocabulary_sync(
        organisations=[],
        gbf_targets=gbf_target_records(),
        sdgs=[{"number": 17, "title": "Partnerships for the Goals"}],
    )
    from resolutions.models import GbfTarget, Sdg

    mandate = MandateFactory(paragraph=ParagraphFactory(resolution=ResolutionFactory()))
    MandateLink.objects.create(
        mandate=mandate, kind="gbf_target", gbf_target=GbfTarget.objects.get(code="T21")
    )
    MandateLink.objects.create(
        mandate=mandate, kind="sdg", sdg=Sdg.objects.get(number=17), state=LinkState.CONFIRMED
    )
    links = json.loads(client.get(reverse("synergies-export")).content)["@graph"][0]["links"]
    assert [(e["thesaurus"], e["state"]) for e in links] == [
        ("GBF-TARGET-21", "suggested"),
        ("SUSTAINABLE-DEVELOPMENT-GOAL-17", "confirmed"),
    ]
