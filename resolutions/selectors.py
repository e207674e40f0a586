"""Reads of resolutions, paragraphs, actors and mandates. Each returns a queryset (or
plain data) that runs a fixed number of queries whatever the size of the result."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.sql import Query
from django.db.models.sql.where import AND, ExtraWhere
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cms_mandates.db import prepared_cursor
from reporting.models import Body, Meeting
from resolutions import revisions, vocabulary
from resolutions.models import (
    CLOSED_STATUSES,
    Actor,
    EvidenceFile,
    GbfTarget,
    ImportRecord,
    ImportState,
    LinkState,
    Mandate,
    MandateLink,
    MandateStatus,
    Paragraph,
    ParagraphPart,
    ParagraphTranslation,
    PhraseState,
    Resolution,
    ResolutionStatus,
    ResolutionTranslation,
    Sdg,
    StatusUpdate,
    TextLanguage,
    UnmatchedPhrase,
)
from resolutions.parsing import iter_operative

#: Display order of statuses in summaries and charts.
STATUS_ORDER = [
    MandateStatus.NOT_STARTED,
    MandateStatus.IN_PROGRESS,
    MandateStatus.ONGOING,
    MandateStatus.DELAYED,
    MandateStatus.COMPLETED,
    MandateStatus.NOT_APPLICABLE,
    MandateStatus.SUPERSEDED,
]


@dataclass
class StatusSummary:
    """Counts of mandates by status, in display order, with shares for a stacked bar."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def segments(self) -> list[dict[str, object]]:
        """Non-empty statuses in display order, each with its share of 100 and the
        offset where its bar segment starts."""
        return self.segments_scaled(self.total or 1)

    def segments_scaled(self, scale: int) -> list[dict[str, object]]:
        """As `segments`, with percentages of `scale` rather than of this total: bars of
        several summaries drawn to one scale."""
        segments, offset = [], 0.0
        for status in STATUS_ORDER:
            count = self.counts.get(status.value, 0)
            if not count:
                continue
            percent = 100 * count / scale
            segments.append(
                {
                    "status": status.value,
                    "label": status.label,
                    "count": count,
                    "percent": percent,
                    "offset": offset,
                }
            )
            offset += percent
        return segments

    @property
    def done(self) -> int:
        return self.counts.get(MandateStatus.COMPLETED, 0)

    @property
    def active(self) -> int:
        return sum(
            self.counts.get(s, 0)
            for s in (MandateStatus.IN_PROGRESS, MandateStatus.ONGOING, MandateStatus.DELAYED)
        )


def _status_annotations(prefix: str = "mandates__") -> dict[str, Count]:
    return {
        f"n_{status}": Count("mandates", filter=Q(**{f"{prefix}status": status}), distinct=True)
        for status in MandateStatus.values
    }


def summary_from_row(row: object) -> StatusSummary:
    return StatusSummary({s: getattr(row, f"n_{s}", 0) for s in MandateStatus.values})


def resolutions_overview(*, include_inactive: bool = False) -> QuerySet[Resolution]:
    """Resolutions with their adopting meeting and per-status mandate counts (n_<status>,
    n_operative) in one query."""
    qs = Resolution.objects.select_related("adopted_at").annotate(
        **_status_annotations(),
        n_operative=Count(
            "paragraphs",
            filter=Q(paragraphs__part=ParagraphPart.OPERATIVE, paragraphs__parent__isnull=True),
            distinct=True,
        ),
    )
    if not include_inactive:
        qs = qs.filter(status=ResolutionStatus.IN_FORCE)
    return qs.order_by("convention", "symbol")


def status_summary(mandates: QuerySet[Mandate]) -> StatusSummary:
    rows = mandates.order_by().values("status").annotate(n=Count("id"))
    return StatusSummary({row["status"]: row["n"] for row in rows})


def resolution_get(*, pk: int) -> Resolution:
    return get_object_or_404(Resolution.objects.select_related("adopted_at", "supersedes"), pk=pk)


@dataclass
class ResolutionPage:
    resolution: Resolution
    preamble: list[Paragraph]
    operative: list[Paragraph]  # top-level operative paragraphs; .subparagraphs attached
    annexes: list[Paragraph]
    summary: StatusSummary
    actors: list[tuple[Actor, int]]
    # Known resolutions by cited symbol, to link citations in the text.
    symbols: dict[tuple[str, str], Resolution] = field(default_factory=dict)


def resolution_page(*, pk: int, language: str = "en") -> ResolutionPage:
    """Everything the resolution page shows, in five queries (six in a language the text
    may be held in: the paragraphs' translations). Each paragraph gets `display_text`,
    `display_heading` and `display_language`: the text in `language` where there is one,
    else the English."""
    resolution = resolution_get(pk=pk)
    mandates = Mandate.objects.select_related("actor", "report_to", "due_meeting").order_by(
        "position", "actor__order"
    )
    paragraphs = list(
        paragraphs_in_language(
            resolution.paragraphs.order_by("order").prefetch_related(
                Prefetch("mandates", queryset=mandates)
            ),
            language,
        )
    )
    localise_paragraphs(paragraphs)
    resolution.display_title = resolution.title
    if language in TextLanguage.values:
        translation = resolution.translations.filter(language=language).first()
        if translation is not None and translation.title:
            resolution.display_title = translation.title
    children: dict[int, list[Paragraph]] = defaultdict(list)
    for p in paragraphs:
        if p.parent_id:
            children[p.parent_id].append(p)
    for p in paragraphs:
        p.subparagraphs = children.get(p.pk, [])
    all_mandates = [m for p in paragraphs for m in p.mandates.all()]
    summary = StatusSummary(dict(Counter(m.status for m in all_mandates)))
    actor_counts = Counter(m.actor for m in all_mandates)
    return ResolutionPage(
        resolution=resolution,
        preamble=[p for p in paragraphs if p.part == ParagraphPart.PREAMBLE],
        operative=[p for p in paragraphs if p.part == ParagraphPart.OPERATIVE and not p.parent_id],
        annexes=[p for p in paragraphs if p.part == ParagraphPart.ANNEX],
        summary=summary,
        actors=sorted(actor_counts.items(), key=lambda item: (item[0].order, item[0].name)),
        symbols=resolution_symbols(),
    )


def actors_with_counts() -> QuerySet[Actor]:
    return Actor.objects.annotate(
        n_mandates=Count("mandates"),
        n_open=Count(
            "mandates",
            filter=~Q(
                mandates__status__in=[
                    MandateStatus.COMPLETED,
                    MandateStatus.NOT_APPLICABLE,
                    MandateStatus.SUPERSEDED,
                ]
            ),
        ),
    ).order_by("order", "name")


