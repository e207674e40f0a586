"""Benchmark data (`generate_scale_data`, at a tiny factor) and full-text search: the stored
tsvectors, the `q` filter on them and the GIN indexes that answer it."""

from __future__ import annotations

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max

from partners.models import PartyStatus
from resolutions.filters import mandate_text_search
from resolutions.models import Mandate, MandateNarratives, Paragraph, Resolution, StatusUpdate
from resolutions.scale import SOURCE_NAME, Counts, generate_scale_data
from resolutions.services import mandate_status_update
from tests.factories import MandateFactory, PartyStatusFactory
from tests.processes import manage

pytestmark = pytest.mark.django_db

TINY = 0.001


def _fingerprint() -> list[tuple]:
    return list(
        StatusUpdate.objects.order_by("mandate__paragraph__order", "mandate__position", "version")
        .values_list(
            "mandate__resolution__symbol",
            "mandate__paragraph__order",
            "mandate__position",
            "version",
            "status",
            "narrative",
        )
        .iterator()
    )


def test_generate_scale_data_tiny_counts_consistency_and_second_run(capsys, secretariat_user):
    call_command("generate_scale_data", "--factor", str(TINY))
    out = capsys.readouterr().out
    assert "Scale data written" in out
    counts = Counts.for_factor(TINY)
    generated = Mandate.objects.filter(resolution__source_name=SOURCE_NAME)
    assert Resolution.objects.filter(source_name=SOURCE_NAME).count() == counts.resolutions
    assert Paragraph.objects.filter(resolution__source_name=SOURCE_NAME).count() == (
        counts.paragraphs
    )
    assert generated.count() == counts.mandates
    updates = StatusUpdate.objects.filter(mandate__in=generated)
    assert updates.count() == counts.status_updates == 1000
    assert PartyStatus.objects.filter(mandate__in=generated).count() == counts.party_statuses
    assert (
        PartyStatus.objects.filter(mandate__in=generated)
        .exclude(mandate__actor__slug="parties")
        .exists()
        is False
    )

    # Each mandate agrees with its latest update, as the services would leave it.
    latest = {
        row["mandate"]: row
        for row in updates.values("mandate").annotate(n=Count("id"), v=Max("version"))
    }
    for mandate in generated:
        row = latest[mandate.pk]
        assert mandate.version == row["v"] == row["n"]
        last = StatusUpdate.objects.get(mandate=mandate, version=mandate.version)
        assert (mandate.status, mandate.progress) == (last.status, last.progress)
        assert mandate.status_changed_at == last.created_at

    # Every generated mandate with a narrative has its search document, whose words are
    # found: the COPY skipped the triggers, the rebuild made up for it.
    narrated = set(updates.exclude(narrative="").values_list("mandate_id", flat=True))
    documents = set(MandateNarratives.objects.values_list("mandate_id", flat=True))
    assert narrated and narrated <= documents
    some = updates.exclude(narrative="").first()
    word = max(some.narrative.rstrip(".").split(), key=len)
    assert some.mandate_id in _ids(mandate_text_search(Mandate.objects.all(), word))

    # The services carry on from the generated history.
    mandate = generated.first()
    before = mandate.version
    update = mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="completed",
        progress=100,
        narrative="Closed after the scale run.",
        evidence_links=[],
        expected_version=mandate.version,
    )
    assert update.version == before + 1

    call_command("generate_scale_data", "--factor", str(TINY))
    assert "already present" in capsys.readouterr().out
    assert generated.count() == counts.mandates


def test_generate_scale_data_is_deterministic():
    generate_scale_data(factor=TINY)
    first = _fingerprint()
    # Histories are append-only in the database; starting again is the one exception.
    with pgtrigger.ignore(
        "resolutions.StatusUpdate:statusupdate_append_only",
        "partners.PartyStatus:partystatus_append_only",
    ):
        StatusUpdate.objects.all().delete()
        PartyStatus.objects.all().delete()
        Resolution.objects.filter(source_name=SOURCE_NAME).delete()
    generate_scale_data(factor=TINY)
    assert _fingerprint() == first
    assert len(first) == 1000


def test_generate_scale_data_refuses_a_bad_factor():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="positive"):
        call_command("generate_scale_data", "--factor", "0")
    assert not Resolution.objects.exists()


def test_generate_scale_data_on_an_unmigrated_database_says_so(scratch_db):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{scratch_db}"
    result = manage("generate_scale_data", "--factor", str(TINY), env={"DATABASE_URL": url})
    assert result.returncode != 0
    assert f"The database '{scratch_db}' is not migrated" in result.stderr
    assert "python manage.py migrate" in result.stderr
    assert "Traceback" not in result.stderr


