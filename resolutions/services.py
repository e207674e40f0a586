"""Every write to resolutions, paragraphs, actors, mandates and status updates.

Services take keyword-only arguments, run in one transaction, return early when nothing
would change, and save only the fields that changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext, override

from partners import permissions
from resolutions import alignment, references, revisions, selectors, vocabulary
from resolutions.evidence import evidence_files_check, evidence_files_store
from resolutions.models import (
    Actor,
    ActorKind,
    EvidenceFile,
    GbfTarget,
    ImportRecord,
    ImportState,
    LinkSource,
    LinkState,
    Mandate,
    MandateLink,
    MandateStatus,
    Paragraph,
    ParagraphPart,
    ParagraphTranslation,
    PhraseState,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    ResolutionTranslation,
    Sdg,
    StatusUpdate,
    TextLanguage,
    UnmatchedPhrase,
    UpdateSource,
)
from resolutions.parsing import ParseError, iter_operative, parse_resolution

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from reporting.models import Meeting

MAX_NARRATIVE_CHARS = 20_000
#: Mandate.position is directive index * this + the addressee's index in the directive.
POSITIONS_PER_DIRECTIVE = 100
MAX_EVIDENCE_LINKS = 20


# --- Reference data -----------------------------------------------------------------------


def records_sync(
    *, model: type[models.Model], key: str, records: Iterable[Mapping[str, Any]]
) -> int:
    """Create or update rows of `model` from plain records identified by `key`; fields a
    record leaves out are left alone. Returns how many rows were written: a second run
    with the same records writes none. Used for the vocabulary, meetings and Parties."""
    written = 0
    with transaction.atomic():
        existing = {getattr(row, key): row for row in model.objects.select_for_update()}
        for record in records:
            values = {f: v for f, v in record.items() if f != key}
            row = existing.get(record[key])
            if row is None:
                model.objects.create(**{key: record[key]}, **values)
                written += 1
                continue
            changed = [f for f, v in values.items() if getattr(row, f) != v]
            if changed:
                for f in changed:
                    setattr(row, f, values[f])
                row.save(update_fields=[*changed, *_auto_now_fields(model)])
                written += 1
    return written


def _auto_now_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]


def actors_sync(*, actors: Iterable[Mapping[str, Any]]) -> int:
    """The actor vocabulary from records {slug, name, kind, aliases, order}. Aliases added
    in the application (by mapping an addressee phrase to an actor) are kept after the
    record's own, so loading the vocabulary again never drops them."""
    existing = dict(Actor.objects.values_list("slug", "aliases"))
    merged = []
    for record in actors:
        record = dict(record)
        if "aliases" in record:
            own = list(record["aliases"])
            record["aliases"] = own + [a for a in existing.get(record["slug"], []) if a not in own]
        merged.append(record)
    return records_sync(model=Actor, key="slug", records=merged)


# --- Resolutions from a reading ----------------------------------------------------------


class ReadingError(ValueError):
    """A reading cannot be stored as it is (unknown actor, duplicate directive, ...)."""