def actor_get(*, slug: str) -> Actor:
    return get_object_or_404(Actor, slug=slug)


def mandates_for_actor(*, actor: Actor) -> QuerySet[Mandate]:
    return (
        Mandate.objects.filter(actor=actor)
        .select_related("resolution", "paragraph", "due_meeting", "report_to")
        .order_by("resolution__convention", "resolution__symbol", "paragraph__order", "position")
    )


#: The order of mandate lists (pages and API); the id breaks ties.
MANDATE_LIST_ORDER = ("resolution__symbol", "paragraph__order", "position", "actor__order")


def mandates_list() -> QuerySet[Mandate]:
    """The base queryset of every mandate list (pages and API), related rows joined. The
    id ends the order, so that pages split by position neither repeat nor skip a row
    (two conventions' resolutions may share a symbol and paragraph orders)."""
    return Mandate.objects.select_related(
        "resolution", "paragraph__parent", "actor", "due_meeting", "report_to"
    ).order_by(*MANDATE_LIST_ORDER, "pk")


#: A mandate row of the API list, by lookup path: what MandateSerializer represents.
MANDATE_API_FIELDS = (
    "id",
    "position",
    "verb",
    "verb_phrase",
    "addressee_phrase",
    "strength",
    "subject_to_resources",
    "cadence",
    "status",
    "progress",
    "version",
    "status_changed_at",
    "created_at",
    "updated_at",
    "resolution_id",
    "resolution__symbol",
    "resolution__title",
    "paragraph_id",
    "paragraph__number",
    "paragraph__text",
    "paragraph__order",  # ordering keys: the cursor reads them from the page's last row
    "actor__slug",
    "actor__name",
    "actor__order",
    "due_meeting__code",
    "due_meeting__start_date",
    "report_to__slug",
)
#: The same columns for `only()`: the keys of the relations come with their columns.
_MANDATE_API_COLUMNS = tuple(
    f for f in MANDATE_API_FIELDS if f not in {"resolution_id", "paragraph_id"}
)


class PickedPages:
    """`mandates` (a filtered, ordered `mandates_list`) for Django's Paginator: counted by
    COUNT(*), each page's rows chosen by their sort keys alone (`page_ids`) and only
    those read whole, with their related rows. At `cms` scale the page's statement took
    30-37 ms for the first page of the list when it sorted every mandate with its
    paragraph's text, 55-59 ms for the hundredth; picked, 6 and 10-11 ms."""

    #: What Paginator asks of a queryset before it warns of an unordered one.
    ordered = True

    def __init__(self, mandates: QuerySet[Mandate]) -> None:
        self.mandates = mandates

    def count(self) -> int:
        return self.mandates.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Mandate]:
        start = index.start or 0
        return list(page_of(mandates_list(), self.mandates, index.stop - start, start))


def mandates_for_api() -> QuerySet[Mandate]:
    """The mandates of the API as model instances, in the order of `mandates_list`,
    reading only the columns the representation shows (not the resolution source texts or
    paragraph readings): one mandate, and the list's pages in a format-suffixed request."""
    return (
        Mandate.objects.select_related(
            "resolution", "paragraph", "actor", "due_meeting", "report_to"
        )
        .only(*_MANDATE_API_COLUMNS)
        .order_by(*MANDATE_LIST_ORDER)
    )


def mandates_for_api_rows() -> QuerySet[Mandate]:
    """The mandates of the API list, in its order, to be filtered and paged and then read
    as plain rows (`mandate_api_rows`, whose own statement joins the related rows and
    picks the columns): nothing joined or narrowed here, which would only be undone."""
    return Mandate.objects.order_by(*MANDATE_LIST_ORDER)


#: A shown link of such a row, by lookup path.
LINK_API_FIELDS = (
    "mandate_id",
    "kind",
    "state",
    "source",
    "decided_at",
    "organisation_id",
    "organisation__slug",
    "organisation__acronym",
    "organisation__name",
    "gbf_target_id",
    "gbf_target__code",
    "gbf_target__title",
    "sdg__number",
    "sdg__title",
)


