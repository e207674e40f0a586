"""Reads of meetings, progress reports and what a report holds.

The report reads take a cut-off and see the data as it had been recorded then: a mandate's
status is the one of its last StatusUpdate created at or before the cut-off (not started
when there is none), a Party's the one of its last PartyStatus. Both histories are
append-only, so the same cut-off always gives the same answer, however late it is asked.

They stream: each returns a `values()` queryset (or a generator over one) meant to be
consumed once with `.iterator()`, in a fixed number of queries and flat memory whatever the
size of the data. Rows come ordered so that callers can group consecutive rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from partners.models import Party, PartyImplementation, PartyStatus
from partners.permissions import PARTY_ACTOR_SLUGS
from reporting.models import Body, Meeting, ProgressReport, ReportEntry, ReportState
from resolutions.models import (
    CLOSED_STATUSES,
    Mandate,
    MandateStatus,
    Paragraph,
    ParagraphPart,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    StatusUpdate,
)
from resolutions.templatetags.mandates import translated_label

#: Rows fetched per round trip when streaming.
CHUNK_SIZE = 2000

# --- Meetings -----------------------------------------------------------------------------


def meetings_calendar() -> QuerySet[Meeting]:
    """Every meeting, in date order (undated ones last), with the number of its last done
    report (`last_done_version`) and of its reports."""
    return Meeting.objects.annotate(
        n_reports=Count("reports", distinct=True),
        last_done_version=Max("reports__version", filter=Q(reports__state=ReportState.DONE)),
    ).order_by(F("start_date").asc(nulls_last=True), "body", "number")


def meeting_get(*, code: str) -> Meeting:
    """The meeting with this code (any case), or 404."""
    return get_object_or_404(Meeting, code__iexact=code)


def meeting_previous(*, meeting: Meeting) -> Meeting | None:
    """The previous meeting of the same body: the one with the next lower number."""
    return (
        Meeting.objects.filter(body=meeting.body, number__lt=meeting.number)
        .order_by("-number")
        .first()
    )


def _day_after(meeting: Meeting) -> dt.datetime | None:
    last_day = meeting.end_date or meeting.start_date
    if last_day is None:
        return None
    day = last_day + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def meeting_period_start(*, meeting: Meeting) -> dt.datetime | None:
    """Start of the period a report for `meeting` covers: the day after the previous
    meeting of the same body closed. A body's first meeting reports since the last COP
    before it (the meeting that adopted what is being implemented); None means since the
    beginning of the records."""
    previous = meeting_previous(meeting=meeting)
    if previous is None and meeting.start_date is not None:
        previous = (
            Meeting.objects.filter(body=Body.COP, start_date__lt=meeting.start_date)
            .exclude(pk=meeting.pk)
            .order_by("-start_date")
            .first()
        )
    return _day_after(previous) if previous is not None else None


def meetings_due_for_report(*, today: dt.date) -> QuerySet[Meeting]:
    """Meetings whose document deadline has come and that have no report at all."""
    return Meeting.objects.filter(document_deadline__lte=today, reports__isnull=True).order_by(
        "document_deadline", "pk"
    )


# --- Progress reports ---------------------------------------------------------------------


def reports_list() -> QuerySet[ProgressReport]:
    """Every report, newest first, with its meeting (the API's list)."""
    return ProgressReport.objects.select_related("meeting").order_by("-created_at", "-pk")


def meeting_reports(*, meeting: Meeting) -> QuerySet[ProgressReport]:
    return (
        ProgressReport.objects.filter(meeting=meeting)
        .select_related("meeting")
        .order_by("-version")
    )


def report_get(*, meeting: Meeting, version: int) -> ProgressReport:
    return get_object_or_404(
        ProgressReport.objects.select_related("meeting"), meeting=meeting, version=version
    )


def reports_done() -> QuerySet[ProgressReport]:
    """Done reports, by meeting date then version: the choices of the comparison page."""
    return (
        ProgressReport.objects.filter(state=ReportState.DONE)
        .select_related("meeting")
        .order_by(F("meeting__start_date").asc(nulls_last=True), "meeting__code", "version")
    )


def report_previous_done(*, report: ProgressReport) -> ProgressReport | None:
    """The done report this one is best compared with: the previous done version for the
    same meeting."""
    return (
        ProgressReport.objects.filter(
            meeting=report.meeting, state=ReportState.DONE, version__lt=report.version
        )
        .select_related("meeting")
        .order_by("-version")
        .first()
    )


def meeting_previous_done_report(*, meeting: Meeting) -> ProgressReport | None:
    """The last done report of the previous meeting of the same body."""
    previous = meeting_previous(meeting=meeting)
    if previous is None:
        return None
    return (
        ProgressReport.objects.filter(meeting=previous, state=ReportState.DONE)
        .select_related("meeting")
        .order_by("-version")
        .first()
    )


def report_changes(*, old: ProgressReport, new: ProgressReport) -> QuerySet[ReportEntry]:
    """Entries of `new` whose mandate had another status or progress in `old`, or was not
    in it at all (`old_status` None), with `old_status` and `old_progress` annotated, in
    report order. Mandates that left the report are `report_removals`."""
    before = ReportEntry.objects.filter(report=old, mandate=OuterRef("mandate"))
    # Progress may be blank on either side: compare it with blanks as -1.
    return (
        ReportEntry.objects.filter(report=new)
        .annotate(
            old_status=Subquery(before.values("status")[:1]),
            old_progress=Subquery(before.values("progress")[:1]),
            progress_or_blank=Coalesce("progress", Value(-1)),
            old_progress_or_blank=Coalesce(Subquery(before.values("progress")[:1]), Value(-1)),
        )
        .filter(
            Q(old_status__isnull=True)
            | ~Q(old_status=F("status"))
            | ~Q(old_progress_or_blank=F("progress_or_blank"))
        )
        .order_by("position")
    )


def report_removals(*, old: ProgressReport, new: ProgressReport) -> QuerySet[ReportEntry]:
    """Entries of `old` whose mandate is not in `new` (its resolution was retired)."""
    return (
        ReportEntry.objects.filter(report=old)
        .exclude(mandate__in=ReportEntry.objects.filter(report=new).values("mandate"))
        .order_by("position")
    )


# --- What a report holds ----------------------------------------------------------------


def display_symbol(kind: str, symbol: str) -> str:
    """A resolution as cited, from plain values: Resolution 11.10 (Rev.COP14)."""
    return f"{translated_label(ResolutionKind, kind)} {symbol}"


def paragraph_label(number: str, parent: str | None, grandparent: str | None = None) -> str:
    """A paragraph's number as cited, from plain values: "29", "29 (a)", "29 (a) (i)"."""
    if grandparent:
        return f"{grandparent} ({parent}) ({number})"
    if parent:
        return f"{parent} ({number})"
    return number


def resolutions_in_scope(*, cut_off: dt.datetime) -> QuerySet[Resolution]:
    """Resolutions a report covers: in force and recorded by the cut-off, in citation
    order. Every report stream below follows this order."""
    return (
        Resolution.objects.filter(status=ResolutionStatus.IN_FORCE, created_at__lte=cut_off)
        .select_related("adopted_at")
        .order_by("convention", "symbol", "pk")
    )


def _scope(cut_off: dt.datetime, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}resolution__status": ResolutionStatus.IN_FORCE,
            f"{prefix}resolution__created_at__lte": cut_off,
        }
    )


