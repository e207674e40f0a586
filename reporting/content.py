"""What a progress report holds, assembled from the streaming selectors.

`ReportContent(report)` is a lazy view of one report. Every renderer walks it once, and
each walk streams the rows from the database again: with the same cut-off the rows are
the same (history is append-only), so every file of a version says the same thing. Only
one resolution's rows are held in memory at a time; the long lists (overdue, retirement,
history) are streamed row by row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import Truncator

from partners.models import PartyImplementation, Region
from partners.permissions import PARTY_ACTOR_SLUGS
from reporting import selectors
from reporting.models import Body, ProgressReport
from resolutions.models import MandateStatus
from resolutions.selectors import STATUS_ORDER, StatusSummary
from resolutions.templatetags.mandates import translated_label, verb_label

#: Words of a paragraph kept as the summary of its mandate in the table.
SUMMARY_WORDS = 40
#: Updates of each mandate a paragraph's entry shows of the period: the latest. The
#: earlier ones are counted there and listed in the history of the period.
REPORTED_PER_ADDRESSEE = 1

REGION_LABELS = dict(Region.choices)
#: Order of Party statuses in tables: from done to not reported.
PARTY_STATUS_ORDER = [
    PartyImplementation.IMPLEMENTED,
    PartyImplementation.IN_PROGRESS,
    PartyImplementation.NOT_STARTED,
    PartyImplementation.NOT_APPLICABLE,
    PartyImplementation.NOT_REPORTED,
]


def _local_date(moment: dt.datetime | None, zone: dt.tzinfo | None = None) -> dt.date | None:
    """The day of `moment` in `zone` (by default the current time zone; a pass over many
    rows looks it up once and gives it)."""
    if moment is None:
        return None
    return moment.astimezone(zone or timezone.get_current_timezone()).date()


class _StatusLabel:
    """The display label of the `status` field of the rows below."""

    status: str

    @property
    def status_label(self) -> str:
        return translated_label(MandateStatus, self.status)


class _Labels(_StatusLabel):
    """... and of their `verb` field."""

    verb: str

    @property
    def verb_label(self) -> str:
        return verb_label(self.verb)


@dataclass(frozen=True)
class MandateLine(_Labels):
    """One addressee of a paragraph, with its status at the cut-off."""

    mandate_id: int
    actor_slug: str
    actor: str
    verb: str
    strength: str
    status: str
    progress: int | None
    due_meeting: str


@dataclass(frozen=True)
class Activity(_StatusLabel):
    """One status update of the period, as a paragraph's entry shows it."""

    recorded_on: dt.date
    mandate_id: int
    actor: str
    previous_status: str
    status: str
    progress: int | None
    narrative: str
    links: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.previous_status != self.status

    @property
    def says_something(self) -> bool:
        """A narrative or a change of status (`selectors.SAYS_SOMETHING` in the database)."""
        return bool(self.narrative) or self.changed


@dataclass
class ParagraphRow:
    """One operative paragraph: its number, a summary, its addressees with their status
    at the cut-off, and what was reported in the period.

    `reported` is what a meeting document shows of the period: the latest
    REPORTED_PER_ADDRESSEE updates of each mandate that say something (a narrative or a
    change of status), in date order; `earlier` counts the others that say something, and
    `evidence` gathers the links of every update of the period. `activity`, every update
    of the period, is read only for the data files (`ReportContent(every_update=True)`)."""

    paragraph_id: int
    number: str
    summary: str
    mandates: list[MandateLine]
    reported: list[Activity]
    earlier: int
    evidence: list[str]
    activity: list[Activity] | None = None

    @classmethod
    def from_activity(cls, *, activity: list[Activity], **fields: Any) -> ParagraphRow:
        """The row of a paragraph whose every update of the period is at hand, in date
        order: what it shows is picked here, as the database picks it otherwise."""
        said = [a for a in activity if a.says_something]
        shown: Counter[int] = Counter()
        kept: list[Activity] = []
        for update in reversed(said):
            if shown[update.mandate_id] < REPORTED_PER_ADDRESSEE:
                shown[update.mandate_id] += 1
                kept.append(update)
        kept.reverse()
        return cls(
            **fields,
            reported=kept,
            earlier=len(said) - len(kept),
            evidence=list(dict.fromkeys(link for a in activity for link in a.links)),
            activity=activity,
        )

    @property
    def tracked(self) -> bool:
        return bool(self.mandates)

    @property
    def addressees(self) -> list[str]:
        return list(dict.fromkeys(m.actor for m in self.mandates))

    @property
    def by_addressee(self) -> list[tuple[MandateLine, list[Activity]]]:
        """Each mandate of the paragraph with what `reported` shows of it."""
        shown: dict[int, list[Activity]] = defaultdict(list)
        for update in self.reported:
            shown[update.mandate_id].append(update)
        return [(line, shown.get(line.mandate_id, [])) for line in self.mandates]

    @property
    def earlier_note(self) -> str:
        """What the table says of `earlier` (empty when there are none)."""
        n = self.earlier
        if not n:
            return ""
        return f"And {n} earlier update{'s' if n > 1 else ''} in the period (see the annex)."