# --- full-text search ---------------------------------------------------------------------


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_q_searches_paragraphs_and_narratives_with_stemming(client, secretariat_user):
    coop = MandateFactory(paragraph__text="Requests the Secretariat to strengthen cooperation;")
    other = MandateFactory(paragraph__text="Invites Parties to report on bycatch;")
    narrated = MandateFactory(paragraph__text="Urges Parties to act;")
    party_narrated = MandateFactory(paragraph__text="Encourages Parties to monitor;")
    mandate_status_update(
        mandate=narrated,
        user=secretariat_user,
        status="in_progress",
        progress=None,
        narrative="A joint workshop on cooperating flyways was held in Bonn.",
        evidence_links=[],
        expected_version=0,
    )
    PartyStatusFactory(mandate=party_narrated, narrative="Our cooperative telemetry programme.")

    everything = Mandate.objects.all()
    assert _ids(mandate_text_search(everything, "cooperation")) == {
        coop.pk,
        narrated.pk,
        party_narrated.pk,
    }
    assert _ids(mandate_text_search(everything, "bycatch")) == {other.pk}
    assert _ids(mandate_text_search(everything, '"joint workshop"')) == {narrated.pk}
    assert _ids(mandate_text_search(everything, "cooperation -flyways")) == {
        coop.pk,
        party_narrated.pk,
    }
    assert _ids(mandate_text_search(everything, "nothing-like-this")) == set()

    response = client.get("/api/v1/mandates/", {"q": "bycatch"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [other.pk]


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        # Deterministic on a handful of rows: a sequential scan is otherwise cheaper.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_query_plan_uses_the_gin_indexes():
    MandateFactory(paragraph__text="Requests the Secretariat to strengthen cooperation;")
    queryset = mandate_text_search(Mandate.objects.all(), "cooperation")
    sql, params = queryset.query.sql_with_params()
    plan = _plan(sql, params)
    assert "resolutions_paragraph_search_gin" in plan, plan
    assert "resolutions_mandatenarratives_search_gin" in plan, plan
    # The narratives are read through the per-mandate documents, not the history tables.
    assert "resolutions_statusupdate" not in plan and "partners_partystatus" not in plan, plan
    # A phrase needs word positions, which only the history rows keep.
    phrase = mandate_text_search(Mandate.objects.all(), '"strengthen cooperation"')
    plan = _plan(*phrase.query.sql_with_params())
    assert "resolutions_statusupdate_search_gin" in plan, plan
    assert "partners_partystatus_search_gin" in plan, plan
    assert "resolutions_mandatenarratives" not in plan, plan


def test_each_mandate_has_one_search_document_of_all_its_narratives(secretariat_user):
    """Kept by the database on every insert into either history, whatever wrote it."""
    mandate = MandateFactory(paragraph__text="Urges Parties to act;")
    assert not MandateNarratives.objects.filter(mandate=mandate).exists()
    mandate_status_update(
        mandate=mandate,
        user=secretariat_user,
        status="in_progress",
        progress=None,
        narrative="Satellite telemetry of storks began.",
        evidence_links=[],
        expected_version=0,
    )
    mandate_status_update(  # no narrative: nothing to add
        mandate=mandate,
        user=secretariat_user,
        status="delayed",
        progress=None,
        narrative="",
        evidence_links=[],
        expected_version=1,
    )
    PartyStatusFactory(mandate=mandate, narrative="Wetland restoration in the delta.")
    document = MandateNarratives.objects.get(mandate=mandate).search_vector
    for word in ("satellit", "telemetri", "stork", "wetland", "restor", "delta"):
        assert f"'{word}'" in document, document
    # Words from different narratives find the mandate together; a phrase, within one.
    assert _ids(mandate_text_search(Mandate.objects.all(), "wetland storks")) == {mandate.pk}
    assert _ids(mandate_text_search(Mandate.objects.all(), '"wetland restoration"')) == {mandate.pk}
    assert _ids(mandate_text_search(Mandate.objects.all(), '"restoration wetland"')) == set()
    # The document goes with its mandate (whose history may go only with the triggers off).
    with pgtrigger.ignore(
        "resolutions.StatusUpdate:statusupdate_append_only",
        "partners.PartyStatus:partystatus_append_only",
    ):
        Mandate.objects.filter(pk=mandate.pk).delete()
    assert not MandateNarratives.objects.exists()


def test_search_vectors_follow_every_write(secretariat_user):
    mandate = MandateFactory(paragraph__text="Requests the Secretariat to act;")
    Paragraph.objects.filter(pk=mandate.paragraph_id).update(text="Requests a flyway review;")
    everything = Mandate.objects.all()
    assert _ids(mandate_text_search(everything, "flyways")) == {mandate.pk}
    assert _ids(mandate_text_search(everything, "act")) == set()