def mandates_as_of(*, cut_off: dt.datetime) -> QuerySet[Mandate]:
    """Mandates recorded by the cut-off, annotated with `status_at`, `progress_at` and
    `changed_at`: their state per the last status update recorded at or before it."""
    last = StatusUpdate.objects.filter(mandate=OuterRef("pk"), created_at__lte=cut_off).order_by(
        "-version"
    )
    return Mandate.objects.filter(created_at__lte=cut_off).annotate(
        status_at=Coalesce(
            Subquery(last.values("status")[:1]), Value(MandateStatus.NOT_STARTED.value)
        ),
        progress_at=Subquery(last.values("progress")[:1]),
        changed_at=Subquery(last.values("created_at")[:1]),
    )


#: Order of every mandate stream: the report's resolution order, then the text's order.
MANDATE_ORDER = (
    "resolution__convention",
    "resolution__symbol",
    "resolution_id",
    "paragraph__order",
    "position",
    "actor__order",
    "pk",
)


def report_paragraph_rows(*, cut_off: dt.datetime) -> QuerySet[Paragraph]:
    """Operative paragraphs (sub-paragraphs included) of the resolutions in scope, as
    plain rows, in the report's order."""
    return (
        Paragraph.objects.filter(_scope(cut_off), part=ParagraphPart.OPERATIVE)
        .order_by("resolution__convention", "resolution__symbol", "resolution_id", "order")
        .values(
            "pk",
            "resolution_id",
            "number",
            "parent_id",
            "parent__number",
            "parent__parent__number",
            "heading",
            "text",
        )
    )


def report_mandate_rows(*, cut_off: dt.datetime) -> QuerySet[Mandate]:
    """Mandates of the resolutions in scope with their status at the cut-off, as plain
    rows in the report's order (the same as `report_paragraph_rows`)."""
    return (
        mandates_as_of(cut_off=cut_off)
        .filter(_scope(cut_off), paragraph__part=ParagraphPart.OPERATIVE)
        .order_by(*MANDATE_ORDER)
        .values(
            "pk",
            "resolution_id",
            "resolution__symbol",
            "resolution__kind",
            "paragraph_id",
            "paragraph__number",
            "paragraph__parent__number",
            "paragraph__parent__parent__number",
            "actor__slug",
            "actor__name",
            "verb",
            "strength",
            "due_meeting__code",
            "status_at",
            "progress_at",
            "changed_at",
        )
    )