@dataclass(frozen=True)
class RegionShare:
    region: str
    parties: int
    reported: int

    @property
    def label(self) -> str:
        return REGION_LABELS.get(self.region, self.region)

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.parties) if self.parties else 0


@dataclass(frozen=True)
class PartyMandateLine:
    """How many Parties stood at each implementation status for one mandate."""

    paragraph: str
    verb: str
    counts: dict[str, int]

    @property
    def cells(self) -> list[int]:
        return [self.counts.get(status, 0) for status in PARTY_STATUS_ORDER]

    @property
    def verb_label(self) -> str:
        return verb_label(self.verb)


@dataclass
class PartySection:
    regions: list[RegionShare]
    mandates: list[PartyMandateLine]

    @property
    def parties(self) -> int:
        return sum(r.parties for r in self.regions)

    @property
    def reported(self) -> int:
        return sum(r.reported for r in self.regions)

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.parties) if self.parties else 0


@dataclass
class ResolutionSection:
    resolution_id: int
    symbol: str
    title: str
    adopted_at: str
    rows: list[ParagraphRow]
    parties: PartySection | None = None
    by_status: StatusSummary = field(default_factory=StatusSummary)
    #: (actor slug, actor name, counts), in the order the actors first appear.
    by_actor: list[tuple[str, str, StatusSummary]] = field(default_factory=list)

    @property
    def mandates(self) -> int:
        return self.by_status.total

    @property
    def status_columns(self) -> list[tuple[str, str]]:
        """The statuses that occur in this section, in display order: table columns."""
        return [(s.value, s.label) for s in STATUS_ORDER if self.by_status.counts.get(s.value)]

    @property
    def status_cells(self) -> list[int]:
        return [self.by_status.counts[s] for s, _ in self.status_columns]

    @property
    def actor_table(self) -> list[tuple[str, list[int], int]]:
        """(actor name, count per status column, total) rows of the summary by actor."""
        columns = self.status_columns
        return [
            (name, [summary.counts.get(s, 0) for s, _ in columns], summary.total)
            for _, name, summary in self.by_actor
        ]


@dataclass(frozen=True)
class MandateRef(_Labels):
    """A mandate in the overdue and retirement lists."""

    resolution: str
    paragraph: str
    actor: str
    verb: str
    status: str
    progress: int | None
    due_meeting: str
    changed_on: dt.date | None


@dataclass(frozen=True)
class HistoryRow(Activity, _Labels):
    """One status update of the period, in the annex: with the text and paragraph."""

    resolution: str
    paragraph: str
    verb: str

    @property
    def previous_status_label(self) -> str:
        return translated_label(MandateStatus, self.previous_status)


@dataclass(frozen=True)
class PartyHistoryRow:
    """One Party status of the period, in the annex."""

    recorded_on: dt.date
    party: str
    resolution: str
    paragraph: str
    verb: str
    status: str
    narrative: str
    links: tuple[str, ...]

    @property
    def status_label(self) -> str:
        return translated_label(PartyImplementation, self.status)


class Rows:
    """A streamed list: `len()` asks the database for the count, iterating streams the
    rows (again on each pass) through `convert`."""

    def __init__(self, queryset: QuerySet, convert: Callable[[dict[str, Any], dt.tzinfo], Any]):
        self._queryset = queryset
        self._convert = convert

    @cached_property
    def _count(self) -> int:
        return self._queryset.count()

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Any]:
        zone = timezone.get_current_timezone()
        for row in self._queryset.iterator(chunk_size=selectors.CHUNK_SIZE):
            yield self._convert(row, zone)