def mandate_api_rows(
    *, ordered: QuerySet, limit: int, keys: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The API rows (dicts keyed by MANDATE_API_FIELDS and `keys`, plus "links": the
    shown links as dicts keyed by LINK_API_FIELDS, in display order) of the first `limit`
    mandates of `ordered` (filtered and ordered `mandates_for_api`), in its order. Two
    queries.

    The page is chosen by its sort keys alone, in a subquery (`page_ids`): the database
    then sorts narrow rows and reads the wide columns (paragraph texts) of the page's rows
    only, half the time of sorting whole joined rows at `cms` scale; and plain rows cost a
    fraction of six model instances.

    On PostgreSQL both statements are compiled once (`_page_statement`, `_links_statement`)
    and only the page's own subquery is compiled per request: compiling the two took a
    tenth of a page's time."""
    fields = tuple(dict.fromkeys([*MANDATE_API_FIELDS, *keys]))
    ordering = tuple(ordered.query.order_by)
    sort_keys = _sort_keys(ordering)
    # Keyed by plain sort keys: hashing the ordering's expressions cost more than a lookup.
    statement = (
        None if sort_keys is None else _page_statement(connection.vendor, tuple(sort_keys), fields)
    )
    if statement is None:
        page = ordered.values("pk")[:limit]
        rows = list(Mandate.objects.filter(pk__in=page).order_by(*ordering).values(*fields))
    else:
        page_sql, page_params = page_ids(ordered, limit)
        rows = _dict_rows(statement.sql(page_sql), page_params, fields)
    by_id: dict[int, dict[str, Any]] = {}
    for row in rows:
        row["links"] = []
        by_id[row["id"]] = row
    if by_id:
        links_statement = _links_statement(connection.vendor)
        if links_statement is None:
            links = visible_links().filter(mandate_id__in=list(by_id)).values(*LINK_API_FIELDS)
        else:
            links = _dict_rows(
                links_statement.sql("%s"),
                links_statement.params(list(by_id)),
                LINK_API_FIELDS,
            )
        for link in links:
            by_id[link["mandate_id"]]["links"].append(link)
    return rows


def page_ids(
    ordered: QuerySet[Mandate], limit: int, offset: int = 0
) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters of a subquery selecting the ids of `limit` mandates of `ordered`
    after the first `offset`, chosen by their sort keys alone (for `IN (...)`:
    `pk__in=RawSQL(...)`).

    On PostgreSQL, when the order starts with the resolution's symbol (the default order
    of every mandate list), the page is found by walking the resolutions in that order
    (`_resolution_walk`); otherwise it is the plain subquery, as Django compiles one."""
    walk = _resolution_walk(ordered, limit, offset)
    if walk is not None:
        return walk
    page = ordered.values("pk")[offset : offset + limit].query
    # Compiled as Django compiles a subquery: columns the ordering or DISTINCT needs beyond
    # the id are wrapped away.
    page.subquery = True
    sql, params = page.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def page_of(
    rows: QuerySet[Mandate], ordered: QuerySet[Mandate], limit: int, offset: int = 0
) -> QuerySet[Mandate]:
    """`rows` (the page's whole rows: related rows joined, annotations) narrowed to the
    page of `ordered` that `page_ids` picks, in `ordered`'s order."""
    sql, params = page_ids(ordered, limit, offset)
    return rows.filter(pk__in=RawSQL(sql, params)).order_by(  # noqa: S611  # nosec B611
        *ordered.query.order_by
    )


@dataclass(frozen=True)
class _SortKey:
    path: str  # lookup path: "resolution__symbol", "pk"
    descending: bool
    nulls: str  # "", " NULLS FIRST" or " NULLS LAST", as the ordering has it

    @property
    def sql(self) -> str:
        return f"{' DESC' if self.descending else ' ASC'}{self.nulls}"

    @property
    def expression(self) -> OrderBy:
        return OrderBy(
            F(self.path),
            descending=self.descending,
            nulls_first=True if self.nulls == " NULLS FIRST" else None,
            nulls_last=True if self.nulls == " NULLS LAST" else None,
        )


def _sort_keys(order_by: Iterable[Any]) -> list[_SortKey] | None:
    """A queryset's `order_by` as sort keys; None when a term is not a plain lookup path."""
    keys = []
    for term in order_by:
        if isinstance(term, str) and term and term != "?":
            keys.append(_SortKey(term.removeprefix("-"), term.startswith("-"), ""))
        elif isinstance(term, OrderBy) and type(term.expression) is F:
            nulls = " NULLS FIRST" if term.nulls_first else ""
            nulls = " NULLS LAST" if term.nulls_last else nulls
            keys.append(_SortKey(term.expression.name, term.descending, nulls))
        else:
            return None
    return keys


#: The resolutions in the page's order, each one's matching mandates beside it. `OFFSET
#: 0` keeps the lateral subquery as written: without it the planner flattens it back
#: into one join of every match, sorted whole.
_WALK_SQL = (
    'SELECT "cms_page"."c0" FROM (SELECT "id", "symbol" FROM "resolutions_resolution" '
    'ORDER BY "symbol"{direction}) "cms_walk" CROSS JOIN LATERAL ({mandates} OFFSET 0) '
    '"cms_page"({columns}) ORDER BY "cms_walk"."symbol"{direction}{keys} LIMIT {limit:d} '
    "OFFSET {offset:d}"
)


def _resolution_walk(
    ordered: QuerySet[Mandate], limit: int, offset: int = 0
) -> tuple[str, tuple] | None:
    """The page's ids (as `page_ids`) found by walking the resolutions in symbol order
    and, for each, its mandates that `ordered` selects, until `limit` are found; None
    where it does not apply (not PostgreSQL, another first sort key, DISTINCT).

    The plain subquery matches every mandate and sorts them all before it takes the first
    `limit`. Measured at `cms` scale (10,000 mandates), the first page of the list took
    6-10 ms that way and 0.5 ms walked; a search that every mandate matches 21-27 ms and
    10-11 ms. A search that few mandates match costs the same either way (every resolution
    is looked at). The cursor's conditions stay on the mandates: walking every page of 200,
    a page took 15 ms on average instead of 20 (search) and 7 instead of 8 (list)."""
    query = ordered.query
    if connection.vendor != "postgresql" or ordered.model is not Mandate:
        return None
    if query.distinct or query.is_sliced or query.combinator:
        return None
    keys = _sort_keys(query.order_by)
    if not keys or keys[0].path != "resolution__symbol":
        return None
    first, rest = keys[0], keys[1:]
    columns = list(dict.fromkeys(["pk", *(key.path for key in rest)]))
    if _unconditioned(query):
        sql, params = _walk_mandates(tuple(columns))
    else:
        sql, params = _walk_mandates_sql(query, columns)
    order = "".join(f', "cms_page"."c{columns.index(key.path)}"{key.sql}' for key in rest)
    statement = _WALK_SQL.format(
        direction=first.sql,
        mandates=sql,
        columns=", ".join(f'"c{i}"' for i in range(len(columns))),
        keys=order,
        # Written out (whole numbers), not parameters: a prepared statement's generic plan
        # then knows how few rows it is to find, and is used (`db.prepared_cursor`).
        limit=limit,
        offset=offset,
    )
    return statement, tuple(params)


def _walk_mandates_sql(query: Query, columns: list[str]) -> tuple[str, tuple[Any, ...]]:
    """The mandates of `query` beside one resolution of the walk, as `columns`."""
    # One clone, changed in place: the queryset methods would clone it three times.
    mandates = query.chain()
    mandates.clear_ordering(force=True)
    # Raw SQL rather than a lookup: resolving one cost a tenth of the walk's compiling.
    alias = connection.ops.quote_name(mandates.get_initial_alias())
    mandates.where.add(ExtraWhere([f'{alias}."resolution_id" = "cms_walk"."id"'], []), AND)
    mandates.set_values(columns)
    sql, params = mandates.sql_with_params()
    return sql, tuple(params)


def _unconditioned(query: Query) -> bool:
    """Whether `query` reads every mandate: no condition, join, annotation or extra."""
    return (
        not query.where
        and not query.annotations
        and not query.extra
        and not query.extra_tables
        and len(query.alias_map) <= 1
    )


@functools.lru_cache(maxsize=16)
def _walk_mandates(columns: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    """`_walk_mandates_sql` of every mandate (the first page of a list without filters,
    the busiest), compiled once: compiling took a tenth of the list's Python."""
    return _walk_mandates_sql(Mandate.objects.all().query, list(columns))


#: Where a compiled statement takes its rows: a subquery (the page) or an array (ids).
_HOLE = "SELECT cms_mandates_statement_hole"


def _hole() -> RawSQL:
    return RawSQL(_HOLE, ())  # noqa: S611 - a constant, filled with compiled SQL only  # nosec B611


@dataclass(frozen=True)
class _Statement:
    """A query's SQL compiled once, around a hole (`_HOLE`) in its `IN (...)`, with the
    parameters that come before and after the hole."""

    before: str
    after: str
    params_before: tuple[Any, ...]
    params_after: tuple[Any, ...]

    @classmethod
    def compile(cls, queryset: QuerySet) -> _Statement | None:
        sql, params = queryset.query.sql_with_params()
        if sql.count(_HOLE) != 1 or "%%" in sql:
            return None
        before, _, after = sql.partition(_HOLE)
        n = before.count("%s")
        return cls(before, after, tuple(params[:n]), tuple(params[n:]))

    def sql(self, rows: str) -> str:
        return f"{self.before}{rows}{self.after}"

    def params(self, *values: Any) -> tuple[Any, ...]:
        return (*self.params_before, *values, *self.params_after)


@functools.lru_cache(maxsize=64)
def _page_statement(
    vendor: str, keys: tuple[_SortKey, ...], fields: tuple[str, ...]
) -> _Statement | None:
    """The page's statement for an ordering (a handful in use: the API's orderings, both
    ways), PostgreSQL only; the page's subquery goes in the hole. None: compile each
    time."""
    if vendor != "postgresql":
        return None
    ordering = [key.expression for key in keys]
    statement = _Statement.compile(
        Mandate.objects.filter(pk__in=_hole()).order_by(*ordering).values(*fields)
    )
    if statement is None or statement.params_before or statement.params_after:
        return None  # the page's subquery is to bring the only parameters
    return statement


@functools.lru_cache(maxsize=4)
def _links_statement(vendor: str) -> _Statement | None:
    """The statement of the shown links of some mandates, their ids as one array
    parameter, PostgreSQL only. None: compile each time."""
    if vendor != "postgresql":
        return None
    statement = _Statement.compile(
        visible_links().filter(mandate_id__in=_hole()).values(*LINK_API_FIELDS)
    )
    if statement is None or not statement.before.endswith("IN ("):
        return None
    # "mandate_id IN (<hole>)" becomes "mandate_id = ANY(%s)".
    return _Statement(
        statement.before.removesuffix("IN (") + "= ANY(",
        statement.after,
        statement.params_before,
        statement.params_after,
    )


def _dict_rows(sql: str, params: Iterable[Any], names: tuple[str, ...]) -> list[dict[str, Any]]:
    with prepared_cursor() as cursor:
        cursor.execute(sql, tuple(params))
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- The list's page as JSON documents --------------------------------------------------

#: The addresses a mandate's document holds, in this order, each given as the text before
#: and after the key (`mandate_api_documents`' `addresses`).
DOCUMENT_ADDRESSES = ("mandate", "page", "resolution", "paragraph", "actor", "status_updates")


def _iso_utc(column: str) -> str:
    """SQL of a timestamptz as DRF writes it in UTC: ISO 8601, microseconds only when
    there are any, "Z" for the offset."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""CASE WHEN {column} IS NULL THEN NULL ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') """
        f"""|| CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE to_char({utc}, '.US') END """
        """|| 'Z' END"""
    )


#: A mandate's shown links (`visible_links`, in its order) as `_link_representation`
#: writes them: the organisation's acronym, else its name, as the label.
_LINKS_DOCUMENT_SQL = f"""coalesce((SELECT json_agg(json_build_object(
    'kind', l."kind",
    'key', CASE WHEN l."organisation_id" IS NOT NULL THEN o."slug"
                WHEN l."gbf_target_id" IS NOT NULL THEN g."code" ELSE s."number"::text END,
    'label', CASE WHEN l."organisation_id" IS NOT NULL
                  THEN coalesce(nullif(o."acronym", ''), o."name")
                  WHEN l."gbf_target_id" IS NOT NULL THEN 'GBF ' || g."code"
                  ELSE 'SDG ' || s."number"::text END,
    'title', CASE WHEN l."organisation_id" IS NOT NULL THEN o."name"
                  WHEN l."gbf_target_id" IS NOT NULL THEN g."title" ELSE s."title" END,
    'state', l."state", 'source', l."source", 'decided_at', {_iso_utc('l."decided_at"')})
    ORDER BY l."kind", o."name", g."number", s."number", l."id")
  FROM "resolutions_mandatelink" l
  LEFT JOIN "partners_organisation" o ON o."id" = l."organisation_id"
  LEFT JOIN "resolutions_gbftarget" g ON g."id" = l."gbf_target_id"
  LEFT JOIN "resolutions_sdg" s ON s."id" = l."sdg_id"
  WHERE l."mandate_id" = {{id}} AND l."state" <> '{LinkState.REJECTED}'), '[]'::json)"""  # noqa: S608  # nosec B608 - constants


@dataclass(frozen=True)
class _DocumentStatement:
    """The page's documents for one ordering: SQL around the page's subquery, and where
    the sort keys' values come in each row."""

    before: str
    after: str
    keys: tuple[str, ...]


@functools.lru_cache(maxsize=64)
def _document_statement(vendor: str, keys: tuple[_SortKey, ...]) -> _DocumentStatement | None:
    """The statement of `mandate_api_documents` for an ordering, PostgreSQL only: the
    columns it needs, read by Django's compiled query for the page's ids (the hole), then
    built into JSON in the order of the sort keys. None: not available."""
    if vendor != "postgresql":
        return None
    paths = list(dict.fromkeys([*MANDATE_API_FIELDS, *(key.path for key in keys)]))
    rows = Mandate.objects.filter(pk__in=_hole()).order_by().values(*paths)
    sql, params = rows.query.sql_with_params()
    if params or sql.count(_HOLE) != 1 or "%" in sql:
        return None
    c = {path: f'r."c{i}"' for i, path in enumerate(paths)}
    address = "%s || {} || %s"
    closed = ", ".join(f"'{status}'" for status in sorted(CLOSED_STATUSES))
    document = f"""json_build_object(
    'id', {c["id"]},
    'url', {address.format(c["id"])},
    'html_url', {address.format(c["id"])},
    'resolution', json_build_object('id', {c["resolution_id"]},
        'url', {address.format(c["resolution_id"])},
        'symbol', {c["resolution__symbol"]}, 'title', {c["resolution__title"]}),
    'paragraph', json_build_object('id', {c["paragraph_id"]},
        'url', {address.format(c["paragraph_id"])},
        'number', {c["paragraph__number"]}, 'text', {c["paragraph__text"]}),
    'actor', json_build_object('slug', {c["actor__slug"]},
        'url', {address.format(c["actor__slug"])}, 'name', {c["actor__name"]}),
    'position', {c["position"]}, 'verb', {c["verb"]}, 'verb_phrase', {c["verb_phrase"]},
    'addressee_phrase', {c["addressee_phrase"]}, 'strength', {c["strength"]},
    'subject_to_resources', {c["subject_to_resources"]}, 'due_meeting', {c["due_meeting__code"]},
    'cadence', {c["cadence"]}, 'report_to', {c["report_to__slug"]}, 'status', {c["status"]},
    'progress', {c["progress"]}, 'version', {c["version"]},
    'is_overdue', coalesce({c["due_meeting__start_date"]} <= %s::date
                           AND {c["status"]} NOT IN ({closed}), false),
    'status_changed_at', {_iso_utc(c["status_changed_at"])},
    'status_updates_url', {address.format(c["id"])},
    'links', {_LINKS_DOCUMENT_SQL.format(id=c["id"])},
    'created_at', {_iso_utc(c["created_at"])},
    'updated_at', {_iso_utc(c["updated_at"])})::text"""
    key_columns = ", ".join(c[key.path] for key in keys)
    order = ", ".join(f"{c[key.path]}{key.sql}" for key in keys)
    before, _, after = sql.partition(_HOLE)
    columns = ", ".join(f'"c{i}"' for i in range(len(paths)))
    return _DocumentStatement(
        # Columns by position, values as parameters: nothing here comes from a request.
        before=f"SELECT {key_columns}, {document} FROM ({before}",  # noqa: S608  # nosec B608
        after=f"{after}) r({columns}) ORDER BY {order}",
        keys=tuple(key.path for key in keys),
    )


def mandate_api_documents(
    *,
    ordered: QuerySet,
    limit: int,
    keys: Iterable[str],
    addresses: Iterable[tuple[str, str]],
    today: dt.date,
) -> list[dict[str, Any]] | None:
    """The first `limit` mandates of `ordered` (as `mandate_api_rows` picks them), each as
    a dict of its sort keys (by lookup path) and "document": its JSON representation in
    the API, written by PostgreSQL, with timestamps in UTC. `addresses` are the text
    before and after the key of each of DOCUMENT_ADDRESSES' addresses; `today` decides
    what is overdue. One query. None where it does not apply (not PostgreSQL, an ordering
    by something other than lookup paths); `mandate_api_rows` then serves.

    Writing a page of 50 in PostgreSQL takes about a third of a millisecond more there and
    saves about a millisecond of Python (the rows as dicts, then the representations,
    then their encoding)."""
    sort_keys = _sort_keys(tuple(ordered.query.order_by))
    if sort_keys is None:
        return None
    statement = _document_statement(connection.vendor, tuple(sort_keys))
    if statement is None or not set(keys) <= set(statement.keys):
        return None
    (mandate, page, resolution, paragraph, actor, updates) = addresses
    page_sql, page_params = page_ids(ordered, limit)
    params = (
        *mandate,
        *page,
        *resolution,
        *paragraph,
        *actor,
        today,
        *updates,
        *page_params,
    )
    sql = f"{statement.before}{page_sql}{statement.after}"
    names = (*statement.keys, "document")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def mandate_api_row(mandate: Mandate) -> dict[str, Any]:
    """`mandate` (from `mandates_for_api`, its links prefetched or not) as the row
    `mandate_api_rows` gives for it."""
    row = _path_values(mandate, MANDATE_API_FIELDS)
    row["links"] = [_path_values(link, LINK_API_FIELDS) for link in mandate.shown_links()]
    return row


def _path_values(obj: Any, paths: Iterable[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for path in paths:
        value = obj
        for name in path.split("__"):
            value = getattr(value, name)
            if value is None:
                break
        row[path] = value
    return row


# --- Secretariat workspace ----------------------------------------------------------------


def overdue_q(*, today: dt.date | None = None) -> Q:
    """Mandates due at a meeting that has started and not closed (Mandate.is_overdue)."""
    today = today or timezone.localdate()
    return Q(due_meeting__start_date__lte=today) & ~Q(status__in=CLOSED_STATUSES)


def mandate_page(*, pk: int) -> Mandate:
    """One mandate with its history (authors, files) and the other mandates of its
    paragraph, in a fixed number of queries; 404 when absent."""
    return get_object_or_404(
        mandates_list().prefetch_related(
            Prefetch(
                "updates",
                queryset=StatusUpdate.objects.select_related("author")
                # A list on each entry rather than a manager and a queryset made for each
                # of a hundred entries: a tenth of the page (`history_entries` reads it).
                .prefetch_related(Prefetch("files", to_attr="file_list"))
                .order_by("-version"),
            ),
            Prefetch(
                "paragraph__mandates",
                queryset=Mandate.objects.select_related("actor").order_by(
                    "position", "actor__order"
                ),
            ),
            links_prefetch(),
        ),
        pk=pk,
    )


def evidence_file_get(*, pk: int) -> EvidenceFile:
    return get_object_or_404(EvidenceFile, pk=pk)


@dataclass
class ActorProgress:
    actor: Actor
    summary: StatusSummary


@dataclass
class ResolutionProgress:
    resolution: Resolution
    summary: StatusSummary
    actors: list[ActorProgress]
    overdue: int = 0


@dataclass
class Dashboard:
    today: dt.date
    resolutions: list[ResolutionProgress]
    #: The latest Standing Committee meeting that has started, or None.
    meeting: Meeting | None
    #: Mandates with an update since `meeting` started, annotated with status_before,
    #: n_updates, last_changed_at, last_author and last_narrative; newest first.
    changes: list[Mandate]
    changes_total: int
    overdue: list[Mandate]
    overdue_total: int


def last_standing_committee(*, today: dt.date) -> Meeting | None:
    return (
        Meeting.objects.filter(body=Body.STC, start_date__lte=today)
        .order_by("-start_date", "-number")
        .first()
    )


def mandates_changed_since(*, since: dt.datetime) -> QuerySet[Mandate]:
    """Mandates with at least one update at or after `since`, each annotated with its
    status before the first of them and its latest update; newest change first."""
    recent = StatusUpdate.objects.filter(mandate=OuterRef("pk"), created_at__gte=since)
    latest = recent.order_by("-version")
    n_recent = recent.order_by().annotate(n=Func("pk", function="COUNT")).values("n")
    return (
        mandates_list()
        .filter(pk__in=StatusUpdate.objects.filter(created_at__gte=since).values("mandate_id"))
        .annotate(
            n_updates=Subquery(n_recent),
            status_before=Subquery(recent.order_by("version").values("previous_status")[:1]),
            last_changed_at=Subquery(latest.values("created_at")[:1]),
            last_author=Subquery(latest.values("author__username")[:1]),
            last_narrative=Subquery(latest.values("narrative")[:1]),
        )
        .order_by("-last_changed_at", "pk")
    )


def mandates_overdue(*, today: dt.date) -> QuerySet[Mandate]:
    return (
        mandates_list()
        .filter(overdue_q(today=today))
        .order_by("due_meeting__start_date", "resolution__symbol", "paragraph__order", "pk")
    )


def dashboard(*, today: dt.date | None = None, limit: int = 50) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries: per resolution in
    force, counts by status and by actor; what changed since the latest Standing
    Committee meeting; overdue mandates. Lists hold at most `limit` rows, with totals."""
    today = today or timezone.localdate()
    resolutions = list(
        Resolution.objects.filter(status=ResolutionStatus.IN_FORCE)
        .select_related("adopted_at")
        .order_by("convention", "symbol")
    )
    actors = {a.pk: a for a in Actor.objects.all()}
    counts = (
        Mandate.objects.filter(resolution__in=resolutions)
        .order_by()
        .values("resolution_id", "actor_id", "status")
        .annotate(n=Count("id"), n_overdue=Count("id", filter=overdue_q(today=today)))
    )
    by_resolution: dict[int, StatusSummary] = defaultdict(StatusSummary)
    by_actor: dict[int, dict[int, StatusSummary]] = defaultdict(lambda: defaultdict(StatusSummary))
    overdue: Counter[int] = Counter()
    for row in counts:
        res, actor, status = row["resolution_id"], row["actor_id"], row["status"]
        for summary in (by_resolution[res], by_actor[res][actor]):
            summary.counts[status] = summary.counts.get(status, 0) + row["n"]
        overdue[res] += row["n_overdue"]
    progress = []
    for resolution in resolutions:
        rows = sorted(
            by_actor[resolution.pk].items(),
            key=lambda item: (actors[item[0]].order, actors[item[0]].name),
        )
        progress.append(
            ResolutionProgress(
                resolution=resolution,
                summary=by_resolution[resolution.pk],
                actors=[ActorProgress(actor=actors[pk], summary=summary) for pk, summary in rows],
                overdue=overdue[resolution.pk],
            )
        )

    meeting = last_standing_committee(today=today)
    changes: list[Mandate] = []
    changes_total = 0
    if meeting is not None:
        since = timezone.make_aware(dt.datetime.combine(meeting.start_date, dt.time.min))
        changed = mandates_changed_since(since=since)
        changes = list(changed[:limit])
        changes_total = changed.count()
    overdue_qs = mandates_overdue(today=today)
    overdue_list = list(overdue_qs[:limit])
    overdue_total = overdue_qs.count()
    return Dashboard(
        today=today,
        resolutions=progress,
        meeting=meeting,
        changes=changes,
        changes_total=changes_total,
        overdue=overdue_list,
        overdue_total=overdue_total,
    )


def paragraphs_list() -> QuerySet[Paragraph]:
    """Every paragraph with its resolution and its mandates (with their actors): two
    queries for any number of paragraphs."""
    return (
        Paragraph.objects.select_related("resolution")
        .prefetch_related(
            Prefetch(
                "mandates",
                queryset=Mandate.objects.select_related("actor").order_by(
                    "position", "actor__order"
                ),
            )
        )
        .order_by("resolution_id", "order")
    )


def status_updates_list() -> QuerySet[StatusUpdate]:
    """Every status update, oldest first, with its author and evidence files: two queries
    for any number of updates."""
    return (
        StatusUpdate.objects.select_related("author")
        .prefetch_related("files")
        .order_by("created_at", "id")
    )


# --- Import -------------------------------------------------------------------------------


def actor_vocabulary() -> dict[str, list[str]]:
    """The actor vocabulary the importer reads with: slug -> every phrase that names the
    actor (its name and aliases). One query."""
    return {
        slug: [name, *(aliases or [])]
        for slug, name, aliases in Actor.objects.order_by("order", "slug").values_list(
            "slug", "name", "aliases"
        )
    }


def paragraph_labels(paragraphs: list[Paragraph]) -> dict[int, str]:
    """Paragraph id -> its label as cited ("3", "3 (a)"), from one list of paragraphs of a
    resolution (no query)."""
    by_id = {p.pk: p for p in paragraphs}
    labels: dict[int, str] = {}

    def label(p: Paragraph) -> str:
        if p.pk not in labels:
            parent = by_id.get(p.parent_id) if p.parent_id else None
            labels[p.pk] = f"{label(parent)} ({p.number})" if parent else (p.number or "")
        return labels[p.pk]

    for p in paragraphs:
        label(p)
    return labels


def resolution_units(*, resolution: Resolution) -> list[revisions.Unit]:
    """A stored resolution's paragraphs as units for a revision diff, keyed by id. One
    query."""
    paragraphs = list(resolution.paragraphs.order_by("order"))
    labels = paragraph_labels(paragraphs)
    units = []
    preamble = 0
    for p in paragraphs:
        if p.part == ParagraphPart.PREAMBLE:
            preamble += 1
            units.append(revisions.Unit("preamble", str(preamble), p.text, p.pk))
        elif p.part == ParagraphPart.OPERATIVE:
            units.append(revisions.Unit("operative", labels[p.pk], p.text, p.pk))
        else:
            units.append(revisions.Unit("annex", p.heading or "Annex", p.text, p.pk))
    return units


def import_records_recent(*, limit: int = 50) -> QuerySet[ImportRecord]:
    return (
        ImportRecord.objects.select_related("created_by", "resolution", "adopted_at")
        .annotate(n_open=Count("phrases", filter=Q(phrases__state=PhraseState.OPEN)))
        .order_by("-created_at", "-id")[:limit]
    )


def unmatched_phrases_open() -> QuerySet[UnmatchedPhrase]:
    """Addressee phrases still to map, of drafts and of imported resolutions."""
    return (
        UnmatchedPhrase.objects.filter(state=PhraseState.OPEN)
        .exclude(import_record__state=ImportState.DISCARDED)
        .select_related("import_record", "resolution", "paragraph")
        .order_by("-import_record__created_at", "id")
    )


def import_record_get(*, pk: int) -> ImportRecord:
    return get_object_or_404(
        ImportRecord.objects.select_related("adopted_at", "supersedes", "resolution", "created_by"),
        pk=pk,
    )


def unmatched_phrase_get(*, pk: int) -> UnmatchedPhrase:
    return get_object_or_404(
        UnmatchedPhrase.objects.select_related("import_record", "resolution", "paragraph", "actor"),
        pk=pk,
    )


@dataclass
class PreviewRow:
    """One operative paragraph or sub-paragraph of a reading, ready to show."""

    position: int
    label: str
    depth: int
    item: dict
    directives: list[dict]


@dataclass
class ImportPreview:
    record: ImportRecord
    rows: list[PreviewRow]
    phrases: list[UnmatchedPhrase]
    differences: list[revisions.Difference] | None
    carried_over: int
    counts: dict[str, int]
    actors: list[Actor]

    @property
    def open_phrases(self) -> list[UnmatchedPhrase]:
        return [p for p in self.phrases if p.state == PhraseState.OPEN]

    @property
    def difference_summary(self) -> dict[str, int]:
        return revisions.summary(self.differences or [])


def import_preview(*, record: ImportRecord) -> ImportPreview:
    """Everything the preview page shows. A fixed number of queries: actors, phrases,
    and, for a revision, the old paragraphs and their mandates with history."""
    actors = {a.slug: a for a in Actor.objects.all()}
    reading = record.reading or {}
    rows: list[PreviewRow] = []
    tracked = 0
    for position, (label, item) in enumerate(iter_operative(reading)):
        directives = []
        for directive in item.get("directives", []):
            shown = dict(directive)
            shown["strength"] = vocabulary.strength_of(directive["verb"])
            shown["actor_rows"] = [actors[s] for s in directive.get("actors", []) if s in actors]
            shown["unknown_actors"] = [s for s in directive.get("actors", []) if s not in actors]
            shown["partner_rows"] = [
                actors[s] for s in directive.get("partners", []) if s in actors
            ]
            shown["report_to_actor"] = actors.get(directive.get("report_to") or "")
            directives.append(shown)
            if vocabulary.is_tracked(directive["verb"]):
                tracked += len(shown["actor_rows"])
        rows.append(PreviewRow(position, label, label.count("("), item, directives))
    phrases = list(record.phrases.select_related("actor").order_by("id"))
    differences = None
    carried = 0
    if record.supersedes_id:
        old_units = resolution_units(resolution=record.supersedes)
        differences = revisions.paragraph_diff(old_units, revisions.reading_units(reading))
        carried = _history_to_carry(record.supersedes, differences, rows)
    counts = {
        "preamble": len(reading.get("preamble", [])),
        "operative": len(reading.get("operative", [])),
        "subparagraphs": len(rows) - len(reading.get("operative", [])),
        "annexes": len(reading.get("annexes", [])),
        "mandates": tracked,
        "warnings": len(reading.get("warnings", [])),
    }
    return ImportPreview(record, rows, phrases, differences, carried, counts, list(actors.values()))


#: Mandates with a history worth carrying over to a revision: status updates, a status
#: other than the default, or Parties' own statuses.
HAS_HISTORY = (
    Q(version__gt=0) | ~Q(status=MandateStatus.NOT_STARTED) | Q(party_statuses__isnull=False)
)


def _history_to_carry(
    old: Resolution, differences: list[revisions.Difference], rows: list[PreviewRow]
) -> int:
    """How many mandates of the old version will keep their status history: same
    paragraph text, verb and actor, and a history. One query, whatever the sizes."""
    unchanged = {
        d.old.key: d.new.label
        for d in differences
        if d.status == revisions.UNCHANGED and d.part == "operative" and d.old and d.new
    }
    wanted = {
        (row.label, d["verb"], slug)
        for row in rows
        for d in row.directives
        if vocabulary.is_tracked(d["verb"])
        for slug in d.get("actors", [])
    }
    with_history = (
        Mandate.objects.filter(HAS_HISTORY, resolution=old)
        .values_list("paragraph_id", "verb", "actor__slug")
        .distinct()
    )
    return sum(
        1
        for pid, verb, slug in with_history
        if pid in unchanged and (unchanged[pid], verb, slug) in wanted
    )


def resolution_changes(*, pk: int) -> tuple[Resolution, list[revisions.Difference]]:
    """A resolution and its difference from the one it superseded. Three queries."""
    resolution = resolution_get(pk=pk)
    if resolution.supersedes is None:
        return resolution, []
    return resolution, revisions.paragraph_diff(
        resolution_units(resolution=resolution.supersedes), resolution_units(resolution=resolution)
    )


# --- Texts in other official languages ----------------------------------------------------


def paragraphs_in_language(queryset: QuerySet[Paragraph], language: str) -> QuerySet[Paragraph]:
    """`queryset` with each paragraph's translation into `language` (if the text can be
    held in it) prefetched as `translation_list`: one more query, whatever the count."""
    if language not in TextLanguage.values:
        return queryset
    return queryset.prefetch_related(
        Prefetch(
            "translations",
            queryset=ParagraphTranslation.objects.filter(language=language),
            to_attr="translation_list",
        )
    )


def localise_paragraphs(paragraphs: Iterable[Paragraph]) -> None:
    """Set `display_text`, `display_heading` and `display_language` on each paragraph:
    its translation when one was prefetched (paragraphs_in_language), else the English."""
    for p in paragraphs:
        found = next(iter(getattr(p, "translation_list", None) or []), None)
        if found is not None and (found.text or found.heading):
            p.display_text, p.display_heading, p.display_language = (
                found.text,
                found.heading,
                found.language,
            )
        else:
            p.display_text, p.display_heading, p.display_language = p.text, p.heading, "en"


def resolution_translations(*, resolution: Resolution) -> QuerySet[ResolutionTranslation]:
    return resolution.translations.select_related("imported_by").order_by("language")


# --- Synergies ----------------------------------------------------------------------------


def visible_links() -> QuerySet[MandateLink]:
    """Links shown anywhere: suggested and confirmed (a removed link is kept only so that
    it is not suggested again). Confirmed first, then by kind and target."""
    return (
        MandateLink.objects.exclude(state=LinkState.REJECTED)
        .select_related("organisation", "gbf_target", "sdg")
        .order_by("kind", "organisation__name", "gbf_target__number", "sdg__number", "pk")
    )


def links_prefetch(prefix: str = "") -> Prefetch:
    """Prefetch of a mandate's visible links (`prefix` for a path to the mandate) as the
    list `visible_links`, which `Mandate.shown_links()` returns. A list attribute rather
    than the `links` manager's cache: Django builds a filtered queryset per instance for
    the latter, a third of a 50-row API page's Python time."""
    return Prefetch(f"{prefix}links", queryset=visible_links(), to_attr="visible_links")


@dataclass
class LinkTargets:
    """What a mandate can be linked to, for choosers: three queries."""

    organisations: list
    gbf_targets: list[GbfTarget]
    sdgs: list[Sdg]


def link_targets() -> LinkTargets:
    from partners.models import Organisation

    return LinkTargets(
        organisations=list(Organisation.objects.order_by("name")),
        gbf_targets=list(GbfTarget.objects.order_by("number")),
        sdgs=list(Sdg.objects.order_by("number")),
    )


def link_target_get(*, value: str) -> dict[str, object] | None:
    """The target named by a chooser's value "organisation:ramsar", "gbf_target:T21" or
    "sdg:17", as keyword arguments for `mandate_link_add`; None when unknown."""
    from partners.models import Organisation

    kind, _, key = (value or "").partition(":")
    if kind == "organisation":
        row = Organisation.objects.filter(slug=key).first()
    elif kind == "gbf_target":
        row = GbfTarget.objects.filter(code=key).first()
    elif kind == "sdg" and key.isdigit():
        row = Sdg.objects.filter(number=int(key)).first()
    else:
        return None
    return {kind: row} if row is not None else None


def mandate_link_get(*, mandate_pk: int, pk: int) -> MandateLink:
    return get_object_or_404(MandateLink, mandate_id=mandate_pk, pk=pk)


@dataclass
class SynergyTarget:
    """A convention or organisation, GBF target or SDG on the synergies page."""

    kind: str
    key: str
    label: str
    title: str
    mandates: int
    confirmed: int


def synergy_targets() -> dict[str, list[SynergyTarget]]:
    """Every link target with how many mandates it is linked to (suggested or confirmed)
    and how many by a confirmed link: three queries."""
    from partners.models import Organisation

    def counted(qs: QuerySet) -> QuerySet:
        shown = ~Q(mandate_links__state=LinkState.REJECTED)
        confirmed = Q(mandate_links__state=LinkState.CONFIRMED)
        return qs.annotate(
            n_mandates=Count("mandate_links__mandate", filter=shown, distinct=True),
            n_confirmed=Count("mandate_links__mandate", filter=confirmed, distinct=True),
        )

    return {
        "organisation": [
            SynergyTarget(
                "organisation", o.slug, o.acronym or o.name, o.name, o.n_mandates, o.n_confirmed
            )
            for o in counted(Organisation.objects.order_by("name"))
        ],
        "gbf_target": [
            SynergyTarget("gbf_target", t.code, t.code, t.title, t.n_mandates, t.n_confirmed)
            for t in counted(GbfTarget.objects.order_by("number"))
        ],
        "sdg": [
            SynergyTarget(
                "sdg", str(g.number), f"SDG {g.number}", g.title, g.n_mandates, g.n_confirmed
            )
            for g in counted(Sdg.objects.order_by("number"))
        ],
    }


def synergy_mandates() -> QuerySet[Mandate]:
    """The mandates of the synergies page and export, with their shown links."""
    return mandates_list().prefetch_related(links_prefetch())


def resolution_symbols() -> dict[tuple[str, str], Resolution]:
    """Resolutions and decisions by (kind, symbol) as cited: "12.3" and, for a symbol
    with a revision mark, its base too ("11.10" finds "11.10 (Rev.COP14)" when no
    "11.10" is stored; the newest revision wins). One query."""
    import re

    symbols: dict[tuple[str, str], Resolution] = {}
    rows = list(
        Resolution.objects.only("pk", "kind", "symbol", "title", "convention").order_by(
            "created_at", "pk"
        )
    )
    for row in rows:
        base = re.sub(r"\s*\(Rev\.[^)]*\)\s*$", "", row.symbol)
        if base != row.symbol:
            symbols[(row.kind, base)] = row
    for row in rows:
        symbols[(row.kind, row.symbol)] = row
    return symbols


@dataclass
class CitationRow:
    resolution: Resolution
    cites: list[tuple[str, Resolution | None]] = field(default_factory=list)
    cited_by: list[Resolution] = field(default_factory=list)


def citation_map() -> list[CitationRow]:
    """Which resolutions cite which: for every stored resolution, the resolutions and
    decisions its paragraphs cite (known ones with their row, others by symbol) and the
    stored ones that cite it. Two queries."""
    from resolutions import references

    symbols = resolution_symbols()
    rows = {
        r.pk: CitationRow(r)
        for r in sorted(set(symbols.values()), key=lambda r: (r.convention, r.symbol))
    }
    texts: dict[int, list[str]] = defaultdict(list)
    for resolution_id, text in Paragraph.objects.values_list("resolution_id", "text").order_by(
        "resolution_id", "order"
    ):
        texts[resolution_id].append(text)
    for resolution_id, row in rows.items():
        seen: set[str] = set()
        for citation in (
            c for t in texts.get(resolution_id, []) for c in references.find_citations(t)
        ):
            if citation.kind == "document":
                continue
            target = symbols.get((citation.kind, citation.symbol))
            label = f"{citation.kind.title()} {citation.symbol}"
            if target is not None and target.pk == resolution_id:
                continue  # a text naming itself
            if label in seen:
                continue
            seen.add(label)
            row.cites.append((label, target))
            if target is not None and row.resolution not in rows[target.pk].cited_by:
                rows[target.pk].cited_by.append(row.resolution)
    return list(rows.values())


def paragraph_get(*, pk: int) -> Paragraph:
    return get_object_or_404(Paragraph.objects.select_related("resolution"), pk=pk)


def export_links(*, state: str | None = None) -> QuerySet[MandateLink]:
    """Shown links (or those in `state`) with everything the export names: one query."""
    links = MandateLink.objects.exclude(state=LinkState.REJECTED)
    if state:
        links = links.filter(state=state)
    return links.select_related(
        "mandate__paragraph__parent",
        "mandate__resolution__adopted_at",
        "mandate__actor",
        "organisation",
        "gbf_target",
        "sdg",
    ).order_by("mandate__resolution_id", "mandate__paragraph__order", "kind", "pk")
