"""Links of mandates to conventions, organisations, GBF targets and SDGs: the data, the
importer's suggestions, and the Secretariat's decisions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from partners.models import Organisation
from resolutions import services
from resolutions.models import GbfTarget, LinkState, Mandate, MandateLink, Sdg
from resolutions.seed import seed_load, seed_text


def _link(seed, number: str, actor: str, slug: str) -> MandateLink:
    return MandateLink.objects.get(
        mandate__resolution=seed,
        mandate__paragraph__number=number,
        mandate__actor__slug=actor,
        organisation__slug=slug,
    )


def test_the_seed_ships_the_vocabulary(seed):
    assert GbfTarget.objects.count() == 23
    assert GbfTarget.objects.get(code="T21").title.startswith("Ensure That Knowledge")
    assert Sdg.objects.count() == 17
    assert Sdg.objects.get(number=17).title == "Partnerships for the Goals"
    for slug in ("cbd", "ramsar", "cites", "iwc", "whc", "bern", "bbnj", "blg", "unep", "fao"):
        assert Organisation.objects.filter(slug=slug).exists(), slug


def test_the_seed_resolution_carries_suggested_links_only(seed):
    links = MandateLink.objects.filter(mandate__resolution=seed)
    assert links.count() > 20
    assert set(links.values_list("state", flat=True)) == {LinkState.SUGGESTED}
    # Paragraph 10 names the Ramsar Convention and CBD; paragraph 14 CITES.
    ramsar = _link(seed, "10", "secretariat", "ramsar")
    assert ramsar.phrase == "Ramsar Convention on Wetlands"
    assert _link(seed, "10", "secretariat", "cbd")
    assert _link(seed, "14", "secretariat", "cites")
    # Paragraph 1 names no organisation.
    assert not links.filter(mandate__paragraph__number="1").exists()


def test_loading_the_seed_again_writes_nothing(seed):
    before = sorted(MandateLink.objects.values_list("pk", "state"))
    report = seed_load()
    assert not report.changed
    assert sorted(MandateLink.objects.values_list("pk", "state")) == before


def test_suggestions_for_a_database_seeded_before_links(seed):
    MandateLink.objects.all().delete()
    report = seed_load()
    assert report.links_suggested > 20
    assert report.changed


def test_the_secretariat_confirms_and_removes(seed, secretariat_user):
    link = _link(seed, "10", "secretariat", "ramsar")
    confirmed = services.mandate_link_confirm(link=link, user=secretariat_user)
    assert confirmed.state == LinkState.CONFIRMED
    assert confirmed.decided_by == secretariat_user
    assert confirmed.decided_at is not None
    again = services.mandate_link_confirm(link=link, user=secretariat_user)
    assert again.decided_at == confirmed.decided_at  # nothing to do, nothing written

    removed = services.mandate_link_remove(
        link=_link(seed, "14", "secretariat", "cites"), user=secretariat_user
    )
    assert removed.state == LinkState.REJECTED


@pytest.mark.parametrize("who", ["reader_user", "focal_point_user", None])
def test_only_the_secretariat_decides(seed, request, who):
    user = request.getfixturevalue(who) if who else None
    link = _link(seed, "10", "secretariat", "ramsar")
    with pytest.raises(PermissionDenied):
        services.mandate_link_confirm(link=link, user=user)
    with pytest.raises(PermissionDenied):
        services.mandate_link_remove(link=link, user=user)
    link.refresh_from_db()
    assert link.state == LinkState.SUGGESTED


def test_a_removed_suggestion_is_not_suggested_again(seed, secretariat_user):
    link = _link(seed, "10", "secretariat", "ramsar")
    services.mandate_link_remove(link=link, user=secretariat_user)
    assert services.mandate_links_suggest(resolution=seed) == 0
    seed_load()
    link.refresh_from_db()
    assert link.state == LinkState.REJECTED
    assert (
        MandateLink.objects.filter(mandate=link.mandate, organisation__slug="ramsar").count() == 1
    )


def test_decisions_follow_the_text_into_a_revision(seed, secretariat_user):
    """A revision with the same paragraph text gets the Secretariat's decisions, not fresh
    suggestions: a removed link stays removed, a confirmed one stays confirmed."""
    services.mandate_link_remove(
        link=_link(seed, "10", "secretariat", "ramsar"), user=secretariat_user
    )
    services.mandate_link_confirm(
        link=_link(seed, "10", "secretariat", "cbd"), user=secretariat_user
    )
    record = services.import_record_create(
        user=secretariat_user,
        text=seed_text("synergies-and-partnerships"),
        symbol="11.10 (Rev.COP15)",
        title="Synergies and Partnerships",
    )
    revision = services.import_record_confirm(record=record, user=secretariat_user)
    assert _link(revision, "10", "secretariat", "ramsar").state == LinkState.REJECTED
    cbd = _link(revision, "10", "secretariat", "cbd")
    assert cbd.state == LinkState.CONFIRMED
    assert cbd.decided_by == secretariat_user
    # Undecided ones are suggestions again.
    assert _link(revision, "14", "secretariat", "cites").state == LinkState.SUGGESTED


def test_a_person_adds_a_link(seed, secretariat_user):
    mandate = Mandate.objects.filter(resolution=seed, paragraph__number="3").first()
    target = GbfTarget.objects.get(code="T21")
    link = services.mandate_link_add(mandate=mandate, user=secretariat_user, gbf_target=target)
    assert (link.kind, link.state, link.source) == ("gbf_target", "confirmed", "person")
    assert (
        services.mandate_link_add(mandate=mandate, user=secretariat_user, gbf_target=target).pk
        == link.pk
    )
    # Adding a removed suggestion confirms it.
    removed = services.mandate_link_remove(
        link=_link(seed, "14", "secretariat", "cites"), user=secretariat_user
    )
    back = services.mandate_link_add(
        mandate=removed.mandate,
        user=secretariat_user,
        organisation=Organisation.objects.get(slug="cites"),
    )
    assert (back.pk, back.state) == (removed.pk, LinkState.CONFIRMED)


def test_goals_cited_by_number_are_suggested(seed, secretariat_user):
    text = seed_text("synergies-and-partnerships").replace(
        "3. Requests the Secretariat",
        "3. Requests the Secretariat, towards GBF Target 21 and SDG 17,",
        1,
    )
    assert "GBF Target 21" in text
    record = services.import_record_create(
        user=secretariat_user, text=text, symbol="99.1", title="Goals"
    )
    resolution = services.import_record_confirm(record=record, user=secretariat_user)
    kinds = set(
        MandateLink.objects.filter(
            mandate__resolution=resolution, mandate__paragraph__number="3"
        ).values_list("kind", "state")
    )
    assert kinds == {("gbf_target", "suggested"), ("sdg", "suggested")}