def _directive_rows(directives: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flatten a paragraph's directives into one row per (verb, actor) to track."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, directive in enumerate(directives, start=1):
        verb = directive["verb"]
        if not vocabulary.is_tracked(verb):
            continue
        for actor_index, slug in enumerate(directive.get("actors", [])):
            if (verb, slug) in seen:
                continue
            seen.add((verb, slug))
            position = index * POSITIONS_PER_DIRECTIVE + actor_index
            rows.append({"position": position, "actor": slug, **directive})
    return rows


@transaction.atomic
def resolution_create_from_reading(
    *,
    reading: Mapping[str, Any],
    symbol: str,
    title: str,
    kind: str = ResolutionKind.RESOLUTION,
    convention: str = "CMS",
    adopted_at: Meeting | None = None,
    status: str = ResolutionStatus.IN_FORCE,
    supersedes: Resolution | None = None,
    source_text: str = "",
    source_name: str = "",
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> Resolution:
    """Store a resolution from a reading: the shape `import_resolution --dry-run --json`
    prints ({preamble, operative: [{number, text, directives, subparagraphs}], annexes}).

    One Paragraph per preamble paragraph, operative paragraph, sub-paragraph and annex;
    one Mandate per (paragraph, tracked verb, actor). A meeting named as a due meeting and
    not yet known (StC56) is added, without dates. With `supersedes`, `user` supersedes
    the old resolution (see resolution_supersede). All or nothing.
    """
    if Resolution.objects.filter(convention=convention, symbol=symbol).exists():
        raise ReadingError(
            gettext("%(convention)s %(symbol)s already exists.")
            % {"convention": convention, "symbol": symbol}
        )
    actors = {a.slug: a for a in Actor.objects.all()}
    _meetings_ensure(reading)
    meetings = _meetings_by_code(reading)

    resolution = Resolution.objects.create(
        convention=convention,
        symbol=symbol,
        title=title,
        kind=kind,
        adopted_at=adopted_at,
        status=status,
        supersedes=supersedes,
        source_text=source_text,
        source_name=source_name,
    )
    order = 0
    paragraphs: list[Paragraph] = []
    pending_mandates: list[tuple[Paragraph, dict[str, Any]]] = []
    children: list[tuple[Paragraph, Paragraph]] = []

    def add(part: str, text: str, **extra: Any) -> Paragraph:
        nonlocal order
        order += 1
        paragraph = Paragraph(
            resolution=resolution, part=part, order=order, text=text.strip(), **extra
        )
        paragraphs.append(paragraph)
        return paragraph

    for item in reading.get("preamble", []):
        add(ParagraphPart.PREAMBLE, item["text"])
    for item in reading.get("operative", []):
        directives = list(item.get("directives", []))
        paragraph = add(
            ParagraphPart.OPERATIVE,
            item["text"],
            number=str(item["number"]),
            heading=item.get("heading", ""),
            reading=directives,
        )
        pending_mandates.extend((paragraph, row) for row in _directive_rows(directives))
        for sub in item.get("subparagraphs", []):
            children.extend(_add_subparagraphs(add, paragraph, sub, pending_mandates))
    for item in reading.get("annexes", []):
        add(ParagraphPart.ANNEX, item.get("text", ""), heading=item.get("title", ""))

    Paragraph.objects.bulk_create(paragraphs)
    for child, parent in children:
        child.parent = parent
    if children:
        Paragraph.objects.bulk_update([c for c, _ in children], ["parent"])

    mandates = []
    for paragraph, row in pending_mandates:
        actor = actors.get(row["actor"])
        if actor is None:
            raise ReadingError(
                gettext(
                    "Paragraph %(number)s: unknown actor %(actor)s; add it to the actor "
                    "vocabulary first."
                )
                % {"number": paragraph.number, "actor": repr(row["actor"])}
            )
        report_to = row.get("report_to")
        if report_to and report_to not in actors:
            raise ReadingError(
                gettext("Paragraph %(number)s: unknown actor %(actor)s.")
                % {"number": paragraph.number, "actor": repr(report_to)}
            )
        due = row.get("due_meeting")
        if due and due not in meetings:
            raise ReadingError(
                gettext("Paragraph %(number)s: unknown meeting %(meeting)s.")
                % {"number": paragraph.number, "meeting": repr(due)}
            )
        mandates.append(
            Mandate(
                resolution=resolution,
                paragraph=paragraph,
                actor=actor,
                position=row["position"],
                verb=row["verb"],
                verb_phrase=row.get("verb_phrase", ""),
                addressee_phrase=row.get("addressee", ""),
                strength=vocabulary.strength_of(row["verb"]),
                subject_to_resources=bool(row.get("subject_to_resources", False)),
                cadence=row.get("cadence") or "",
                report_to=actors[report_to] if report_to else None,
                due_meeting=meetings[due] if due else None,
            )
        )
    Mandate.objects.bulk_create(mandates)
    if supersedes is not None:
        resolution_supersede(old=supersedes, new=resolution, user=user)
    mandate_links_suggest(resolution=resolution)
    return resolution


def _add_subparagraphs(add, parent: Paragraph, item, pending_mandates) -> list:
    """Add a sub-paragraph (and its own sub-paragraphs); returns (child, parent) pairs."""
    directives = list(item.get("directives", []))
    child = add(
        ParagraphPart.OPERATIVE, item["text"], number=str(item["number"]), reading=directives
    )
    pending_mandates.extend((child, row) for row in _directive_rows(directives))
    pairs = [(child, parent)]
    for sub in item.get("subparagraphs", []):
        pairs.extend(_add_subparagraphs(add, child, sub, pending_mandates))
    return pairs


def _meetings_by_code(reading: Mapping[str, Any]) -> dict[str, Meeting]:
    from reporting.models import Meeting

    codes = {
        d.get("due_meeting")
        for _, item in iter_operative(reading)
        for d in item.get("directives", [])
        if d.get("due_meeting")
    }
    return {m.code: m for m in Meeting.objects.filter(code__in=codes)} if codes else {}


# --- Import -------------------------------------------------------------------------------
#
# A text becomes a draft ImportRecord (the reading, the details to store it under, the
# unmatched addressee phrases); a person corrects it and confirms; confirming stores the
# resolution in one transaction and, for a revision, supersedes the old one. `user=None`
# is a trusted caller (the import_resolution command run by an operator).


def _check_editor(user: AbstractBaseUser | AnonymousUser | None) -> None:
    if user is not None and not permissions.can_edit_resolutions(user):
        raise PermissionDenied("Only the Secretariat may import and correct resolutions.")


def _at_most_characters(limit: int) -> str:
    return ngettext("At most %(limit)s character.", "At most %(limit)s characters.", limit) % {
        "limit": limit
    }


def _not_in_force(resolution: Resolution) -> str:
    return gettext("%(symbol)s is not in force any more.") % {"symbol": resolution.display_symbol}


def _author(user: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None  # type: ignore[return-value]


def actor_alias_add(*, actor: Actor, alias: str) -> bool:
    """Add a phrase that names `actor` in texts; False (nothing written) when the actor
    already answers to it."""
    alias = re.sub(r"\s+", " ", alias).strip(" ,;:.")
    alias = re.sub(r"^the\s+", "", alias, flags=re.I)
    known = {a.casefold() for a in [actor.name, *actor.aliases]}
    if not alias or alias.casefold() in known:
        return False
    actor.aliases = [*actor.aliases, alias]
    actor.save(update_fields=["aliases"])
    return True


def actor_create(*, name: str, kind: str, slug: str = "", aliases: Sequence[str] = ()) -> Actor:
    """A new actor of the vocabulary. ValidationError (by field) for bad input."""
    name = re.sub(r"\s+", " ", name or "").strip()
    slug = slugify(slug or name)[:64]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = gettext("Give the actor a name.")
    elif len(name) > 200:
        errors["name"] = _at_most_characters(200)
    if kind not in ActorKind.values:
        errors["kind"] = gettext("Choose one of: %(choices)s") % {
            "choices": ", ".join(ActorKind.values)
        }
    if not slug:
        errors["slug"] = gettext("Give a short name of letters, digits and hyphens.")
    elif Actor.objects.filter(slug=slug).exists():
        errors["slug"] = gettext(
            "An actor %(slug)s exists already: map the phrase to it instead."
        ) % {"slug": repr(slug)}
    if errors:
        raise ValidationError(errors)
    order = (Actor.objects.aggregate(m=models.Max("order"))["m"] or 0) + 10
    return Actor.objects.create(
        slug=slug, name=name, kind=kind, aliases=[a for a in aliases if a], order=order
    )


def _import_read(record: ImportRecord) -> dict[str, Any]:
    """The record's reading: its text parsed with today's vocabulary and its adopting
    meeting, with the person's corrections and phrase decisions applied. ParseError for
    a text that cannot be read."""
    try:
        reading = parse_resolution(
            record.source_text,
            actors=selectors.actor_vocabulary(),
            adopted_at=record.adopted_at.code if record.adopted_at_id else None,
            max_chars=settings.IMPORT_MAX_BYTES,
        )
    except ParseError as exc:
        if record.pk is None:
            raise
        # A stored draft read again (another adopting meeting, a new alias) can only
        # fail if the limits changed since: a form error, not a crash.
        raise ValidationError(
            {"__all__": gettext("The text cannot be read again: %(problem)s") % {"problem": exc}}
        ) from None
    decided = (
        list(record.phrases.exclude(state=PhraseState.OPEN).select_related("actor"))
        if record.pk
        else []
    )
    for label, item in iter_operative(reading):
        for index, directive in enumerate(item["directives"]):
            for phrase in decided:
                if (phrase.label, phrase.directive_index) != (label, index):
                    continue
                if phrase.phrase in directive["unmatched"]:
                    directive["unmatched"].remove(phrase.phrase)
                if phrase.actor is not None and phrase.actor.slug not in directive["actors"]:
                    directive["actors"].append(phrase.actor.slug)
            # A correction is the person's last word on the directive.
            correction = record.corrections.get(f"{label}#{index}")
            if correction:
                directive["verb"] = correction["verb"]
                directive["actors"] = list(correction["actors"])
                directive["corrected"] = True
    return reading


def _phrases_sync(record: ImportRecord, *, mapped: UnmatchedPhrase | None = None) -> None:
    """Open UnmatchedPhrase rows = the unmatched phrases of the record's reading. A row no
    longer unmatched (a new alias now names it) is closed as mapped when it is the phrase
    just mapped, and dropped otherwise."""
    wanted: dict[tuple[str, int, str], tuple[str, int | None]] = {}
    for label, item in iter_operative(record.reading):
        for index, directive in enumerate(item["directives"]):
            for phrase in directive.get("unmatched", []):
                wanted.setdefault(
                    (label, index, phrase), (directive["verb"], directive.get("line"))
                )
    rows = list(record.phrases.all())
    known = {(r.label, r.directive_index, r.phrase) for r in rows}
    UnmatchedPhrase.objects.bulk_create(
        UnmatchedPhrase(
            import_record=record,
            label=label[:64],
            directive_index=index,
            verb=verb[:32],
            phrase=phrase[:300],
            line=line,
        )
        for (label, index, phrase), (verb, line) in wanted.items()
        if (label, index, phrase) not in known
    )
    stale = [
        r
        for r in rows
        if r.state == PhraseState.OPEN and (r.label, r.directive_index, r.phrase) not in wanted
    ]
    same = [
        r for r in stale if mapped is not None and r.phrase.casefold() == mapped.phrase.casefold()
    ]
    for row in same:
        row.state, row.actor_id = PhraseState.MAPPED, mapped.actor_id  # type: ignore[union-attr]
        row.resolved_by_id, row.resolved_at = mapped.resolved_by_id, mapped.resolved_at  # type: ignore[union-attr]
    UnmatchedPhrase.objects.bulk_update(same, ["state", "actor", "resolved_by", "resolved_at"])
    UnmatchedPhrase.objects.filter(pk__in=[r.pk for r in stale if r not in same]).delete()


def _superseded_candidate(convention: str, symbol: str) -> Resolution | None:
    """The resolution in force that a revised symbol revises: "11.10 (Rev.COP15)"
    revises "11.10 (Rev.COP14)" or "11.10"."""
    base = re.sub(r"\s*\(Rev\.[^)]*\)\s*$", "", symbol, flags=re.I).strip()
    if not base or base == symbol.strip():
        return None
    return (
        Resolution.objects.filter(convention=convention, status=ResolutionStatus.IN_FORCE)
        .filter(models.Q(symbol=base) | models.Q(symbol__startswith=f"{base} (Rev."))
        .exclude(symbol=symbol)
        .order_by("-created_at")
        .first()
    )


def _import_details_errors(
    *,
    convention: str,
    symbol: str,
    title: str,
    kind: str,
    supersedes: Resolution | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not symbol:
        errors["symbol"] = gettext(
            'Give the symbol the text is cited by, e.g. "11.10 (Rev.COP14)".'
        )
    elif len(symbol) > 64:
        errors["symbol"] = _at_most_characters(64)
    elif Resolution.objects.filter(convention=convention, symbol=symbol).exists():
        errors["symbol"] = gettext(
            "%(convention)s %(symbol)s exists already. A revised text needs its own "
            'symbol, e.g. "(Rev.COP15)", and supersedes the old one.'
        ) % {"convention": convention, "symbol": symbol}
    if not title:
        errors["title"] = gettext("Give the title.")
    elif len(title) > 300:
        errors["title"] = _at_most_characters(300)
    if kind not in ResolutionKind.values:
        errors["kind"] = gettext("Choose resolution or decision.")
    if (
        supersedes is not None
        and not Resolution.objects.filter(
            pk=supersedes.pk, status=ResolutionStatus.IN_FORCE
        ).exists()
    ):
        errors["supersedes"] = _not_in_force(supersedes)
    return errors


@transaction.atomic
def import_record_create(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    text: str,
    source_name: str = "",
    symbol: str = "",
    title: str = "",
    kind: str = "",
    adopted_at: Meeting | None = None,
    supersedes: Resolution | None = None,
    convention: str = "CMS",
) -> ImportRecord:
    """Read `text` into a draft import. Details left blank are taken from the text
    (symbol, title, kind, adopting meeting); a revised symbol proposes the resolution it
    supersedes. ParseError for a text that cannot be read; ValidationError (by field)
    for details given that cannot be used. Nothing is written on error."""
    from reporting.models import Meeting

    _check_editor(user)
    record = ImportRecord(
        source_text=text,
        source_name=source_name[:255],
        convention=convention,
        adopted_at=adopted_at,
        created_by=_author(user),
    )
    reading = _import_read(record)
    if adopted_at is None and reading.get("adopted_at"):
        record.adopted_at = Meeting.objects.filter(code__iexact=reading["adopted_at"]).first()
    # Given details are checked as given; those read from the text fit their fields.
    record.symbol = symbol.strip() if symbol else (reading.get("symbol") or "")[:64]
    record.title = title.strip() if title else (reading.get("title") or "")[:300]
    record.kind = kind or reading.get("kind") or ResolutionKind.RESOLUTION
    record.supersedes = supersedes or _superseded_candidate(convention, record.symbol)
    given = _import_details_errors(
        convention=convention,
        symbol=record.symbol,
        title=record.title,
        kind=record.kind,
        supersedes=supersedes,
    )
    # Details read from the text may be corrected in the preview; those given may not be
    # wrong.
    given_values = {"symbol": symbol, "title": title, "kind": kind, "supersedes": supersedes}
    errors = {f: m for f, m in given.items() if given_values.get(f)}
    if errors:
        raise ValidationError(errors)
    record.reading = reading
    record.save()
    _phrases_sync(record)
    return record


def _check_draft(record: ImportRecord) -> ImportRecord:
    locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
    if locked.state != ImportState.DRAFT:
        raise ValidationError(
            {
                "__all__": gettext("This import is %(state)s: it cannot change.")
                % {"state": locked.get_state_display().lower()}
            }
        )
    return locked


@transaction.atomic
def import_record_update(
    *,
    record: ImportRecord,
    user: AbstractBaseUser | AnonymousUser | None,
    symbol: str,
    title: str,
    kind: str,
    adopted_at: Meeting | None,
    supersedes: Resolution | None,
) -> ImportRecord:
    """Correct a draft's details. A new adopting meeting reads the text again (deadlines
    such as "the next meeting" depend on it); corrections are kept."""
    _check_editor(user)
    locked = _check_draft(record)
    values = {
        "symbol": (symbol or "").strip(),
        "title": (title or "").strip(),
        "kind": kind,
        "adopted_at": adopted_at,
        "supersedes": supersedes,
    }
    errors = _import_details_errors(
        convention=locked.convention,
        symbol=values["symbol"],
        title=values["title"],
        kind=kind,
        supersedes=supersedes,
    )
    if errors:
        raise ValidationError(errors)
    changed = [f for f, v in values.items() if getattr(locked, f) != v]
    if not changed:
        return locked
    for f in changed:
        setattr(locked, f, values[f])
    if "adopted_at" in changed:
        locked.reading = _import_read(locked)
        changed.append("reading")
    locked.save(update_fields=[*changed, "updated_at"])
    if "reading" in changed:
        _phrases_sync(locked)
    return locked


@transaction.atomic
def import_paragraph_correct(
    *,
    record: ImportRecord,
    user: AbstractBaseUser | AnonymousUser | None,
    label: str,
    directives: Sequence[tuple[str, Sequence[str]]],
) -> ImportRecord:
    """Correct the directives of one paragraph of a draft: for each, in order, its verb
    and the actors it addresses. ValidationError keys are "<index>:verb" and
    "<index>:actors"; nothing is written on error."""
    _check_editor(user)
    locked = _check_draft(record)
    item = next((i for lbl, i in iter_operative(locked.reading) if lbl == label), None)
    if item is None or len(directives) != len(item["directives"]):
        raise ValidationError(
            {
                "__all__": gettext("Paragraph %(label)s is not in this import as given.")
                % {"label": label}
            }
        )
    wanted = {slug for _, actors in directives for slug in actors}
    known = set(Actor.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    errors: dict[str, str] = {}
    corrections = dict(locked.corrections)
    for index, ((verb, actors), current) in enumerate(
        zip(directives, item["directives"], strict=True)
    ):
        if verb not in {*vocabulary.TRACKED_VERBS, *vocabulary.DECLARATORY_VERBS, current["verb"]}:
            errors[f"{index}:verb"] = gettext("%(verb)s is not in the verb vocabulary.") % {
                "verb": repr(verb)
            }
        slugs = list(dict.fromkeys(actors))
        if set(slugs) - known:
            errors[f"{index}:actors"] = gettext("Unknown actors: %(slugs)s") % {
                "slugs": ", ".join(sorted(set(slugs) - known))
            }
        if current["verb"] != verb or current["actors"] != slugs:
            corrections[f"{label}#{index}"] = {"verb": verb, "actors": slugs}
    if errors:
        raise ValidationError(errors)
    if corrections == locked.corrections:
        return locked
    locked.corrections = corrections
    locked.reading = _import_read(locked)
    locked.save(update_fields=["corrections", "reading", "updated_at"])
    _phrases_sync(locked)
    return locked


@transaction.atomic
def import_record_discard(
    *, record: ImportRecord, user: AbstractBaseUser | AnonymousUser | None
) -> ImportRecord:
    _check_editor(user)
    locked = _check_draft(record)
    locked.state = ImportState.DISCARDED
    locked.save(update_fields=["state", "updated_at"])
    return locked


def import_record_confirm(
    *, record: ImportRecord, user: AbstractBaseUser | AnonymousUser | None
) -> Resolution:
    """Store a draft as a resolution, all or nothing; for a revision, supersede the old
    one and carry the status history of unchanged mandates over."""
    _check_editor(user)
    with transaction.atomic():
        locked = _check_draft(record)
        errors = _import_details_errors(
            convention=locked.convention,
            symbol=locked.symbol,
            title=locked.title,
            kind=locked.kind,
            supersedes=locked.supersedes,
        )
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                resolution = resolution_create_from_reading(
                    reading=locked.reading,
                    symbol=locked.symbol,
                    title=locked.title,
                    kind=locked.kind,
                    convention=locked.convention,
                    adopted_at=locked.adopted_at,
                    supersedes=locked.supersedes,
                    source_text=locked.source_text,
                    source_name=locked.source_name,
                    user=user,
                )
        except IntegrityError:
            # Another import stored the same symbol between the check and the write.
            raise ValidationError(
                {
                    "symbol": gettext("%(convention)s %(symbol)s exists already.")
                    % {"convention": locked.convention, "symbol": locked.symbol}
                }
            ) from None
        except ReadingError as exc:
            raise ValidationError({"__all__": str(exc)}) from None
        locked.state = ImportState.IMPORTED
        locked.resolution = resolution
        locked.imported_at = timezone.now()
        locked.save(update_fields=["state", "resolution", "imported_at", "updated_at"])
        paragraphs = list(resolution.paragraphs.all())
        by_label = {
            label: pk for pk, label in selectors.paragraph_labels(paragraphs).items() if label
        }
        rows = list(locked.phrases.all())
        for row in rows:
            row.resolution = resolution
            row.paragraph_id = by_label.get(row.label)
        UnmatchedPhrase.objects.bulk_update(rows, ["resolution", "paragraph"])
    return resolution


def _meetings_ensure(reading: Mapping[str, Any]) -> None:
    from reporting.models import Body, Meeting
    from reporting.services import meetings_sync

    codes = {d["due_meeting"] for _, d in _reading_directives(reading) if d.get("due_meeting")}
    known = {c.casefold() for c in Meeting.objects.values_list("code", flat=True)}
    prefixes = {"cop": Body.COP, "stc": Body.STC, "scc": Body.SCC}
    records = []
    for code in sorted(codes):
        m = re.fullmatch(r"(COP|StC|ScC)(\d{1,3})", code)
        if m and code.casefold() not in known:
            records.append(
                {"code": code, "body": prefixes[m.group(1).lower()], "number": int(m.group(2))}
            )
    if records:
        meetings_sync(meetings=records)


def _reading_directives(reading: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for label, item in iter_operative(reading):
        for directive in item.get("directives", []):
            yield label, directive


@dataclass
class Supersession:
    """What superseding did: the paragraph differences, and how many mandates kept
    their history or were closed as superseded."""

    differences: list
    carried_over: int
    superseded: int


@transaction.atomic
def resolution_supersede(
    *, old: Resolution, new: Resolution, user: AbstractBaseUser | AnonymousUser | None
) -> Supersession:
    """`new` supersedes `old`: linked, the old one marked superseded, the status history
    of each unchanged mandate (same paragraph text, verb and actor) copied to its new
    mandate with original authors and times, and the old mandates closed as superseded
    (a status update each, the history is never rewritten)."""
    _check_editor(user)
    old = Resolution.objects.select_for_update().get(pk=old.pk)
    if old.status != ResolutionStatus.IN_FORCE:
        raise ValidationError({"supersedes": _not_in_force(old)})
    if new.supersedes_id != old.pk:
        new.supersedes = old
        new.save(update_fields=["supersedes", "updated_at"])
    old.status = ResolutionStatus.SUPERSEDED
    old.save(update_fields=["status", "updated_at"])

    differences = revisions.paragraph_diff(
        selectors.resolution_units(resolution=old), selectors.resolution_units(resolution=new)
    )
    pairs = {
        d.old.key: d.new.key
        for d in differences
        if d.status == revisions.UNCHANGED and d.part == "operative" and d.old and d.new
    }
    carried = _history_carry_over(pairs)
    superseded = _mandates_supersede(old=old, new=new, user=user)
    return Supersession(differences, carried, superseded)


def _copy_row(instance: models.Model, **overrides: Any) -> models.Model:
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.primary_key
    }
    values.update(overrides)
    return type(instance)(**values)


def _history_carry_over(pairs: Mapping[int, int]) -> int:
    """Copy the history of mandates of old paragraphs to the same (verb, actor) mandates
    of the new paragraph with the same text: status updates (authors and times kept),
    their evidence, and Parties' own statuses. A fixed number of queries."""
    from partners.models import PartyStatus

    if not pairs:
        return 0
    new_mandates = {
        (m.paragraph_id, m.verb, m.actor_id): m
        for m in Mandate.objects.select_for_update().filter(paragraph_id__in=pairs.values())
    }
    matched: dict[int, Mandate] = {}
    olds: dict[int, Mandate] = {}
    for old in Mandate.objects.filter(
        selectors.HAS_HISTORY, paragraph_id__in=pairs.keys()
    ).distinct():
        target = new_mandates.get((pairs[old.paragraph_id], old.verb, old.actor_id))
        if target is not None:
            matched[old.pk], olds[old.pk] = target, old
    if not matched:
        return 0
    updates = list(
        StatusUpdate.objects.filter(mandate_id__in=matched)
        .prefetch_related("files")
        .order_by("mandate_id", "version")
    )
    copies = StatusUpdate.objects.bulk_create(
        _copy_row(u, mandate_id=matched[u.mandate_id].pk) for u in updates
    )
    files = [
        (_copy_row(f, status_update_id=copy.pk), f.created_at)
        for update, copy in zip(updates, copies, strict=True)
        for f in update.files.all()
    ]
    if files:
        created = EvidenceFile.objects.bulk_create(f for f, _ in files)
        for row, (_, when) in zip(created, files, strict=True):
            row.created_at = when  # auto_now_add set it to now; keep the original time
        EvidenceFile.objects.bulk_update(created, ["created_at"])
    PartyStatus.objects.bulk_create(
        _copy_row(s, mandate_id=matched[s.mandate_id].pk)
        for s in PartyStatus.objects.filter(mandate_id__in=matched)
    )
    now = timezone.now()
    targets = []
    for old_pk, target in matched.items():
        old = olds[old_pk]
        target.status, target.progress, target.version = old.status, old.progress, old.version
        target.status_changed_at, target.updated_at = old.status_changed_at, now
        targets.append(target)
    Mandate.objects.bulk_update(
        targets, ["status", "progress", "version", "status_changed_at", "updated_at"]
    )
    return len(targets)


def _mandates_supersede(
    *, old: Resolution, new: Resolution, user: AbstractBaseUser | AnonymousUser | None
) -> int:
    now = timezone.now()
    # The history is written in the site's language, whatever the reader's.
    with override(settings.LANGUAGE_CODE):
        narrative = f"Superseded by {new.display_symbol}."
    mandates = list(
        Mandate.objects.select_for_update()
        .filter(resolution=old)
        .exclude(status=MandateStatus.SUPERSEDED)
    )
    StatusUpdate.objects.bulk_create(
        StatusUpdate(
            mandate=m,
            version=m.version + 1,
            status=MandateStatus.SUPERSEDED,
            previous_status=m.status,
            progress=m.progress,
            narrative=narrative,
            author=_author(user),
            source=UpdateSource.IMPORT,
            created_at=now,
        )
        for m in mandates
    )
    for m in mandates:
        m.version += 1
        m.status = MandateStatus.SUPERSEDED
        m.status_changed_at = m.updated_at = now
    Mandate.objects.bulk_update(mandates, ["version", "status", "status_changed_at", "updated_at"])
    return len(mandates)


def _phrase_decide(
    phrase: UnmatchedPhrase, user: AbstractBaseUser | AnonymousUser | None
) -> UnmatchedPhrase:
    locked = (
        UnmatchedPhrase.objects.select_for_update()
        .select_related("import_record")
        .get(pk=phrase.pk)
    )
    if locked.state != PhraseState.OPEN:
        raise ValidationError(
            {
                "__all__": gettext("'%(phrase)s' is already %(state)s.")
                % {"phrase": locked.phrase, "state": locked.get_state_display().lower()}
            }
        )
    if locked.import_record.state == ImportState.DISCARDED:
        raise ValidationError({"__all__": gettext("This import was discarded.")})
    return locked


@transaction.atomic
def unmatched_phrase_map(
    *, phrase: UnmatchedPhrase, user: AbstractBaseUser | AnonymousUser | None, actor: Actor
) -> UnmatchedPhrase:
    """Map an addressee phrase to an actor: the phrase becomes one of the actor's aliases
    (so later imports know it); a draft is read again, and an imported resolution gets
    the mandate (for this and every open phrase of the import that reads the same)."""
    _check_editor(user)
    locked = _phrase_decide(phrase, user)
    actor_alias_add(actor=actor, alias=locked.phrase)
    locked.state, locked.actor = PhraseState.MAPPED, actor
    locked.resolved_by, locked.resolved_at = _author(user), timezone.now()
    locked.save(update_fields=["state", "actor", "resolved_by", "resolved_at"])
    record = locked.import_record
    if record.state == ImportState.DRAFT:
        # Corrected directives naming the phrase (this one, and any reading the same)
        # keep the person's actors plus this one.
        corrections = dict(record.corrections)
        for row in record.phrases.filter(state__in=[PhraseState.OPEN, PhraseState.MAPPED]):
            key = f"{row.label}#{row.directive_index}"
            same_phrase = row.phrase.casefold() == locked.phrase.casefold()
            if same_phrase and key in corrections and actor.slug not in corrections[key]["actors"]:
                actors = [*corrections[key]["actors"], actor.slug]
                corrections[key] = {**corrections[key], "actors": actors}
        record.corrections = corrections
        record.reading = _import_read(record)
        record.save(update_fields=["corrections", "reading", "updated_at"])
        _phrases_sync(record, mapped=locked)
        return locked
    same = [locked] + [
        r
        for r in record.phrases.select_for_update().filter(state=PhraseState.OPEN)
        if r.phrase.casefold() == locked.phrase.casefold()
    ]
    for row in same[1:]:
        row.state, row.actor = PhraseState.MAPPED, actor
        row.resolved_by, row.resolved_at = locked.resolved_by, locked.resolved_at
    UnmatchedPhrase.objects.bulk_update(same[1:], ["state", "actor", "resolved_by", "resolved_at"])
    for row in same:
        _mandate_add_for_phrase(row, actor)
    return locked


@transaction.atomic
def unmatched_phrase_map_new_actor(
    *,
    phrase: UnmatchedPhrase,
    user: AbstractBaseUser | AnonymousUser | None,
    name: str,
    kind: str,
    slug: str = "",
) -> UnmatchedPhrase:
    """Map an addressee phrase to a new actor of the vocabulary."""
    _check_editor(user)
    _phrase_decide(phrase, user)
    actor = actor_create(name=name, kind=kind, slug=slug)
    return unmatched_phrase_map(phrase=phrase, user=user, actor=actor)


@transaction.atomic
def unmatched_phrase_dismiss(
    *, phrase: UnmatchedPhrase, user: AbstractBaseUser | AnonymousUser | None
) -> UnmatchedPhrase:
    """Record that a phrase names no addressee to track (it stays, marked so)."""
    _check_editor(user)
    locked = _phrase_decide(phrase, user)
    locked.state = PhraseState.DISMISSED
    locked.resolved_by, locked.resolved_at = _author(user), timezone.now()
    locked.save(update_fields=["state", "resolved_by", "resolved_at"])
    record = locked.import_record
    if record.state == ImportState.DRAFT:
        record.reading = _import_read(record)
        record.save(update_fields=["reading", "updated_at"])
    elif locked.paragraph_id:
        paragraph = Paragraph.objects.select_for_update().get(pk=locked.paragraph_id)
        directive = _paragraph_directive(paragraph, locked)
        if directive is not None and locked.phrase in directive.get("unmatched", []):
            directive["unmatched"].remove(locked.phrase)
            paragraph.save(update_fields=["reading"])
    return locked


def _paragraph_directive(paragraph: Paragraph, phrase: UnmatchedPhrase) -> dict[str, Any] | None:
    directives = paragraph.reading or []
    if 0 <= phrase.directive_index < len(directives):
        directive = directives[phrase.directive_index]
        if directive.get("verb") == phrase.verb:
            return directive
    return next((d for d in directives if d.get("verb") == phrase.verb), None)


def _mandate_add_for_phrase(phrase: UnmatchedPhrase, actor: Actor) -> None:
    """After import: the actor joins the directive the phrase was read in, and gets its
    mandate when the verb is tracked."""
    from reporting.models import Meeting

    if phrase.paragraph_id is None:
        return
    paragraph = Paragraph.objects.select_for_update().get(pk=phrase.paragraph_id)
    directive = _paragraph_directive(paragraph, phrase)
    if directive is None:
        return
    if phrase.phrase in directive.get("unmatched", []):
        directive["unmatched"].remove(phrase.phrase)
    if actor.slug not in directive.setdefault("actors", []):
        directive["actors"].append(actor.slug)
    paragraph.save(update_fields=["reading"])
    verb = directive["verb"]
    if (
        not vocabulary.is_tracked(verb)
        or Mandate.objects.filter(paragraph=paragraph, verb=verb, actor=actor).exists()
    ):
        return
    index = (paragraph.reading or []).index(directive)
    report_to = directive.get("report_to")
    due = directive.get("due_meeting")
    Mandate.objects.create(
        resolution_id=paragraph.resolution_id,
        paragraph=paragraph,
        actor=actor,
        position=(index + 1) * POSITIONS_PER_DIRECTIVE + directive["actors"].index(actor.slug),
        verb=verb,
        verb_phrase=directive.get("verb_phrase", "")[:64],
        addressee_phrase=phrase.phrase[:300],
        strength=vocabulary.strength_of(verb),
        subject_to_resources=bool(directive.get("subject_to_resources")),
        cadence=directive.get("cadence") or "",
        report_to=Actor.objects.filter(slug=report_to).first() if report_to else None,
        due_meeting=Meeting.objects.filter(code=due).first() if due else None,
    )


# --- Status updates -----------------------------------------------------------------------


@dataclass
class StaleVersion(Exception):
    """The form or request was based on an older version of the mandate: someone else
    saved an update since. Nothing was written; `latest` is the update that won."""

    mandate: Mandate
    expected_version: int
    latest: StatusUpdate | None

    def __str__(self) -> str:
        return (
            f"Mandate {self.mandate.pk} is at version {self.mandate.version}, "
            f"not {self.expected_version}: another update was saved first."
        )


def _clean_links(links: Sequence[str]) -> list[str]:
    validate = URLValidator(schemes=["http", "https"])
    cleaned = []
    for link in links:
        link = (link or "").strip()
        if not link:
            continue
        try:
            validate(link)
        except ValidationError:
            raise ValidationError(
                {
                    "evidence_links": gettext(
                        "%(link)s is not a web address (http:// or https://)."
                    )
                    % {"link": repr(link[:80])}
                }
            ) from None
        if link not in cleaned:
            cleaned.append(link)
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        raise ValidationError(
            {
                "evidence_links": ngettext(
                    "At most %(limit)s link.", "At most %(limit)s links.", MAX_EVIDENCE_LINKS
                )
                % {"limit": MAX_EVIDENCE_LINKS}
            }
        )
    return cleaned


def _clean_update(
    *, status: str, progress: int | None, narrative: str, as_of: dt.date | None
) -> None:
    errors: dict[str, str] = {}
    if status not in MandateStatus.values:
        errors["status"] = gettext("%(status)s is not a status. Choose one of: %(choices)s") % {
            "status": repr(status),
            "choices": ", ".join(MandateStatus.values),
        }
    if progress is not None and not (0 <= progress <= 100):
        errors["progress"] = gettext("Progress is a percentage from 0 to 100.")
    if len(narrative) > MAX_NARRATIVE_CHARS:
        errors["narrative"] = ngettext(
            "The narrative is limited to %(limit)s character.",
            "The narrative is limited to %(limit)s characters.",
            MAX_NARRATIVE_CHARS,
        ) % {"limit": MAX_NARRATIVE_CHARS}
    if as_of is not None and as_of > timezone.localdate() + dt.timedelta(days=1):
        errors["as_of"] = gettext("The date an update holds for cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def _status_update_prepare(
    locked: Mandate,
    *,
    user: AbstractBaseUser | AnonymousUser,
    status: str,
    progress: int | None,
    narrative: str,
    links: list[str],
    as_of: dt.date | None,
    source: str,
    now: dt.datetime,
) -> tuple[StatusUpdate, list[str]]:
    """The next history entry of `locked` (a mandate row locked by the caller), unsaved,
    and the mandate moved to it in memory. Returns the entry and the mandate fields that
    changed; the caller saves both in its transaction."""
    update = StatusUpdate(
        mandate=locked,
        version=locked.version + 1,
        status=status,
        previous_status=locked.status,
        progress=progress,
        narrative=narrative,
        evidence_links=links,
        as_of=as_of or timezone.localdate(),
        author=user if user.is_authenticated else None,
        source=source,
        created_at=now,
    )
    changed = ["version", "updated_at"]
    locked.version = update.version
    # Set here too: bulk_update() does not fill auto_now fields.
    locked.updated_at = now
    if locked.status != status:
        locked.status = status
        locked.status_changed_at = now
        changed += ["status", "status_changed_at"]
    if locked.progress != progress:
        locked.progress = progress
        changed.append("progress")
    return update, changed


def mandate_status_update(
    *,
    mandate: Mandate,
    user: AbstractBaseUser | AnonymousUser,
    status: str,
    expected_version: int,
    progress: int | None = None,
    narrative: str = "",
    evidence_links: Sequence[str] = (),
    evidence_files: Sequence[UploadedFile] = (),
    as_of: dt.date | None = None,
    source: str = UpdateSource.WEB,
) -> StatusUpdate | None:
    """Record a Secretariat status update and move the mandate's current status with it.

    Contract:
    - PermissionDenied unless `permissions.can_edit_mandate(user, mandate)`;
    - ValidationError (a dict by field) for bad input; nothing is written;
    - StaleVersion when `expected_version` is not the mandate's current version; the
      mandate row is locked (SELECT ... FOR UPDATE) while checking, and (mandate,
      version) is unique, so of concurrent writers that read the same version exactly
      one lands;
    - returns None, writing nothing, when the update would change nothing (same status
      and progress, no narrative, no evidence).
    """
    if not permissions.can_edit_mandate(user, mandate):
        raise PermissionDenied("Only the Secretariat may update a mandate's status.")
    narrative = (narrative or "").strip()
    _clean_update(status=status, progress=progress, narrative=narrative, as_of=as_of)
    links = _clean_links(evidence_links)
    checked_files = evidence_files_check(evidence_files)

    try:
        with transaction.atomic():
            locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
            if locked.version != expected_version:
                raise StaleVersion(
                    mandate=locked,
                    expected_version=expected_version,
                    latest=locked.updates.select_related("author").order_by("-version").first(),
                )
            if (
                status == locked.status
                and progress == locked.progress
                and not narrative
                and not links
                and not checked_files
            ):
                return None
            update, changed = _status_update_prepare(
                locked,
                user=user,
                status=status,
                progress=progress,
                narrative=narrative,
                links=links,
                as_of=as_of,
                source=source,
                now=timezone.now(),
            )
            update.save(force_insert=True)
            evidence_files_store(EvidenceFile, checked_files, status_update=update)
            locked.save(update_fields=changed)
            _notify_on_commit([update])
    except IntegrityError as exc:
        # Only reachable if a writer bypassed the row lock; the unique (mandate, version)
        # constraint still refuses the second write.
        fresh = Mandate.objects.get(pk=mandate.pk)
        raise StaleVersion(
            mandate=fresh,
            expected_version=expected_version,
            latest=fresh.updates.order_by("-version").first(),
        ) from exc
    # Keep the caller's instance current, so a page rendered after the write is right.
    for field in ("status", "progress", "version", "status_changed_at", "updated_at"):
        setattr(mandate, field, getattr(locked, field))
    return update


#: Most mandates one bulk update may touch (a list page shows 50).
MAX_BULK_MANDATES = 500


@dataclass
class StaleVersions(Exception):
    """Some mandates of a bulk update changed since the list was loaded. Nothing was
    written; `stale` names each of them with the update that won."""

    stale: list[StaleVersion]

    def __str__(self) -> str:
        ids = ", ".join(str(s.mandate.pk) for s in self.stale)
        return f"Mandates {ids} changed since the list was loaded: nothing was saved."


def mandate_status_bulk_update(
    *,
    user: AbstractBaseUser | AnonymousUser,
    versions: Mapping[int, int],
    status: str,
    narrative: str = "",
    as_of: dt.date | None = None,
) -> list[StatusUpdate]:
    """Move several mandates to one status with one narrative: each gets its own history
    entry (source "bulk"), all in one transaction, in a fixed number of queries.

    `versions` maps each mandate id to the version the caller saw. Contract, as for
    `mandate_status_update`, for the whole set at once:
    - PermissionDenied unless the user may edit every mandate;
    - ValidationError (a dict by field; "mandates" for the selection) for bad input;
    - StaleVersions naming every mandate whose version moved on: nothing is written;
    - a mandate already at `status`, with no narrative given, is left alone (no entry);
      each mandate keeps its own progress. Returns the entries written.
    """
    if not permissions.can_edit_mandate(user):
        raise PermissionDenied("Only the Secretariat may update a mandate's status.")
    narrative = (narrative or "").strip()
    _clean_update(status=status, progress=None, narrative=narrative, as_of=as_of)
    if not versions:
        raise ValidationError({"mandates": gettext("Select at least one mandate.")})
    if len(versions) > MAX_BULK_MANDATES:
        raise ValidationError(
            {
                "mandates": ngettext(
                    "At most %(limit)s mandate can be updated at once.",
                    "At most %(limit)s mandates can be updated at once.",
                    MAX_BULK_MANDATES,
                )
                % {"limit": MAX_BULK_MANDATES}
            }
        )
    with transaction.atomic():
        # Locked in primary-key order, so two bulk updates over overlapping sets wait
        # for each other instead of deadlocking. Only the mandate rows are locked.
        locked = list(
            Mandate.objects.select_for_update(of=("self",))
            .select_related("resolution", "paragraph__parent", "actor")
            .filter(pk__in=list(versions))
            .order_by("pk")
        )
        missing = sorted(set(versions) - {m.pk for m in locked})
        if missing:
            raise ValidationError(
                {
                    "mandates": ngettext(
                        "Mandate %(ids)s no longer exists.",
                        "Mandates %(ids)s no longer exist.",
                        len(missing),
                    )
                    % {"ids": ", ".join(map(str, missing))}
                }
            )
        if not all(permissions.can_edit_mandate(user, m) for m in locked):
            raise PermissionDenied("Only the Secretariat may update a mandate's status.")
        stale = [m for m in locked if m.version != versions[m.pk]]
        if stale:
            latest = {
                u.mandate_id: u
                for u in StatusUpdate.objects.filter(
                    mandate__in=stale, version=models.F("mandate__version")
                ).select_related("author")
            }
            raise StaleVersions(
                [
                    StaleVersion(
                        mandate=m, expected_version=versions[m.pk], latest=latest.get(m.pk)
                    )
                    for m in stale
                ]
            )
        now = timezone.now()
        prepared = [
            _status_update_prepare(
                m,
                user=user,
                status=status,
                progress=m.progress,
                narrative=narrative,
                links=[],
                as_of=as_of,
                source=UpdateSource.BULK,
                now=now,
            )
            for m in locked
            if narrative or m.status != status
        ]
        if not prepared:
            return []
        updates = StatusUpdate.objects.bulk_create([update for update, _ in prepared])
        fields = sorted({f for _, changed in prepared for f in changed})
        Mandate.objects.bulk_update([u.mandate for u in updates], fields)
        _notify_on_commit(updates)
    return updates


# --- Texts in other official languages ----------------------------------------------------


@dataclass
class TranslationOutcome:
    translation: ResolutionTranslation
    created: int
    changed: int
    unchanged: int


def _english_units(paragraphs: Sequence[Paragraph]) -> list[tuple[alignment.Unit, Paragraph]]:
    """The resolution's paragraphs as alignment units, in document order."""
    by_pk = {p.pk: p for p in paragraphs}
    counters = {ParagraphPart.PREAMBLE: 0, ParagraphPart.ANNEX: 0}
    units = []
    for p in paragraphs:
        if p.part == ParagraphPart.OPERATIVE:
            chain = [p.number]
            parent = by_pk.get(p.parent_id) if p.parent_id else None
            while parent is not None:
                chain.insert(0, parent.number)
                parent = by_pk.get(parent.parent_id) if parent.parent_id else None
            key = "/".join(chain)
        else:
            counters[p.part] += 1
            key = str(counters[p.part])
        units.append((alignment.Unit(str(p.part), key, p.text, p.heading), p))
    return units


def resolution_translation_import(
    *,
    resolution: Resolution,
    language: str,
    text: str,
    user: AbstractBaseUser | None,
    source_name: str = "",
    dry_run: bool = False,
) -> TranslationOutcome:
    """Store the text of `resolution` in `language` (fr, es), paragraph by paragraph.

    The translation must line up with the English paragraphs exactly (same preamble
    count, the same operative numbers and sub-paragraphs, the same annexes); otherwise a
    ValidationError lists every paragraph that does not, and nothing is written. Importing
    the same text again changes nothing; a corrected text updates only the paragraphs
    that differ. `user` None is the system (the command line)."""
    if user is not None and not permissions.can_edit_resolutions(user):
        raise PermissionDenied("Only the Secretariat may import resolution texts.")
    if language not in TextLanguage.values:
        raise ValidationError(
            {
                "language": gettext("Choose one of %(choices)s, not %(language)s.")
                % {"choices": ", ".join(TextLanguage.values), "language": repr(language)}
            }
        )
    try:
        reading = alignment.read_translation(text)
    except alignment.AlignmentError as exc:
        raise ValidationError({"text": exc.problems}) from None
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
        paragraphs = list(locked.paragraphs.order_by("order"))
        units = _english_units(paragraphs)
        try:
            pairs = alignment.align([u for u, _ in units], reading)
        except alignment.AlignmentError as exc:
            raise ValidationError({"text": exc.problems}) from None
        paragraph_of = {(u.part, u.key): p for u, p in units}
        existing = {
            t.paragraph_id: t
            for t in ParagraphTranslation.objects.filter(
                paragraph__resolution=locked, language=language
            )
        }
        new, changed = [], []
        for english, theirs in pairs:
            paragraph = paragraph_of[(english.part, english.key)]
            current = existing.get(paragraph.pk)
            if current is None:
                new.append(
                    ParagraphTranslation(
                        paragraph=paragraph,
                        language=language,
                        text=theirs.text,
                        heading=theirs.heading[:300],
                    )
                )
            elif (current.text, current.heading) != (theirs.text, theirs.heading[:300]):
                current.text, current.heading = theirs.text, theirs.heading[:300]
                changed.append(current)
        translation = ResolutionTranslation.objects.filter(
            resolution=locked, language=language
        ).first()
        values = {
            "title": reading.title[:300],
            "source_name": source_name[:255],
            "source_text": text,
        }
        outcome_translation = translation or ResolutionTranslation(
            resolution=locked, language=language, imported_by=_as_user(user), **values
        )
        if dry_run:
            transaction.set_rollback(True)
        else:
            if translation is None:
                outcome_translation.save()
            else:
                fields = [k for k, v in values.items() if getattr(translation, k) != v]
                if fields or new or changed:
                    for k in fields:
                        setattr(translation, k, values[k])
                    translation.imported_by = _as_user(user)
                    translation.save(update_fields=[*fields, "imported_by", "updated_at"])
            ParagraphTranslation.objects.bulk_create(new)
            ParagraphTranslation.objects.bulk_update(changed, ["text", "heading", "updated_at"])
    return TranslationOutcome(
        translation=outcome_translation,
        created=len(new),
        changed=len(changed),
        unchanged=len(pairs) - len(new) - len(changed),
    )


def _as_user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _notify_on_commit(updates: Sequence[StatusUpdate]) -> None:
    """Once the transaction commits, queue the notification of followers of the mandates
    whose status changed (a Celery task: never mail inside the request)."""
    ids = [u.pk for u in updates if u.status != u.previous_status]
    if not ids:
        return
    from notifications.services import fanout_queue

    transaction.on_commit(lambda: fanout_queue(status_update_ids=ids))


# --- Synergies: links of mandates to conventions, organisations, GBF targets, SDGs -------
#
# The importer suggests links from a paragraph's text (state "suggested"); the Secretariat
# confirms or removes them. A removed link stays as a "rejected" row so that no later
# suggestion brings it back, and every decision (confirmed or removed) follows the
# mandate's text: a revision or re-import with the same paragraph text, verb and actor
# gets the same decisions instead of fresh suggestions.


def synergy_vocabulary_sync(
    *,
    organisations: Iterable[Mapping[str, Any]],
    gbf_targets: Iterable[Mapping[str, Any]],
    sdgs: Iterable[Mapping[str, Any]],
) -> int:
    """Organisations (with their aliases; aliases added in the application are kept), GBF
    targets and SDGs from plain records. Returns how many rows were written; a second run
    writes none."""
    from partners.models import Organisation

    existing = dict(Organisation.objects.values_list("slug", "aliases"))
    merged = []
    for record in organisations:
        record = dict(record)
        own = list(record.get("aliases", []))
        record["aliases"] = own + [a for a in existing.get(record["slug"], []) if a not in own]
        merged.append(record)
    with transaction.atomic():
        written = records_sync(model=Organisation, key="slug", records=merged)
        written += records_sync(model=GbfTarget, key="code", records=gbf_targets)
        written += records_sync(model=Sdg, key="number", records=sdgs)
    return written


def _mandate_texts(mandates: Iterable[Mandate]) -> dict[int, str]:
    """The words each mandate is read from: its paragraph and the paragraph's lead-in
    (a sub-paragraph's parent), where an organisation is often named."""
    texts: dict[int, str] = {}
    for mandate in mandates:
        paragraph = mandate.paragraph
        parts = [paragraph.text]
        if paragraph.parent_id and paragraph.parent is not None:
            parts.insert(0, paragraph.parent.text)
        texts[mandate.pk] = "\n".join(parts)
    return texts


def _link_target_field(kind: str) -> str:
    return {"organisation": "organisation_id", "gbf_target": "gbf_target_id", "sdg": "sdg_id"}[kind]


@transaction.atomic
def mandate_links_suggest(*, resolution: Resolution) -> int:
    """Suggest links for every mandate of `resolution` from its paragraph's text: the
    conventions and organisations named (by name or alias), GBF targets and SDGs cited
    by number. A link the mandate already has, in any state, is left alone; decisions
    taken on a mandate with the same text, verb and actor (a revision, a re-import) are
    copied instead of suggesting afresh. Idempotent; a fixed number of queries. Returns
    how many links were written."""
    from partners.models import Organisation

    mandates = list(
        Mandate.objects.filter(resolution=resolution).select_related("paragraph__parent")
    )
    if not mandates:
        return 0
    texts = _mandate_texts(mandates)
    organisations = {o.slug: o for o in Organisation.objects.only("pk", "slug", "name", "aliases")}
    org_vocabulary = {slug: [o.name, *o.aliases] for slug, o in organisations.items()}
    gbf = {t.code: t.pk for t in GbfTarget.objects.only("pk", "code")}
    sdg = {str(s.number): s.pk for s in Sdg.objects.only("pk", "number")}

    existing = {
        (link.mandate_id, link.kind, getattr(link, _link_target_field(link.kind)))
        for link in MandateLink.objects.filter(mandate__resolution=resolution)
    }
    decided: dict[tuple[str, str, int, str, int], MandateLink] = {}
    for link in (
        MandateLink.objects.exclude(state=LinkState.SUGGESTED)
        .exclude(mandate__resolution=resolution)
        .filter(mandate__paragraph__text__in={m.paragraph.text for m in mandates})
        .select_related("mandate__paragraph")
        .order_by("decided_at", "pk")
    ):
        key = (
            link.mandate.paragraph.text,
            link.mandate.verb,
            link.mandate.actor_id,
            link.kind,
            getattr(link, _link_target_field(link.kind)),
        )
        decided[key] = link  # the latest decision wins

    rows: list[MandateLink] = []
    for mandate in mandates:
        wanted: dict[tuple[str, int], dict[str, Any]] = {}
        text = texts[mandate.pk]
        for mention in references.find_mentions(text, org_vocabulary):
            wanted[("organisation", organisations[mention.key].pk)] = {"phrase": mention.phrase}
        for mention in references.find_gbf_targets(text):
            if mention.key in gbf:
                wanted[("gbf_target", gbf[mention.key])] = {"phrase": mention.phrase}
        for mention in references.find_sdgs(text):
            if mention.key in sdg:
                wanted[("sdg", sdg[mention.key])] = {"phrase": mention.phrase}
        # Decisions on the same mandate elsewhere, suggested by the text or not.
        for (text_, verb, actor_id, kind, target_id), link in decided.items():
            if (text_, verb, actor_id) == (mandate.paragraph.text, mandate.verb, mandate.actor_id):
                wanted[(kind, target_id)] = {
                    "phrase": link.phrase,
                    "state": link.state,
                    "source": link.source,
                    "decided_by_id": link.decided_by_id,
                    "decided_at": link.decided_at,
                }
        for (kind, target_id), values in wanted.items():
            if (mandate.pk, kind, target_id) in existing:
                continue
            rows.append(
                MandateLink(
                    mandate=mandate,
                    kind=kind,
                    **{_link_target_field(kind): target_id},
                    **{"state": LinkState.SUGGESTED, **values, "phrase": values["phrase"][:300]},
                )
            )
    MandateLink.objects.bulk_create(rows)
    return len(rows)


def _check_link_curator(user: AbstractBaseUser | AnonymousUser | None) -> None:
    if user is None or not permissions.can_curate_links(user):
        raise PermissionDenied("Only the Secretariat may confirm or remove links.")


def _link_decide(
    *, link: MandateLink, user: AbstractBaseUser | AnonymousUser | None, state: str
) -> MandateLink:
    _check_link_curator(user)
    with transaction.atomic():
        locked = MandateLink.objects.select_for_update().get(pk=link.pk)
        if locked.state == state:
            return locked
        locked.state = state
        locked.decided_by = _author(user)
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
    return locked


def mandate_link_confirm(
    *, link: MandateLink, user: AbstractBaseUser | AnonymousUser | None
) -> MandateLink:
    """A suggested (or removed) link becomes confirmed. Secretariat only."""
    return _link_decide(link=link, user=user, state=LinkState.CONFIRMED)


def mandate_link_remove(
    *, link: MandateLink, user: AbstractBaseUser | AnonymousUser | None
) -> MandateLink:
    """The link is no longer shown; the row stays (rejected) so that it is not suggested
    again. Secretariat only."""
    return _link_decide(link=link, user=user, state=LinkState.REJECTED)


def mandate_link_add(
    *,
    mandate: Mandate,
    user: AbstractBaseUser | AnonymousUser | None,
    organisation: Any = None,
    gbf_target: GbfTarget | None = None,
    sdg: Sdg | None = None,
) -> MandateLink:
    """A confirmed link chosen by a person (one target). An existing suggestion or a
    removed link to the same target is confirmed instead of duplicated."""
    _check_link_curator(user)
    targets = {"organisation": organisation, "gbf_target": gbf_target, "sdg": sdg}
    chosen = [(kind, target) for kind, target in targets.items() if target is not None]
    if len(chosen) != 1:
        raise ValidationError(
            {"__all__": gettext("Choose one convention, organisation, target or goal.")}
        )
    kind, target = chosen[0]
    with transaction.atomic():
        link, created = MandateLink.objects.select_for_update().get_or_create(
            mandate=mandate,
            **{kind: target},
            defaults={
                "kind": kind,
                "state": LinkState.CONFIRMED,
                "source": LinkSource.PERSON,
                "decided_by": _author(user),
                "decided_at": timezone.now(),
            },
        )
    if created:
        return link
    return mandate_link_confirm(link=link, user=user)