def _period(qs: QuerySet, *, period_start: dt.datetime | None, cut_off: dt.datetime):
    qs = qs.filter(created_at__lte=cut_off)
    return qs.filter(created_at__gt=period_start) if period_start is not None else qs


def status_updates_in_period(
    *, period_start: dt.datetime | None, cut_off: dt.datetime
) -> QuerySet[StatusUpdate]:
    """Status updates recorded in the period (after its start, up to the cut-off) on
    mandates in scope, as plain rows in the report's order, each mandate's oldest first."""
    return (
        _period(StatusUpdate.objects, period_start=period_start, cut_off=cut_off)
        .filter(
            _scope(cut_off, "mandate__"),
            mandate__created_at__lte=cut_off,
            mandate__paragraph__part=ParagraphPart.OPERATIVE,
        )
        .order_by(*(f"mandate__{key}" for key in MANDATE_ORDER), "version")
        .values(
            "pk",
            "mandate_id",
            "mandate__paragraph_id",
            "mandate__resolution__symbol",
            "mandate__resolution__kind",
            "mandate__paragraph__number",
            "mandate__paragraph__parent__number",
            "mandate__paragraph__parent__parent__number",
            "mandate__actor__name",
            "mandate__verb",
            "previous_status",
            "status",
            "progress",
            "narrative",
            "evidence_links",
            "as_of",
            "created_at",
        )
    )


#: An update that says something: a narrative, or a change of status.
SAYS_SOMETHING = ~Q(narrative="") | ~Q(previous_status=F("status"))


def latest_updates_in_period(
    *, period_start: dt.datetime | None, cut_off: dt.datetime, per_mandate: int
) -> QuerySet[StatusUpdate]:
    """The last `per_mandate` updates of each mandate in the period that say something
    (`SAYS_SOMETHING`), as the rows of `status_updates_in_period` and in its order: what a
    meeting document shows of the period, ranked in the database rather than by reading
    every update of the period."""
    return (
        status_updates_in_period(period_start=period_start, cut_off=cut_off)
        .filter(SAYS_SOMETHING)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("mandate_id")],
                order_by=[F("version").desc()],
            )
        )
        .filter(recency__lte=per_mandate)
    )


def said_counts_in_period(
    *, period_start: dt.datetime | None, cut_off: dt.datetime
) -> dict[int, int]:
    """{paragraph id: how many updates of the period say something} for the paragraphs
    in scope that have any."""
    rows = (
        status_updates_in_period(period_start=period_start, cut_off=cut_off)
        .filter(SAYS_SOMETHING)
        .order_by()
        .values("mandate__paragraph_id")
        .annotate(n=Count("pk"))
        .values_list("mandate__paragraph_id", "n")
    )
    return dict(rows)


def evidence_in_period(
    *, period_start: dt.datetime | None, cut_off: dt.datetime
) -> QuerySet[StatusUpdate]:
    """The updates of the period that carry evidence links: their paragraph, time and
    links, in the order of `status_updates_in_period`."""
    return (
        status_updates_in_period(period_start=period_start, cut_off=cut_off)
        .exclude(evidence_links=[])
        .values("mandate__paragraph_id", "created_at", "evidence_links")
    )


def overdue_mandates(*, cut_off: dt.datetime) -> QuerySet[Mandate]:
    """Mandates in scope due at a meeting that had started by the cut-off and not closed
    (completed, not applicable, superseded) at it, as plain rows in the report's order."""
    return (
        report_mandate_rows(cut_off=cut_off)
        .filter(due_meeting__start_date__lte=timezone.localdate(cut_off))
        .exclude(status_at__in=CLOSED_STATUSES)
    )


def completed_mandates(*, cut_off: dt.datetime) -> QuerySet[Mandate]:
    """Mandates in scope completed at the cut-off (proposed for retirement at a COP)."""
    return report_mandate_rows(cut_off=cut_off).filter(status_at=MandateStatus.COMPLETED)


def report_status_totals(*, cut_off: dt.datetime) -> dict[str, int]:
    """Mandates in scope by status at the cut-off, in one aggregate query."""
    rows = (
        mandates_as_of(cut_off=cut_off)
        .filter(_scope(cut_off), paragraph__part=ParagraphPart.OPERATIVE)
        .order_by()
        .values("status_at")
        .annotate(n=Count("pk"))
        .order_by("status_at")
    )
    return {row["status_at"]: row["n"] for row in rows}


# --- Parties --------------------------------------------------------------------------


