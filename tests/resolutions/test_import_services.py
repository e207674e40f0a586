"""The import services: drafts, corrections, unmatched phrases, confirming, revisions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import Party, PartyStatus
from reporting.models import Meeting
from resolutions import revisions, selectors
from resolutions.models import (
    Actor,
    EvidenceFile,
    ImportRecord,
    ImportState,
    Mandate,
    MandateStatus,
    Paragraph,
    PhraseState,
    Resolution,
    ResolutionStatus,
    StatusUpdate,
    UnmatchedPhrase,
    UpdateSource,
)
from resolutions.parsing import iter_operative
from resolutions.seed import ACTORS_FILE, read_json, seed_text
from resolutions.services import (
    actors_sync,
    import_paragraph_correct,
    import_record_confirm,
    import_record_create,
    import_record_discard,
    import_record_update,
    mandate_status_update,
    unmatched_phrase_dismiss,
    unmatched_phrase_map,
    unmatched_phrase_map_new_actor,
)
from tests.factories import ResolutionFactory

TEXTS = Path(__file__).resolve().parent.parent / "data" / "importer"

pytestmark = pytest.mark.django_db


def text(name: str) -> str:
    return (TEXTS / f"{name}.txt").read_text()


def directive(record: ImportRecord, label: str, index: int = 0) -> dict:
    items = dict(iter_operative(record.reading))
    return items[label]["directives"][index]


@pytest.fixture
def decisions(seed, secretariat_user):
    return import_record_create(user=secretariat_user, text=text("decisions"))


# --- Drafts -------------------------------------------------------------------------------


def test_a_draft_takes_its_details_from_the_text(seed, secretariat_user):
    record = import_record_create(
        user=secretariat_user, text=text("header-block"), source_name="bats.txt"
    )
    assert (record.state, record.symbol, record.title, record.kind) == (
        ImportState.DRAFT,
        "14.15",
        "Bats and Wind Energy",
        "resolution",
    )
    assert record.adopted_at == Meeting.objects.get(code="COP14")
    assert (record.created_by, record.source_name) == (secretariat_user, "bats.txt")
    assert list(record.phrases.values_list("label", "verb", "phrase", "state")) == [
        ("2", "call_on", "the wind energy industry", "open"),
        ("4", "invite", "the CITES Secretariat", "open"),
        ("4", "invite", "Parties to the Ramsar Convention", "open"),
    ]
    assert not Resolution.objects.filter(symbol="14.15").exists()


@pytest.mark.parametrize("who", ["focal_point_user", "reader_user"])
def test_only_the_secretariat_imports(seed, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        import_record_create(user=user, text=text("header-block"))
    assert ImportRecord.objects.count() == 1  # the seed's own


def test_details_given_must_be_usable(seed, secretariat_user):
    with pytest.raises(ValidationError) as exc:
        import_record_create(
            user=secretariat_user, text=text("header-block"), symbol="11.10 (Rev.COP14)"
        )
    assert "exists already" in exc.value.message_dict["symbol"][0]


def test_a_revised_symbol_proposes_what_it_supersedes(seed, secretariat_user):
    record = import_record_create(
        user=secretariat_user,
        text=seed_text("synergies-and-partnerships"),
        symbol="11.10 (Rev.COP15)",
    )
    assert record.supersedes == seed


def test_a_new_adopting_meeting_reads_deadlines_again(decisions, secretariat_user):
    assert decisions.adopted_at is None
    assert directive(decisions, "14.214")["due_meeting"] is None
    updated = import_record_update(
        record=decisions,
        user=secretariat_user,
        symbol="14.211-14.216",
        title="River dolphins",
        kind="decision",
        adopted_at=Meeting.objects.get(code="COP14"),
        supersedes=None,
    )
    assert updated.title == "River dolphins"
    assert directive(updated, "14.214")["due_meeting"] == "COP15"
    assert ImportRecord.objects.get(pk=decisions.pk).title == "River dolphins"


def test_bad_details_are_refused_by_field(decisions, secretariat_user):
    with pytest.raises(ValidationError) as exc:
        import_record_update(
            record=decisions,
            user=secretariat_user,
            symbol="11.10 (Rev.COP14)",
            title="",
            kind="treaty",
            adopted_at=None,
            supersedes=None,
        )
    assert set(exc.value.message_dict) == {"symbol", "title", "kind"}
    assert (
        ImportRecord.objects.get(pk=decisions.pk).title
        == "Conservation of South Asian River Dolphins"
    )


def test_correcting_a_paragraph(decisions, secretariat_user):
    record = import_paragraph_correct(
        record=decisions,
        user=secretariat_user,
        label="14.216",
        directives=[("invite", ["non-party-range-states", "organizations"])],
    )
    corrected = directive(record, "14.216")
    assert (corrected["actors"], corrected["corrected"]) == (
        ["non-party-range-states", "organizations"],
        True,
    )
    # Unmatched phrases stay to be mapped: the correction is not a name for them.
    assert record.phrases.filter(state=PhraseState.OPEN).count() == 2
    with pytest.raises(ValidationError) as exc:
        import_paragraph_correct(
            record=record, user=secretariat_user, label="14.216", directives=[("ask", ["nobody"])]
        )
    assert set(exc.value.message_dict) == {"0:verb", "0:actors"}
    assert directive(ImportRecord.objects.get(pk=record.pk), "14.216")["verb"] == "invite"


# --- Unmatched phrases ----------------------------------------------------------------------


def test_mapping_a_phrase_on_a_draft(decisions, secretariat_user):
    commission = decisions.phrases.get(phrase="the River Dolphin Commission")
    unmatched_phrase_map_new_actor(
        phrase=commission,
        user=secretariat_user,
        name="River Dolphin Commission",
        kind="organisation",
    )
    actor = Actor.objects.get(slug="river-dolphin-commission")
    assert (actor.name, actor.kind, actor.aliases) == (
        "River Dolphin Commission",
        "organisation",
        [],
    )
    commission.refresh_from_db()
    assert (commission.state, commission.actor, commission.resolved_by) == (
        PhraseState.MAPPED,
        actor,
        secretariat_user,
    )
    states = UnmatchedPhrase.objects.get(pk=decisions.phrases.get(phrase="Range States").pk)
    assert states.state == PhraseState.OPEN

    unmatched_phrase_map(
        phrase=states, user=secretariat_user, actor=Actor.objects.get(slug="non-party-range-states")
    )
    record = ImportRecord.objects.get(pk=decisions.pk)
    invite = directive(record, "14.216")
    assert (invite["actors"], invite["unmatched"]) == (
        ["non-party-range-states", "river-dolphin-commission"],
        [],
    )
    assert "Range States" in Actor.objects.get(slug="non-party-range-states").aliases
    # The next import knows both names.
    again = import_record_create(user=secretariat_user, text=text("decisions"), symbol="x")
    assert directive(again, "14.216")["unmatched"] == []
    assert not again.phrases.exists()


def test_mapping_after_a_correction_keeps_the_correction(decisions, secretariat_user):
    import_paragraph_correct(
        record=decisions, user=secretariat_user, label="14.216", directives=[("urge", [])]
    )
    unmatched_phrase_map(
        phrase=decisions.phrases.get(phrase="Range States"),
        user=secretariat_user,
        actor=Actor.objects.get(slug="non-party-range-states"),
    )
    invite = directive(ImportRecord.objects.get(pk=decisions.pk), "14.216")
    assert (invite["verb"], invite["actors"]) == ("urge", ["non-party-range-states"])


def test_a_new_actor_needs_a_free_slug(decisions, secretariat_user):
    phrase = decisions.phrases.get(phrase="Range States")
    with pytest.raises(ValidationError) as exc:
        unmatched_phrase_map_new_actor(
            phrase=phrase, user=secretariat_user, name="Parties", kind="government"
        )
    assert "exists already" in exc.value.message_dict["slug"][0]
    phrase.refresh_from_db()
    assert phrase.state == PhraseState.OPEN


def test_dismissing_a_phrase(decisions, secretariat_user):
    phrase = decisions.phrases.get(phrase="Range States")
    unmatched_phrase_dismiss(phrase=phrase, user=secretariat_user)
    phrase.refresh_from_db()
    assert phrase.state == PhraseState.DISMISSED
    record = ImportRecord.objects.get(pk=decisions.pk)
    assert directive(record, "14.216")["unmatched"] == ["the River Dolphin Commission"]
    with pytest.raises(ValidationError):
        unmatched_phrase_dismiss(phrase=phrase, user=secretariat_user)


# --- Confirming ---------------------------------------------------------------------------


def test_confirm_stores_the_resolution_and_keeps_the_phrases(decisions, secretariat_user):
    resolution = import_record_confirm(record=decisions, user=secretariat_user)
    record = ImportRecord.objects.get(pk=decisions.pk)
    assert (record.state, record.resolution) == (ImportState.IMPORTED, resolution)
    # 14.211 to 14.215 address one known actor each; 14.216 none yet.
    assert resolution.mandates.count() == 5
    phrase = UnmatchedPhrase.objects.get(phrase="the River Dolphin Commission")
    assert (phrase.resolution, phrase.paragraph.number, phrase.state) == (
        resolution,
        "14.216",
        PhraseState.OPEN,
    )
    # Mapped after the import: the mandate appears on the paragraph.
    unmatched_phrase_map(
        phrase=phrase, user=secretariat_user, actor=Actor.objects.get(slug="organizations")
    )
    mandate = Mandate.objects.get(paragraph=phrase.paragraph, actor__slug="organizations")
    assert (mandate.verb, mandate.strength, mandate.addressee_phrase) == (
        "invite",
        "exhortation",
        "the River Dolphin Commission",
    )
    paragraph = Paragraph.objects.get(pk=phrase.paragraph_id)
    assert paragraph.reading[0]["actors"] == ["organizations"]
    assert paragraph.reading[0]["unmatched"] == ["Range States"]
    with pytest.raises(ValidationError):
        import_record_confirm(record=record, user=secretariat_user)


def test_confirm_is_all_or_nothing(decisions, secretariat_user):
    ResolutionFactory(symbol=decisions.symbol)  # someone stored the symbol meanwhile
    paragraphs = Paragraph.objects.count()
    with pytest.raises(ValidationError) as exc:
        import_record_confirm(record=decisions, user=secretariat_user)
    assert "symbol" in exc.value.message_dict
    assert Paragraph.objects.count() == paragraphs
    assert ImportRecord.objects.get(pk=decisions.pk).state == ImportState.DRAFT


def test_a_discarded_draft_cannot_be_confirmed(decisions, secretariat_user):
    import_record_discard(record=decisions, user=secretariat_user)
    with pytest.raises(ValidationError):
        import_record_confirm(record=decisions, user=secretariat_user)
    assert not Resolution.objects.filter(symbol=decisions.symbol).exists()


def test_loading_the_vocabulary_again_keeps_aliases_added_in_the_application(seed):
    parties = Actor.objects.get(slug="parties")
    parties.aliases = [*parties.aliases, "Member States"]
    parties.save()
    assert actors_sync(actors=read_json(ACTORS_FILE)) == 0
    assert Actor.objects.get(slug="parties").aliases[-1] == "Member States"


# --- Revisions ----------------------------------------------------------------------------


def revised_seed() -> str:
    """The seed text revised: paragraph 7 reworded, 24 deleted, a new 3, renumbered."""
    source = seed_text("synergies-and-partnerships")
    head, operative = source.split("The Conference of the Parties to the \n", 1)
    operative = operative.replace("letters of endorsement for NGO", "letters of support for NGO")
    start = operative.index("24. Also invites")
    operative = operative[:start] + operative[operative.index("25. Further invites") :]
    operative = operative.replace(
        "3. Requests the Secretariat to continue developing",
        "3. Requests the Secretariat to prepare a report on partnerships with the private "
        "sector for the 15th meeting of the Conference of the Parties; \n\n"
        "3. Requests the Secretariat to continue developing",
    )
    numbers = iter(range(1, 100))
    operative = re.sub(
        r"(?m)^(\s*)\d{1,2}\. (?=[A-Z])", lambda m: f"{m.group(1)}{next(numbers)}. ", operative
    )
    return head + "The Conference of the Parties to the \n" + operative


@pytest.fixture
def history(seed, secretariat_user, focal_point_user, settings, tmp_path):
    """Status histories on the seed: paragraph 27 (kept as it is), 10 (kept, renumbered
    11), 7 (reworded); a Party's own status on paragraph 29."""
    settings.MEDIA_ROOT = tmp_path

    def mandate(number, slug):
        return Mandate.objects.get(resolution=seed, paragraph__number=number, actor__slug=slug)

    p27 = mandate("27", "secretariat")
    mandate_status_update(
        mandate=p27,
        user=secretariat_user,
        status="in_progress",
        progress=30,
        narrative="Reported to StC53 on joint BLG activities.",
        evidence_links=["https://example.org/stc53"],
        evidence_files=[SimpleUploadedFile("note.txt", b"Minutes of StC53.", "text/plain")],
        expected_version=0,
    )
    mandate_status_update(mandate=p27, user=secretariat_user, status="ongoing", expected_version=1)
    mandate_status_update(
        mandate=mandate("10", "scientific-council"),
        user=secretariat_user,
        status="in_progress",
        expected_version=0,
    )
    mandate_status_update(
        mandate=mandate("7", "secretariat"),
        user=secretariat_user,
        status="completed",
        expected_version=0,
    )
    PartyStatus.objects.create(
        party=Party.objects.get(iso2="UZ"),
        mandate=mandate("29", "parties"),
        version=1,
        status="in_progress",
        narrative="National working group set up.",
        author=focal_point_user,
    )
    return seed


