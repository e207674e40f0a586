"""`party_status_record`: who may report, what is checked, no lost update; and the
selectors' fixed query counts."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from partners.models import Party, PartyStatus
from partners.selectors import party_obligations
from partners.services import StalePartyStatus, party_status_record
from resolutions.models import Mandate
from tests.factories import ActorFactory, MandateFactory, ParagraphFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mandate(seed) -> Mandate:
    return Mandate.objects.filter(actor__slug="parties").order_by("paragraph__order").first()


def test_only_the_party_and_the_secretariat_may_report(
    mandate, focal_point_user, other_focal_point_user, reader_user, secretariat_user
):
    uz = Party.objects.get(iso2="UZ")
    for user in (other_focal_point_user, reader_user):
        with pytest.raises(PermissionDenied):
            party_status_record(party=uz, mandate=mandate, user=user, status="implemented")
    assert party_status_record(
        party=uz, mandate=mandate, user=secretariat_user, status="in_progress"
    )
    assert party_status_record(
        party=uz, mandate=mandate, user=focal_point_user, status="implemented"
    )
    assert list(
        PartyStatus.objects.order_by("version").values_list("status", "previous_status")
    ) == [
        ("in_progress", "not_reported"),
        ("implemented", "in_progress"),
    ]


def test_a_mandate_not_addressed_to_parties_cannot_be_reported(
    seed, focal_point_user, secretariat_user
):
    uz = Party.objects.get(iso2="UZ")
    secretariat_mandate = Mandate.objects.filter(resolution=seed, actor__slug="secretariat").first()
    for user in (focal_point_user, secretariat_user):
        with pytest.raises(PermissionDenied):
            party_status_record(
                party=uz, mandate=secretariat_mandate, user=user, status="implemented"
            )
    assert not PartyStatus.objects.exists()


def test_a_mandate_addressed_to_the_party_by_name_is_its_own(
    seed, focal_point_user, other_focal_point_user
):
    uz = Party.objects.get(iso2="UZ")
    by_name = MandateFactory(
        paragraph=ParagraphFactory(resolution=seed, order=990),
        actor=ActorFactory(slug="party-uz", name="Uzbekistan"),
        verb="invite",
    )
    assert by_name.pk in set(party_obligations(party=uz).values_list("pk", flat=True))
    assert by_name.pk not in set(
        party_obligations(party=Party.objects.get(iso2="BR")).values_list("pk", flat=True)
    )
    with pytest.raises(PermissionDenied):
        party_status_record(
            party=Party.objects.get(iso2="BR"),
            mandate=by_name,
            user=other_focal_point_user,
            status="implemented",
        )
    assert party_status_record(
        party=uz, mandate=by_name, user=focal_point_user, status="implemented"
    )


def test_bad_input_and_no_op_write_nothing(mandate, focal_point_user):
    uz = Party.objects.get(iso2="UZ")
    with pytest.raises(ValidationError) as error:
        party_status_record(
            party=uz,
            mandate=mandate,
            user=focal_point_user,
            status="implemented",
            evidence_links=["ftp://example.org/x"],
        )
    assert "evidence_links" in error.value.message_dict
    with pytest.raises(ValidationError):
        party_status_record(party=uz, mandate=mandate, user=focal_point_user, status="finished")
    # Reporting "not reported" before any report changes nothing.
    assert (
        party_status_record(party=uz, mandate=mandate, user=focal_point_user, status="not_reported")
        is None
    )
    assert not PartyStatus.objects.exists()


def test_stale_version_is_refused(mandate, focal_point_user):
    uz = Party.objects.get(iso2="UZ")
    party_status_record(
        party=uz, mandate=mandate, user=focal_point_user, status="in_progress", expected_version=0
    )
    with pytest.raises(StalePartyStatus) as stale:
        party_status_record(
            party=uz,
            mandate=mandate,
            user=focal_point_user,
            status="implemented",
            expected_version=0,
        )
    assert stale.value.current_version == 1 and stale.value.latest.status == "in_progress"
    assert PartyStatus.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_of_concurrent_reports_on_the_same_version_exactly_one_lands(seed, focal_point_user):
    mandate = Mandate.objects.filter(actor__slug="parties").order_by("paragraph__order").first()
    uz = Party.objects.get(iso2="UZ")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def report(n: int) -> None:
        try:
            barrier.wait()
            party_status_record(
                party=uz,
                mandate=mandate,
                user=focal_point_user,
                status="implemented",
                narrative=f"writer {n}",
                expected_version=0,
            )
            outcomes.append("saved")
        except StalePartyStatus:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]
    assert PartyStatus.objects.count() == 1


def test_party_list_runs_a_fixed_number_of_queries(
    cms_parties, seed, client, django_assert_num_queries
):
    from tests.factories import PartyStatusFactory

    with django_assert_num_queries(5) as few:
        client.get("/parties/")
    for party in Party.objects.all()[:40]:
        PartyStatusFactory(
            party=party, mandate=Mandate.objects.filter(actor__slug="parties").first()
        )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/parties/")
    assert "Parties that reported, by region" in response.content.decode()