def parties_as_of(*, cut_off: dt.datetime | None = None) -> QuerySet[Party]:
    """Parties at the cut-off: those whose membership date is unknown or not later."""
    day = timezone.localdate(cut_off or timezone.now())
    return Party.objects.filter(Q(party_since__isnull=True) | Q(party_since__lte=day))


def party_statuses_as_of(*, cut_off: dt.datetime | None = None) -> QuerySet[PartyStatus]:
    """Each (Party, mandate)'s last PartyStatus recorded at or before the cut-off."""
    cut_off = cut_off or timezone.now()
    # "No later entry" (an anti-join) rather than "version = the latest version" (a
    # correlated subquery): PostgreSQL estimates the latter at one row whatever the data,
    # and at `cms` scale chose nested loops that took a minute instead of a second.
    later = PartyStatus.objects.filter(
        party=OuterRef("party"),
        mandate=OuterRef("mandate"),
        version__gt=OuterRef("version"),
        created_at__lte=cut_off,
    )
    return (
        PartyStatus.objects.filter(created_at__lte=cut_off)
        .exclude(Exists(later))
        .filter(party__in=parties_as_of(cut_off=cut_off))
    )


def parties_by_region(*, cut_off: dt.datetime | None = None) -> dict[str, int]:
    rows = (
        parties_as_of(cut_off=cut_off)
        .order_by()
        .values("region")
        .annotate(n=Count("pk"))
        .order_by("region")
    )
    return {row["region"]: row["n"] for row in rows}


def party_participation_by_region(
    *, cut_off: dt.datetime | None = None, resolution_ids: Iterable[int] | None = None
) -> Iterator[dict[str, Any]]:
    """Per resolution with mandates addressed to Parties, and per CMS region: how many
    Parties there are (`parties`) and how many had reported (`reported`: their last status
    at the cut-off, on at least one of those mandates, is other than "not reported").
    Rows {resolution_id, region, parties, reported}, by resolution id then region; a
    region without Parties is left out. Two aggregate queries."""
    cut_off = cut_off or timezone.now()
    totals = parties_by_region(cut_off=cut_off)
    party_mandates = Mandate.objects.filter(actor__slug__in=PARTY_ACTOR_SLUGS)
    if resolution_ids is not None:
        party_mandates = party_mandates.filter(resolution_id__in=list(resolution_ids))
    reported = (
        party_statuses_as_of(cut_off=cut_off)
        .filter(mandate__in=party_mandates)
        .exclude(status=PartyImplementation.NOT_REPORTED)
        .order_by()
        .values("mandate__resolution_id", "party__region")
        .annotate(n=Count("party", distinct=True))
    )
    counts = {(r["mandate__resolution_id"], r["party__region"]): r["n"] for r in reported}
    for resolution_id in (
        party_mandates.order_by("resolution_id").values_list("resolution_id", flat=True).distinct()
    ):
        for region in sorted(totals):
            yield {
                "resolution_id": resolution_id,
                "region": region,
                "parties": totals[region],
                "reported": counts.get((resolution_id, region), 0),
            }


def party_mandate_status_counts(
    *, cut_off: dt.datetime | None = None, resolution_ids: Iterable[int] | None = None
) -> QuerySet[PartyStatus]:
    """How many Parties stood at each implementation status at the cut-off, per mandate
    addressed to Parties: rows {mandate_id, status, n}. Parties without a status are not
    counted here; they are the "not reported" remainder of `parties_by_region`."""
    qs = party_statuses_as_of(cut_off=cut_off).filter(mandate__actor__slug__in=PARTY_ACTOR_SLUGS)
    if resolution_ids is not None:
        qs = qs.filter(mandate__resolution_id__in=list(resolution_ids))
    return (
        qs.order_by("mandate_id", "status")
        .values("mandate_id", "status")
        .annotate(n=Count("party", distinct=True))
    )


def party_statuses_in_period(
    *, period_start: dt.datetime | None, cut_off: dt.datetime
) -> QuerySet[PartyStatus]:
    """Party statuses recorded in the period on mandates in scope, as plain rows, in the
    report's order then by Party."""
    return (
        _period(PartyStatus.objects, period_start=period_start, cut_off=cut_off)
        .filter(_scope(cut_off, "mandate__"), mandate__created_at__lte=cut_off)
        .order_by(*(f"mandate__{key}" for key in MANDATE_ORDER), "party__name", "version")
        .values(
            "pk",
            "party__name",
            "mandate__resolution__symbol",
            "mandate__resolution__kind",
            "mandate__paragraph__number",
            "mandate__paragraph__parent__number",
            "mandate__paragraph__parent__parent__number",
            "mandate__verb",
            "previous_status",
            "status",
            "narrative",
            "evidence_links",
            "created_at",
        )
    )
