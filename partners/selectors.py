"""Reads of Parties and their own statuses: the Party page, the API's obligations and the
Secretariat's matrix. Each runs a fixed number of queries whatever the number of Parties,
mandates or statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from partners.models import Party, PartyEvidenceFile, PartyImplementation, PartyStatus
from partners.permissions import PARTY_ACTOR_SLUGS, party_actor_slug
from reporting.selectors import party_participation_by_region, party_statuses_as_of
from resolutions.models import Mandate, Resolution, ResolutionStatus
from resolutions.selectors import page_of


def parties_list() -> QuerySet[Party]:
    return Party.objects.order_by("name", "pk")


def party_get(*, iso2: str) -> Party:
    """The Party with this code (any case), or 404."""
    return get_object_or_404(Party, iso2=iso2.upper())


def party_mandates_q(party: Party | None = None) -> Q:
    """Mandates a Party implements at home: those addressed to Parties as a whole and,
    with `party`, those addressed to that Party by name (actor `party-<iso2>`)."""
    q = Q(actor__slug__in=PARTY_ACTOR_SLUGS)
    if party is not None:
        q |= Q(actor__slug=party_actor_slug(party))
    return q


#: Columns of the obligations' related rows that no Party page, download or API answer reads.
_UNSHOWN_COLUMNS = (
    "resolution__source_text",
    "paragraph__reading",
    "paragraph__parent__reading",
    "paragraph__parent__parent__reading",
    "actor__aliases",
    "actor__description",
)


def party_obligations(*, party: Party) -> QuerySet[Mandate]:
    """The mandates of resolutions in force addressed to the Party, each annotated with
    the Party's latest status (`party_status`, `not_reported` before any report),
    `party_version` (0 before any), `party_narrative`, `party_as_of` and
    `party_reported_at`. One query."""
    latest = PartyStatus.objects.filter(party=party, mandate=OuterRef("pk")).order_by("-version")
    return (
        Mandate.objects.filter(
            party_mandates_q(party), resolution__status=ResolutionStatus.IN_FORCE
        )
        # A sub-paragraph is cited with its parents' numbers: "29 (a) (i)".
        .select_related("resolution", "paragraph__parent__parent", "actor")
        # Not the resolution's whole text (tens of kilobytes, once per row), nor the
        # importer's readings or the actor's aliases: nothing a Party's pages show.
        .defer(*_UNSHOWN_COLUMNS)
        .annotate(
            party_status=Coalesce(
                Subquery(latest.values("status")[:1]), Value(PartyImplementation.NOT_REPORTED)
            ),
            party_version=Coalesce(
                Subquery(latest.values("version")[:1]), Value(0), output_field=IntegerField()
            ),
            party_narrative=Subquery(latest.values("narrative")[:1]),
            party_as_of=Subquery(latest.values("as_of")[:1]),
            party_reported_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("resolution__symbol", "paragraph__order", "position", "id")
    )


def party_obligations_page(
    *, party: Party, ordered: QuerySet[Mandate], limit: int
) -> list[Mandate]:
    """The first `limit` of `ordered` (the Party's obligations, filtered and ordered, as the
    API's cursor pagination has them), annotated as `party_obligations`. The page is
    chosen by its sort keys alone, in a subquery (`resolutions.selectors.page_of`), and
    only its own rows are read whole: sorting all of a Party's obligations with their
    paragraphs' texts (and their parents') took most of a page's time at `cms` scale. One
    query."""
    return list(page_of(party_obligations(party=party), ordered, limit))


def party_status_history(*, party: Party, mandate: Mandate | None = None) -> QuerySet[PartyStatus]:
    """The Party's status history, newest first (for one mandate with `mandate`), with
    the evidence files of each entry."""
    qs = PartyStatus.objects.filter(party=party).select_related("author").prefetch_related("files")
    if mandate is not None:
        qs = qs.filter(mandate=mandate)
    return qs.order_by("mandate_id", "-version")


def party_latest_statuses(*, party: Party) -> dict[int, str]:
    """The Party's latest status by mandate id (mandates it never reported on are absent).
    One query; on PostgreSQL one row per mandate, read from the `partystatus_party_latest`
    index alone."""
    statuses = PartyStatus.objects.filter(party=party).order_by("mandate_id", "-version")
    if connection.features.can_distinct_on_fields:
        statuses = statuses.distinct("mandate_id")
    latest: dict[int, str] = {}
    for mandate_id, status in statuses.values_list("mandate_id", "status"):
        latest.setdefault(mandate_id, status)
    return latest


@dataclass
class ResolutionGroup:
    resolution: Resolution
    mandates: list[Mandate] = field(default_factory=list)


#: Resolutions on one page of the Party page; its downloads hold every one.
PARTY_PAGE_RESOLUTIONS = 5


@dataclass
class PartyPage:
    party: Party
    groups: list[ResolutionGroup]
    #: Mandates by the Party's status, over every resolution (not only this page's).
    counts: dict[str, int]
    #: The page of resolutions shown (None: every resolution, as the downloads have it).
    page: Page | None = None

    @property
    def mandates(self) -> list[Mandate]:
        return [m for g in self.groups for m in g.mandates]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def party_page(*, party: Party, page_number: int | str | None = None) -> PartyPage:
    """What the resolutions ask of the Party, grouped by resolution, with its latest status
    per mandate. A mandate's history and evidence are on its own page
    (`party_mandate_page`); `party_version` is the number of reports.

    With `page_number`, only that page of PARTY_PAGE_RESOLUTIONS resolutions (an invalid
    or too large number gives the last page), in three queries whatever the size; without,
    every resolution, in one. `counts` always covers every mandate."""
    obligations = party_obligations(party=party)
    counts = dict.fromkeys(PartyImplementation.values, 0)
    page = None
    if page_number is not None:
        latest = party_latest_statuses(party=party)
        resolution_ids: dict[int, None] = {}
        for pk, resolution_id in obligations.order_by(
            "resolution__symbol", "resolution_id"
        ).values_list("pk", "resolution_id"):
            counts[latest.get(pk, PartyImplementation.NOT_REPORTED)] += 1
            resolution_ids[resolution_id] = None
        page = Paginator(list(resolution_ids), PARTY_PAGE_RESOLUTIONS).get_page(page_number)
        obligations = obligations.filter(resolution_id__in=list(page.object_list))
    groups: dict[int, ResolutionGroup] = {}
    # Translated once per status, not once per row (a lazy label is looked up each time).
    labels = {value: str(label) for value, label in PartyImplementation.choices}
    for mandate in obligations:
        mandate.party_status_label = labels[mandate.party_status]
        if page is None:
            counts[mandate.party_status] += 1
        groups.setdefault(
            mandate.resolution_id, ResolutionGroup(mandate.resolution)
        ).mandates.append(mandate)
    return PartyPage(party=party, groups=list(groups.values()), counts=counts, page=page)


def party_obligation_get(*, party: Party, mandate_id: int) -> Mandate:
    """One mandate addressed to the Party, annotated as `party_obligations`; 404 if the
    id is not one of them."""
    mandate = party_obligations(party=party).filter(pk=mandate_id).first()
    if mandate is None:
        raise Http404("No mandate addressed to this Party with that id.")
    mandate.party_status_label = PartyImplementation(mandate.party_status).label
    return mandate


def party_evidence_file_get(*, pk: int) -> PartyEvidenceFile:
    return get_object_or_404(PartyEvidenceFile, pk=pk)


# --- The Secretariat's matrix -------------------------------------------------------------


@dataclass
class MatrixColumn:
    mandate: Mandate
    implemented: int = 0
    reported: int = 0
    parties: int = 0

    @property
    def not_reported(self) -> int:
        return self.parties - self.reported

    @property
    def summary(self) -> str:
        return (
            f"{self.implemented} of {self.parties} Parties report it implemented; "
            f"{self.not_reported} have not reported"
        )


@dataclass
class Matrix:
    parties: list[Party]
    columns: list[MatrixColumn]
    #: {(party id, mandate id): status}; a missing pair is not_reported.
    cells: dict[tuple[int, int], str]

    def rows(self) -> list[tuple[Party, list[tuple[str, str]]]]:
        """Per Party, its (status, label) per column."""
        labels = dict(PartyImplementation.choices)
        rows = []
        for party in self.parties:
            statuses = [
                self.cells.get((party.pk, c.mandate.pk), PartyImplementation.NOT_REPORTED)
                for c in self.columns
            ]
            rows.append((party, [(s, labels[s]) for s in statuses]))
        return rows


def party_matrix(*, parties: QuerySet[Party], mandates: QuerySet[Mandate]) -> Matrix:
    """Parties x mandates addressed to Parties, with each Party's latest status and, per
    mandate, how many of the Parties shown report it implemented and how many reported at
    all. Three queries whatever the size."""
    party_list = list(parties)
    mandate_list = list(
        mandates.filter(party_mandates_q())
        .select_related("resolution", "paragraph__parent__parent", "actor")
        .order_by("resolution__symbol", "paragraph__order", "position", "id")
    )
    party_ids = {p.pk for p in party_list}
    cells: dict[tuple[int, int], str] = {}
    rows = (
        party_statuses_as_of()
        .filter(mandate__in=[m.pk for m in mandate_list], party__in=party_ids)
        .values_list("party_id", "mandate_id", "status")
    )
    for party_id, mandate_id, status in rows:
        cells[(party_id, mandate_id)] = status
    columns = []
    for mandate in mandate_list:
        column = MatrixColumn(mandate=mandate, parties=len(party_list))
        for party in party_list:
            status = cells.get((party.pk, mandate.pk), PartyImplementation.NOT_REPORTED)
            if status != PartyImplementation.NOT_REPORTED:
                column.reported += 1
            if status == PartyImplementation.IMPLEMENTED:
                column.implemented += 1
        columns.append(column)
    return Matrix(parties=party_list, columns=columns, cells=cells)


def reporting_share_by_region(*, resolution_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Share of Parties that reported, per resolution and CMS region, for the meeting
    reports: rows {resolution, region, region_label, parties, reported, share (0-100)}.
    Built on reporting.selectors.party_participation_by_region (the report's own figures),
    plus one query for the resolutions."""
    from partners.models import Region

    rows = list(party_participation_by_region(resolution_ids=resolution_ids))
    resolutions = Resolution.objects.in_bulk({r["resolution_id"] for r in rows})
    labels = dict(Region.choices)
    return [
        {
            **row,
            "resolution": resolutions[row["resolution_id"]],
            "region_label": labels.get(row["region"], row["region"]),
            "share": round(100 * row["reported"] / row["parties"]) if row["parties"] else 0,
        }
        for row in rows
    ]