def test_revision_supersedes_and_carries_history_over(history, secretariat_user):
    old = history
    old_updates = {
        (u.mandate.paragraph.number, u.mandate.actor.slug, u.version): u
        for u in StatusUpdate.objects.filter(mandate__resolution=old).select_related(
            "mandate__paragraph", "mandate__actor"
        )
    }
    before = Mandate.objects.get(resolution=old, paragraph__number="27", actor__slug="secretariat")
    record = import_record_create(
        user=secretariat_user, text=revised_seed(), symbol="11.10 (Rev.COP15)"
    )
    assert record.supersedes == old
    new = import_record_confirm(record=record, user=secretariat_user)

    old.refresh_from_db()
    assert (new.supersedes, old.status) == (old, ResolutionStatus.SUPERSEDED)

    # The difference: matched by text, whatever the numbers.
    _, differences = selectors.resolution_changes(pk=new.pk)
    assert revisions.summary(differences) == {
        "unchanged": 53,
        "changed": 1,
        "added": 1,
        "removed": 1,
    }
    by_status = {d.status: d for d in differences if d.status != "unchanged"}
    assert (by_status["changed"].old.label, by_status["changed"].new.label) == ("7", "8")
    assert by_status["removed"].old.label == "24"
    assert by_status["added"].new.label == "3"
    assert any(
        d.old.label == "10" and d.new.label == "11" for d in differences if d.status == "unchanged"
    )

    def mandate(number, slug):
        return Mandate.objects.get(resolution=new, paragraph__number=number, actor__slug=slug)

    # Paragraph 27, unchanged: its history, authors and times as they were.
    kept = mandate("27", "secretariat")
    assert (kept.status, kept.progress, kept.version, kept.status_changed_at) == (
        "ongoing",
        before.progress,
        2,
        before.status_changed_at,
    )
    copied = list(kept.updates.order_by("version"))
    assert [
        (u.version, u.status, u.author, u.created_at, u.narrative, u.evidence_links) for u in copied
    ] == [
        (v, o.status, o.author, o.created_at, o.narrative, o.evidence_links)
        for v, o in (
            (1, old_updates[("27", "secretariat", 1)]),
            (2, old_updates[("27", "secretariat", 2)]),
        )
    ]
    (evidence,) = EvidenceFile.objects.filter(status_update__mandate=kept)
    original = EvidenceFile.objects.get(status_update=old_updates[("27", "secretariat", 1)])
    assert (evidence.file.name, evidence.created_at) == (original.file.name, original.created_at)
    # Paragraph 10, now 11: same text, so its history too.
    assert mandate("11", "scientific-council").status == "in_progress"
    # Paragraph 7, reworded (now 8): a fresh start.
    fresh = mandate("8", "secretariat")
    assert (fresh.status, fresh.version, fresh.updates.count()) == ("not_started", 0, 0)
    # A Party's own status follows its mandate.
    (party_status,) = PartyStatus.objects.filter(mandate=mandate("29", "parties"))
    assert party_status.narrative == "National working group set up."

    # The old mandates are closed as superseded, their history extended, never rewritten.
    assert set(Mandate.objects.filter(resolution=old).values_list("status", flat=True)) == {
        MandateStatus.SUPERSEDED
    }
    old27 = Mandate.objects.get(resolution=old, paragraph__number="27", actor__slug="secretariat")
    assert list(old27.updates.order_by("version").values_list("version", "status", "source")) == [
        (1, "in_progress", "web"),
        (2, "ongoing", "web"),
        (3, "superseded", UpdateSource.IMPORT),
    ]
    assert old27.updates.get(version=3).author == secretariat_user


def test_only_a_resolution_in_force_can_be_superseded(history, secretariat_user):
    first = import_record_create(
        user=secretariat_user, text=revised_seed(), symbol="11.10 (Rev.COP15)"
    )
    import_record_confirm(record=first, user=secretariat_user)
    with pytest.raises(ValidationError) as exc:
        import_record_create(
            user=secretariat_user,
            text=revised_seed(),
            symbol="11.10 (Rev.COP16)",
            supersedes=history,
        )
    assert "not in force" in exc.value.message_dict["supersedes"][0]
