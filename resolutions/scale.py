"""Deterministic synthetic data at scale, for benchmarks (`manage.py generate_scale_data`).

`cms` is the size of the whole CMS corpus after years of tracking: about 100 resolutions,
4,000 paragraphs, 10,000 mandates, 133 Parties, 200,000 Party statuses and 1,000,000
status updates. `mea` is ten times that (several conventions in one instance); Parties
stay at most 133. A `factor` scales every count from `cms` (0.001 for the test suite,
2 for "twice cms").

The same factor and seed always give the same rows: texts come from a seeded generator,
statuses from arithmetic on row numbers. Small tables go through `bulk_create`; status
updates and Party statuses, which are most of the rows, are streamed with COPY on
PostgreSQL (batched `bulk_create` elsewhere). Every mandate's current status, progress
and version agree with its latest generated update, as the services would leave them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction

from partners.models import Party, PartyImplementation, PartyStatus, Region
from partners.services import secretariat_user_ensure
from reporting.models import Meeting
from resolutions import vocabulary
from resolutions.models import (
    Actor,
    Mandate,
    MandateStatus,
    Paragraph,
    ParagraphPart,
    Resolution,
    StatusUpdate,
    UpdateSource,
)
from resolutions.search import mandate_narratives_rebuild

#: Marks generated resolutions, so that a second run can tell the data is there.
SOURCE_NAME = "generate_scale_data"
CMS_COUNTS = {
    "resolutions": 100,
    "paragraphs": 4_000,
    "mandates": 10_000,
    "parties": 133,
    "party_statuses": 200_000,
    "status_updates": 1_000_000,
}
SCALES = {"cms": 1.0, "mea": 10.0}
MAX_PARTIES = 133
PREAMBLE_SHARE = 0.2
#: The generated history spans these years evenly, as years of tracking would: a meeting's
#: report period (since the previous COP) then holds its share of it.
START = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BATCH = 5_000

_WORDS = [
    "migratory",
    "species",
    "conservation",
    "habitat",
    "flyway",
    "corridor",
    "cooperation",
    "partnership",
    "implementation",
    "capacity",
    "funding",
    "biodiversity",
    "wetlands",
    "marine",
    "turtles",
    "raptors",
    "sharks",
    "bats",
    "ungulates",
    "monitoring",
    "report",
    "national",
    "plan",
    "strategy",
    "action",
    "coordination",
    "synergies",
    "conventions",
    "liaison",
    "group",
    "workshop",
    "guidelines",
    "assessment",
    "threats",
    "bycatch",
    "poisoning",
    "connectivity",
    "climate",
    "change",
    "renewable",
    "energy",
    "infrastructure",
    "illegal",
    "killing",
    "taking",
    "trade",
    "birds",
    "mammals",
    "fish",
    "range",
    "states",
    "agreement",
    "memorandum",
    "understanding",
    "review",
    "progress",
    "data",
    "indicators",
    "targets",
    "framework",
    "budget",
    "secretariat",
    "scientific",
    "council",
    "standing",
    "committee",
    "working",
    "group",
    "resolution",
    "decision",
    "amendment",
    "appendix",
    "listing",
    "protected",
    "areas",
    "restoration",
    "community",
    "engagement",
    "awareness",
    "education",
    "training",
    "survey",
    "tracking",
    "satellite",
    "telemetry",
    "population",
    "decline",
    "recovery",
    "transboundary",
    "collaboration",
]
_MANDATE_STATUSES = [
    MandateStatus.NOT_STARTED,
    MandateStatus.IN_PROGRESS,
    MandateStatus.ONGOING,
    MandateStatus.IN_PROGRESS,
    MandateStatus.DELAYED,
    MandateStatus.COMPLETED,
]
_PARTY_STATUSES = [
    PartyImplementation.NOT_STARTED,
    PartyImplementation.IN_PROGRESS,
    PartyImplementation.IMPLEMENTED,
    PartyImplementation.NOT_APPLICABLE,
]
_REGIONS = list(Region.values)
_VERB_PHRASES = {
    "request": "Requests",
    "instruct": "Instructs",
    "decide": "Decides that",
    "shall": "shall",
    "direct": "Directs",
    "urge": "Urges",
    "call_on": "Calls upon",
    "encourage": "Encourages",
    "invite": "Invites",
    "recommend": "Recommends",
}


@dataclass(frozen=True)
class Counts:
    resolutions: int
    paragraphs: int
    mandates: int
    parties: int
    party_statuses: int
    status_updates: int

    @classmethod
    def for_factor(cls, factor: float) -> Counts:
        if factor <= 0:
            raise ValueError("The factor must be positive.")
        n = {key: max(1, round(value * factor)) for key, value in CMS_COUNTS.items()}
        n["parties"] = min(MAX_PARTIES, max(2, n["parties"]))
        # Every resolution has an operative paragraph and every mandate a paragraph.
        n["paragraphs"] = max(n["paragraphs"], 2 * n["resolutions"])
        return cls(**n)


@dataclass(frozen=True)
class Outcome:
    created: bool
    counts: Counts


def mandate_status(m: int, v: int) -> str:
    """Status set by version `v` (1-based) of generated mandate number `m`."""
    return _MANDATE_STATUSES[(m * 7 + v * 3) % len(_MANDATE_STATUSES)]


def mandate_progress(m: int, v: int) -> int | None:
    return None if (m + v) % 5 == 0 else min(100, 5 * v + m % 10)


def party_status(p: int, m: int, v: int) -> str:
    return _PARTY_STATUSES[(p + m * 3 + v) % len(_PARTY_STATUSES)]


def scale_data_present() -> bool:
    return Resolution.objects.filter(source_name=SOURCE_NAME).exists()


def generate_scale_data(
    *, factor: float, seed: int = 2024, log: Callable[[str], None] = lambda _: None
) -> Outcome:
    """Add the rows for `factor` (1 = cms) unless generated rows are present already.
    One transaction: an interrupted run leaves nothing behind."""
    counts = Counts.for_factor(factor)
    if scale_data_present():
        return Outcome(created=False, counts=counts)
    from resolutions.seed import seed_load

    seed_load()  # actors and meetings
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets  # nosec B311
    with transaction.atomic():
        user = secretariat_user_ensure(username="scale-secretariat")
        resolutions = _resolutions(counts)
        log(f"resolutions: {len(resolutions)}")
        paragraphs, operative = _paragraphs(counts, resolutions, rng)
        log(f"paragraphs: {len(paragraphs)}")
        mandates = _mandates(counts, operative)
        log(f"mandates: {len(mandates)}")
        parties = _parties(counts)
        log(f"parties: {len(parties)}")
        _status_updates(counts, mandates, user.pk, rng)
        log(f"status updates: {counts.status_updates}")
        _party_statuses(counts, mandates, parties, rng)
        log(f"party statuses: {counts.party_statuses}")
        # The COPYs may have skipped the triggers that keep the search documents.
        mandate_narratives_rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Every table written, small ones too: before autovacuum gets to them the
            # planner would take the 100 resolutions for one and choose plans for that.
            # VACUUM also marks the pages all-visible, so that index-only scans (a Party's
            # latest statuses) need not visit the table, as after autovacuum in service;
            # it cannot run inside a transaction (a test's), where ANALYZE alone does.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for table in (
                "resolutions_resolution",
                "resolutions_actor",
                "partners_party",
                "resolutions_mandate",
                "resolutions_statusupdate",
                "partners_partystatus",
                "resolutions_paragraph",
                "resolutions_mandatenarratives",
            ):
                cursor.execute(f"{command} {table}")
    return Outcome(created=True, counts=counts)


# --- the parts ----------------------------------------------------------------------------


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(low, high)))


def _resolutions(counts: Counts) -> list[Resolution]:
    meetings = list(Meeting.objects.order_by("pk"))
    rows = [
        Resolution(
            symbol=f"{20 + k // 25}.{k % 25 + 1}",
            title=f"Scale resolution {k + 1}: " + " ".join(_WORDS[k % 60 : k % 60 + 4]),
            adopted_at=meetings[k % len(meetings)] if meetings else None,
            source_name=SOURCE_NAME,
        )
        for k in range(counts.resolutions)
    ]
    return Resolution.objects.bulk_create(rows, batch_size=BATCH)


def _paragraphs(
    counts: Counts, resolutions: list[Resolution], rng: random.Random
) -> tuple[list[Paragraph], list[Paragraph]]:
    rows: list[Paragraph] = []
    per = [counts.paragraphs // counts.resolutions] * counts.resolutions
    for k in range(counts.paragraphs % counts.resolutions):
        per[k] += 1
    for resolution, n in zip(resolutions, per, strict=True):
        preamble = min(n - 1, round(n * PREAMBLE_SHARE))
        for order in range(1, n + 1):
            is_preamble = order <= preamble
            rows.append(
                Paragraph(
                    resolution=resolution,
                    part=ParagraphPart.PREAMBLE if is_preamble else ParagraphPart.OPERATIVE,
                    number="" if is_preamble else str(order - preamble),
                    order=order,
                    text=("Recalling " if is_preamble else "Requests the Secretariat to ")
                    + _sentence(rng, 25, 60)
                    + ";",
                )
            )
    paragraphs = Paragraph.objects.bulk_create(rows, batch_size=BATCH)
    return paragraphs, [p for p in paragraphs if p.part == ParagraphPart.OPERATIVE]


def _mandates(counts: Counts, operative: list[Paragraph]) -> list[Mandate]:
    actors = list(Actor.objects.order_by("order", "slug"))
    parties = next(a for a in actors if a.slug == "parties")
    others = [a for a in actors if a != parties]
    verbs = sorted(vocabulary.TRACKED_VERBS)
    meetings = list(Meeting.objects.order_by("pk"))
    per = [counts.mandates // len(operative)] * len(operative)
    for k in range(counts.mandates % len(operative)):
        per[k] += 1
    if max(per) > len(others):
        raise ValueError("More mandates per paragraph than actors: raise the paragraphs.")
    rows: list[Mandate] = []
    m = 0
    for j, (paragraph, n) in enumerate(zip(operative, per, strict=True)):
        verb = verbs[j % len(verbs)]
        for position in range(n):
            # A third of the paragraphs address the Parties first (their statuses need
            # mandates addressed to Parties); the other actors follow in turn.
            if j % 3 == 0 and position == 0:
                actor = parties
            else:
                actor = others[(j * 5 + position) % len(others)]
            versions = _versions(counts, m)
            rows.append(
                Mandate(
                    resolution_id=paragraph.resolution_id,
                    paragraph=paragraph,
                    actor=actor,
                    position=position + 1,
                    verb=verb,
                    verb_phrase=_VERB_PHRASES.get(verb, verb),
                    addressee_phrase=f"the {actor.name}",
                    strength=vocabulary.TRACKED_VERBS[verb],
                    subject_to_resources=m % 9 == 0,
                    due_meeting=meetings[m % len(meetings)] if meetings and m % 3 == 0 else None,
                    status=mandate_status(m, versions) if versions else MandateStatus.NOT_STARTED,
                    progress=mandate_progress(m, versions) if versions else None,
                    version=versions,
                    status_changed_at=_update_time(counts, m, versions) if versions else None,
                )
            )
            m += 1
    return Mandate.objects.bulk_create(rows, batch_size=BATCH)


def _versions(counts: Counts, m: int) -> int:
    """How many status updates generated mandate `m` gets: updates are dealt round-robin."""
    return counts.status_updates // counts.mandates + (
        1 if m < counts.status_updates % counts.mandates else 0
    )


def _moment(i: int, n: int) -> dt.datetime:
    """When row `i` of `n` was recorded: evenly from START to END, to the second."""
    return START + dt.timedelta(seconds=(END - START).total_seconds() * i // max(n, 1))


def _update_time(counts: Counts, m: int, v: int) -> dt.datetime:
    # Dealt round-robin, version by version: row i = (v - 1) * mandates + m.
    return _moment((v - 1) * counts.mandates + m, counts.status_updates)


def _parties(counts: Counts) -> list[Party]:
    parties = list(Party.objects.order_by("iso2")[: counts.parties])
    taken = set(Party.objects.values_list("iso2", flat=True))
    codes = ("".join(pair) for pair in itertools.product(string.ascii_uppercase, repeat=2))
    new: list[Party] = []
    for code in codes:
        if len(parties) + len(new) >= counts.parties:
            break
        if code in taken:
            continue
        k = len(new)
        new.append(
            Party(
                iso2=code,
                iso3=code + "X",
                name=f"Scale Party {code}",
                region=_REGIONS[k % len(_REGIONS)],
                party_since=dt.date(1983 + k % 40, 1 + k % 12, 1),
            )
        )
    return parties + Party.objects.bulk_create(new)


def _narratives(rng: random.Random, n: int = 20_011) -> list[str]:
    return [_sentence(rng, 8, 30).capitalize() + "." for _ in range(n)]


def _status_updates(counts: Counts, mandates: list[Mandate], user_id: int, rng: random.Random):
    narratives = _narratives(rng)
    columns = [
        "mandate_id",
        "version",
        "status",
        "previous_status",
        "progress",
        "narrative",
        "evidence_links",
        "as_of",
        "author_id",
        "source",
        "created_at",
    ]

    def rows() -> Iterator[tuple]:
        n = len(mandates)
        for i in range(counts.status_updates):
            v, m = divmod(i, n)
            v += 1
            at = _moment(i, counts.status_updates)
            yield (
                mandates[m].pk,
                v,
                mandate_status(m, v),
                mandate_status(m, v - 1) if v > 1 else MandateStatus.NOT_STARTED,
                mandate_progress(m, v),
                narratives[(i * 7919) % len(narratives)],
                '["https://www.cms.int/en/document/example"]' if i % 10 == 0 else "[]",
                at.date(),
                user_id,
                UpdateSource.API if i % 4 == 0 else UpdateSource.WEB,
                at,
            )

    _load(StatusUpdate, columns, rows())


def _party_statuses(
    counts: Counts, mandates: list[Mandate], parties: list[Party], rng: random.Random
) -> None:
    for_parties = [(m, x) for m, x in enumerate(mandates) if x.actor.slug == "parties"]
    narratives = _narratives(rng, 5_003)
    columns = [
        "party_id",
        "mandate_id",
        "version",
        "status",
        "previous_status",
        "narrative",
        "evidence_links",
        "as_of",
        "created_at",
    ]

    def rows() -> Iterator[tuple]:
        for i in range(counts.party_statuses):
            p, j = i % len(parties), i // len(parties)
            v = j // len(for_parties) + 1
            m, mandate = for_parties[j % len(for_parties)]
            at = _moment(i, counts.party_statuses)
            yield (
                parties[p].pk,
                mandate.pk,
                v,
                party_status(p, m, v),
                party_status(p, m, v - 1) if v > 1 else PartyImplementation.NOT_REPORTED,
                narratives[(i * 104_729) % len(narratives)],
                "[]",
                at.date(),
                at,
            )

    _load(PartyStatus, columns, rows())


@contextlib.contextmanager
def _bulk_load(table: str) -> Iterator[None]:
    """Around a COPY of a million rows on PostgreSQL, inside the caller's transaction:
    the table's secondary indexes are dropped and built again afterwards (one sort each
    instead of a million insertions into a GIN index), and, where the role may, the
    table's triggers are skipped (`session_replication_role`): generated benchmark rows
    are not changes anyone made, so the audit trail does not record them. An
    interrupted run rolls all of it back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = %s AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
            replica = True
        except DatabaseError:  # not a superuser: the triggers run, only slower
            replica = False
    yield
    with connection.cursor() as cursor:
        if replica:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Deferred foreign-key checks still queued on the table would block CREATE INDEX.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _load(model, columns: list[str], rows: Iterator[tuple]) -> None:
    """COPY on PostgreSQL (the only way to write millions of rows in minutes); batched
    bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with _bulk_load(table), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    batch: list = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        values["evidence_links"] = json.loads(values["evidence_links"])
        batch.append(model(**values))
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            batch.clear()
    if batch:
        model.objects.bulk_create(batch)