class _Stream:
    """An iterator one can take consecutive matching items from."""

    _END = object()

    def __init__(self, iterator: Iterator[dict[str, Any]]):
        self._iterator = iterator
        self._head: Any = next(iterator, self._END)

    def take(self, key: str, value: object) -> Iterator[dict[str, Any]]:
        while self._head is not self._END and self._head[key] == value:
            yield self._head
            self._head = next(self._iterator, self._END)

    def drain(self) -> None:
        """Read what is left, unused."""
        for _ in self._iterator:
            pass
        self._head = self._END


class Sections:
    """The per-resolution sections, in order. Sized (so that templates do not copy it
    into a list) and re-iterable: each pass streams from the database again."""

    def __init__(self, content: ReportContent):
        self._content = content

    def __len__(self) -> int:
        return len(self._content.resolutions)

    def __bool__(self) -> bool:
        return bool(self._content.resolutions)

    def __iter__(self) -> Iterator[ResolutionSection]:
        content = self._content
        if content.kept_sections is not None:
            return content._replay(content.kept_sections)
        return content._walk()


def _line(row: dict[str, Any]) -> MandateLine:
    return MandateLine(
        mandate_id=row["pk"],
        actor_slug=row["actor__slug"],
        actor=row["actor__name"],
        verb=row["verb"],
        strength=row["strength"],
        status=row["status_at"],
        progress=row["progress_at"],
        due_meeting=row["due_meeting__code"] or "",
    )


def _activity_fields(row: dict[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    return {
        "recorded_on": _local_date(row["created_at"], zone),
        "mandate_id": row["mandate_id"],
        "actor": row["mandate__actor__name"],
        "previous_status": row["previous_status"],
        "status": row["status"],
        "progress": row["progress"],
        "narrative": row["narrative"],
        "links": tuple(row["evidence_links"] or ()),
    }


def _activity(row: dict[str, Any], zone: dt.tzinfo) -> Activity:
    return Activity(**_activity_fields(row, zone))


def mandate_ref(row: dict[str, Any], zone: dt.tzinfo | None = None) -> MandateRef:
    """A mandate row of `selectors.report_mandate_rows` with its labels as cited."""
    return MandateRef(
        resolution=selectors.display_symbol(row["resolution__kind"], row["resolution__symbol"]),
        paragraph=selectors.paragraph_label(
            row["paragraph__number"],
            row["paragraph__parent__number"],
            row["paragraph__parent__parent__number"],
        ),
        actor=row["actor__name"],
        verb=row["verb"],
        status=row["status_at"],
        progress=row["progress_at"],
        due_meeting=row["due_meeting__code"] or "",
        changed_on=_local_date(row["changed_at"], zone),
    )


def _mandate_columns(row: dict[str, Any]) -> tuple[str, str]:
    return (
        selectors.display_symbol(
            row["mandate__resolution__kind"], row["mandate__resolution__symbol"]
        ),
        selectors.paragraph_label(
            row["mandate__paragraph__number"],
            row["mandate__paragraph__parent__number"],
            row["mandate__paragraph__parent__parent__number"],
        ),
    )


def _history_row(row: dict[str, Any], zone: dt.tzinfo) -> HistoryRow:
    resolution, paragraph = _mandate_columns(row)
    return HistoryRow(
        **_activity_fields(row, zone),
        resolution=resolution,
        paragraph=paragraph,
        verb=row["mandate__verb"],
    )


def _party_history_row(row: dict[str, Any], zone: dt.tzinfo) -> PartyHistoryRow:
    resolution, paragraph = _mandate_columns(row)
    return PartyHistoryRow(
        recorded_on=_local_date(row["created_at"], zone),
        party=row["party__name"],
        resolution=resolution,
        paragraph=paragraph,
        verb=row["mandate__verb"],
        status=row["status"],
        narrative=row["narrative"],
        links=tuple(row["evidence_links"] or ()),
    )


def _not_listed_note(count: int, what: str, key: str) -> str:
    """What the annex says in place of a list too long for a document."""
    return (
        f"{count} {what} were recorded in the period: too many to list in this document. "
        f"Every one is in the JSON file of this report (its {key} list)."
    )


class ReportContent:
    """Everything one report version says, read as of its cut-off.

    `on_section(done, total)` is called after each resolution section of a pass, so that
    the caller can record progress. A meeting document needs of the period only what its
    paragraph rows show (`ParagraphRow.reported`), which the database picks; the data files
    list every update of the period per paragraph too (`every_update`), which means
    reading each of them. The documents' sections are small (about 17 MiB at `cms` scale):
    with `keep_sections` the first pass keeps them for the next document's.

    Those updates are the period's history too, in its order: with `every_update`, a pass
    over the sections shows each of them, as a `HistoryRow`, to `on_update` (if set), so
    that a writer can list the history without reading it again."""

    def __init__(
        self,
        report: ProgressReport,
        *,
        on_section: Callable[[int, int], None] | None = None,
        every_update: bool = False,
        keep_sections: bool = False,
    ):
        self.report = report
        self.every_update = every_update
        self.keep_sections = keep_sections
        #: The sections of the first whole pass, with `keep_sections`: later passes
        #: (another document of the same report) read them instead of the database.
        self.kept_sections: list[ResolutionSection] | None = None
        self.meeting = report.meeting
        self.cut_off = report.cut_off
        self.period_start = report.period_start
        self.is_cop = self.meeting.body == Body.COP
        self.on_section = on_section
        self.on_update: Callable[[HistoryRow], None] | None = None

    @property
    def document_date(self) -> dt.date:
        """The document's date: the day of its cut-off, never the day it was rendered."""
        return timezone.localdate(self.cut_off)

    @property
    def period_start_date(self) -> dt.date | None:
        return _local_date(self.period_start)

    @cached_property
    def resolutions(self) -> list[dict[str, Any]]:
        return [
            {
                "pk": r.pk,
                "symbol": r.display_symbol,
                "title": r.title,
                "adopted_at": r.adopted_at.title if r.adopted_at else "",
            }
            for r in selectors.resolutions_in_scope(cut_off=self.cut_off)
        ]

    @cached_property
    def totals(self) -> StatusSummary:
        return StatusSummary(selectors.report_status_totals(cut_off=self.cut_off))

    @property
    def sections(self) -> Sections:
        return Sections(self)

    @property
    def overdue(self) -> Rows:
        return Rows(selectors.overdue_mandates(cut_off=self.cut_off), mandate_ref)

    @property
    def retirement(self) -> Rows | None:
        """Completed mandates proposed for retirement: in a COP's report only."""
        if not self.is_cop:
            return None
        return Rows(selectors.completed_mandates(cut_off=self.cut_off), mandate_ref)

    @cached_property
    def history(self) -> Rows:
        return Rows(
            selectors.status_updates_in_period(
                period_start=self.period_start, cut_off=self.cut_off
            ),
            _history_row,
        )

    @cached_property
    def party_history(self) -> Rows:
        return Rows(
            selectors.party_statuses_in_period(
                period_start=self.period_start, cut_off=self.cut_off
            ),
            _party_history_row,
        )

    @property
    def history_listed(self) -> bool:
        """Whether the documents (HTML, PDF, DOCX) list the status updates of the period
        one by one: up to REPORT_DOCUMENT_HISTORY_ROWS. Past that a meeting document
        could not be read, let alone printed: they give the count and refer to the JSON
        file, which always holds every update."""
        return len(self.history) <= settings.REPORT_DOCUMENT_HISTORY_ROWS

    @property
    def party_history_listed(self) -> bool:
        """The same for the Party statuses of the period."""
        return len(self.party_history) <= settings.REPORT_DOCUMENT_HISTORY_ROWS

    @property
    def history_not_listed_note(self) -> str:
        return _not_listed_note(len(self.history), "status updates", "history")

    @property
    def party_history_not_listed_note(self) -> str:
        return _not_listed_note(len(self.party_history), "Party statuses", "party_history")

    def _party_data(self) -> tuple[dict[int, list[RegionShare]], dict[int, dict[str, int]], int]:
        shares: dict[int, list[RegionShare]] = defaultdict(list)
        for row in selectors.party_participation_by_region(cut_off=self.cut_off):
            shares[row["resolution_id"]].append(
                RegionShare(region=row["region"], parties=row["parties"], reported=row["reported"])
            )
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for row in selectors.party_mandate_status_counts(cut_off=self.cut_off).iterator(
            chunk_size=selectors.CHUNK_SIZE
        ):
            counts[row["mandate_id"]][row["status"]] = row["n"]
        parties = sum(selectors.parties_by_region(cut_off=self.cut_off).values())
        return shares, counts, parties

    def _replay(self, sections: list[ResolutionSection]) -> Iterator[ResolutionSection]:
        for done, section in enumerate(sections, start=1):
            if self.on_section is not None:
                self.on_section(done, len(sections))
            yield section

    def _walk(self) -> Iterator[ResolutionSection]:
        """Merge the paragraph, mandate and update streams (all in the report's order)
        into one section per resolution."""
        shares, party_counts, parties = self._party_data()
        zone = timezone.get_current_timezone()
        chunk = selectors.CHUNK_SIZE
        paragraphs = _Stream(
            selectors.report_paragraph_rows(cut_off=self.cut_off).iterator(chunk_size=chunk)
        )
        mandates = _Stream(
            selectors.report_mandate_rows(cut_off=self.cut_off).iterator(chunk_size=chunk)
        )
        period = {"period_start": self.period_start, "cut_off": self.cut_off}
        if self.every_update:
            rows = selectors.status_updates_in_period(**period).iterator(chunk_size=chunk)
            updates = _Stream(rows if self.on_update is None else self._shown(rows, zone))
            said: dict[int, int] = {}
            evidence = _Stream(iter(()))
        else:
            updates = _Stream(
                selectors.latest_updates_in_period(
                    **period, per_mandate=REPORTED_PER_ADDRESSEE
                ).iterator(chunk_size=chunk)
            )
            said = selectors.said_counts_in_period(**period)
            evidence = _Stream(selectors.evidence_in_period(**period).iterator(chunk_size=chunk))
        total = len(self.resolutions)
        kept: list[ResolutionSection] | None = [] if self.keep_sections else None
        for done, resolution in enumerate(self.resolutions, start=1):
            section = ResolutionSection(
                resolution_id=resolution["pk"],
                symbol=resolution["symbol"],
                title=resolution["title"],
                adopted_at=resolution["adopted_at"],
                rows=[],
            )
            by_actor: dict[tuple[str, str], Counter[str]] = {}
            party_lines: list[PartyMandateLine] = []
            for paragraph in paragraphs.take("resolution_id", resolution["pk"]):
                pk = paragraph["pk"]
                lines = [_line(m) for m in mandates.take("paragraph_id", pk)]
                # In date order; an update's place in the stream breaks ties.
                activity = sorted(
                    (_activity(u, zone) for u in updates.take("mandate__paragraph_id", pk)),
                    key=lambda a: a.recorded_on,
                )
                links = sorted(
                    (
                        (_local_date(u["created_at"], zone), u["evidence_links"])
                        for u in evidence.take("mandate__paragraph_id", pk)
                    ),
                    key=lambda dated: dated[0],
                )
                # Sub-paragraphs get a row of their own only when they address someone.
                if paragraph["parent_id"] and not lines:
                    continue
                fields = {
                    "paragraph_id": pk,
                    "number": selectors.paragraph_label(
                        paragraph["number"],
                        paragraph["parent__number"],
                        paragraph["parent__parent__number"],
                    ),
                    "summary": Truncator(paragraph["text"]).words(SUMMARY_WORDS, truncate="…"),
                    "mandates": lines,
                }
                if self.every_update:
                    row = ParagraphRow.from_activity(activity=activity, **fields)
                else:
                    row = ParagraphRow(
                        **fields,
                        reported=activity,
                        earlier=said.get(pk, 0) - len(activity),
                        evidence=list(dict.fromkeys(link for _, ls in links for link in ls)),
                    )
                section.rows.append(row)
                for line in lines:
                    section.by_status.counts[line.status] = (
                        section.by_status.counts.get(line.status, 0) + 1
                    )
                    by_actor.setdefault((line.actor_slug, line.actor), Counter())[line.status] += 1
                    if line.actor_slug in PARTY_ACTOR_SLUGS:
                        counts = dict(party_counts.get(line.mandate_id, {}))
                        counts[PartyImplementation.NOT_REPORTED] = parties - sum(
                            n for s, n in counts.items() if s != PartyImplementation.NOT_REPORTED
                        )
                        party_lines.append(PartyMandateLine(row.number, line.verb, counts))
            section.by_actor = [
                (slug, name, StatusSummary(dict(counter)))
                for (slug, name), counter in by_actor.items()
            ]
            if party_lines:
                section.parties = PartySection(
                    regions=shares.get(resolution["pk"], []), mandates=party_lines
                )
            if self.on_section is not None:
                self.on_section(done, total)
            if kept is not None:
                kept.append(section)
            yield section
        # Every update reaches `on_update`, one on a paragraph no section showed included.
        updates.drain()
        if kept is not None:
            self.kept_sections = kept

    def _shown(self, rows: Iterator[dict[str, Any]], zone: dt.tzinfo) -> Iterator[dict[str, Any]]:
        for row in rows:
            self.on_update(_history_row(row, zone))
            yield row
