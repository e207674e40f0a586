"""Least privilege, as a matrix: every role x every write path (page forms, the API,
the admin), and for Party-scoped paths own Party x other Party.

Each row of WRITE_PATHS is one write path: how to call it, what it writes (a row count
that must not move when the call is refused) and which roles may use it. Every role not
named is refused: anonymous visitors are sent to sign in (pages) or answered 401 (API);
signed-in users without the right get 403. A new write path is one more row; a write path
scoped to a Party (a focal point's own report) names `party="UZ"` or `party="BR"`, and the
roles `focal_uz` / `focal_br` then say which of the two may use it.

`test_every_write_path_is_in_the_matrix` fails when a URL that accepts POST, PUT, PATCH or
DELETE is added without a row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from notifications.models import Follow
from partners.models import Organisation, Party, PartyStatus, Region
from partners.services import party_from_iso
from reporting.models import Meeting, ProgressReport
from resolutions.models import (
    ImportRecord,
    Mandate,
    MandateLink,
    ParagraphTranslation,
    Sdg,
    StatusUpdate,
)
from tests.api_helpers import token_headers
from tests.factories import ActorFactory, MandateFactory, MeetingFactory, UserFactory, focal_point
from tests.factories import secretariat_user as make_secretariat

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reader", "focal_uz", "focal_br", "secretariat", "admin")
SECRETARIAT = frozenset({"secretariat", "admin"})


@dataclass
class World:
    """What the write paths act on, made fresh for each test."""

    secretariat_mandate: Mandate
    party_mandate: Mandate
    meeting: Meeting
    draft: ImportRecord
    link: MandateLink
    parties: dict[str, Party] = field(default_factory=dict)


@dataclass(frozen=True)
class WritePath:
    name: str
    method: str
    path: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    api: bool = False
    headers: Callable[[World], dict[str, str]] = lambda w: {}
    #: A number that grows when the write happens (must stay put when it is refused).
    written: Callable[[World], Any] = lambda w: None
    allowed: frozenset[str] = SECRETARIAT
    #: For Party-scoped paths: the Party whose data is written ("UZ" or "BR").
    party: str | None = None
    #: How signed-in users without the right are refused: "forbidden" (403), or "login"
    #: where the site asks for another account (the admin sends non-staff to its sign-in).
    refusal: str = "forbidden"

    def __str__(self) -> str:
        return self.name


def _status_count(w: World) -> int:
    return StatusUpdate.objects.count()


def _meetings(w: World) -> list:
    return list(Meeting.objects.order_by("pk").values_list("code", "venue"))


def _reports(w: World) -> int:
    return ProgressReport.objects.count()


def _party_statuses(w: World) -> int:
    return PartyStatus.objects.count()


def _translations(w: World) -> int:
    return ParagraphTranslation.objects.count()


def _party_report(iso2: str) -> WritePath:
    return WritePath(
        f"page: focal-point report for {iso2}",
        "post",
        lambda w: f"/parties/{iso2.lower()}/mandates/{w.party_mandate.pk}/report/",
        lambda w: {"status": "in_progress", "version": 0, "narrative": "Matrix report."},
        written=_party_statuses,
        allowed=SECRETARIAT | {f"focal_{iso2.lower()}"},
        party=iso2,
    )


def _party_api(iso2: str) -> WritePath:
    return WritePath(
        f"api: Party status for {iso2}",
        "post",
        lambda w: f"/api/v1/parties/{iso2}/statuses/",
        lambda w: {"mandate": w.party_mandate.pk, "status": "implemented", "version": 0},
        api=True,
        written=_party_statuses,
        allowed=SECRETARIAT | {f"focal_{iso2.lower()}"},
        party=iso2,
    )


def _links(w: World) -> list:
    return list(MandateLink.objects.order_by("pk").values_list("pk", "state"))


def _follows(w: World) -> int:
    return Follow.objects.count()


SIGNED_IN = frozenset({"reader", "focal_uz", "focal_br", "secretariat", "admin"})


def _imports(w: World) -> list:
    return list(ImportRecord.objects.order_by("pk").values_list("pk", "state", "symbol"))


MEETING_FORM = {"body": "stc", "number": "77", "code": "StC77", "venue": "Bonn"}
MEETING_JSON = {"code": "StC78", "body": "stc", "number": 78, "venue": "Bonn"}

WRITE_PATHS: tuple[WritePath, ...] = (
    # --- Pages (forms) ---------------------------------------------------------------
    WritePath(
        "page: Secretariat status update of a Secretariat mandate",
        "post",
        lambda w: f"/mandates/{w.secretariat_mandate.pk}/update/",
        lambda w: {"status": "delayed", "version": 0, "narrative": "Matrix."},
        written=_status_count,
    ),
    WritePath(
        # A focal point may never write a Secretariat status update, not even on a mandate
        # addressed to Parties.
        "page: Secretariat status update of a mandate addressed to Parties",
        "post",
        lambda w: f"/mandates/{w.party_mandate.pk}/update/",
        lambda w: {"status": "in_progress", "version": 0},
        written=_status_count,
    ),
    WritePath(
        "page: bulk status update",
        "post",
        lambda w: "/mandates/bulk-update/",
        lambda w: {
            "mandates": [f"{w.secretariat_mandate.pk}:0", f"{w.party_mandate.pk}:0"],
            "status": "ongoing",
            "narrative": "Matrix bulk.",
            "query": "",
        },
        written=_status_count,
    ),
    WritePath(
        "page: new import (pasted text)",
        "post",
        lambda w: "/imports/new/",
        lambda w: {"text": "Resolution 99.1\nTEST\nThe Conference\n1. Requests the Secretariat."},
        written=_imports,
    ),
    WritePath(
        "page: import details",
        "post",
        lambda w: f"/imports/{w.draft.pk}/",
        lambda w: {"symbol": "99.9", "title": "Matrix"},
        written=_imports,
    ),
    WritePath(
        "page: import paragraph correction",
        "post",
        lambda w: f"/imports/{w.draft.pk}/paragraphs/0/",
        lambda w: {"verb": "request", "actors": ["secretariat"]},
        written=_imports,
    ),
    WritePath(
        "page: import confirm",
        "post",
        lambda w: f"/imports/{w.draft.pk}/confirm/",
        written=_imports,
    ),
    WritePath(
        "page: import discard",
        "post",
        lambda w: f"/imports/{w.draft.pk}/discard/",
        written=_imports,
    ),
    WritePath(
        "page: unmatched phrase mapping",
        "post",
        lambda w: "/imports/phrases/999999/",
        lambda w: {"action": "dismiss"},
        written=_imports,
    ),
    WritePath(
        "page: French or Spanish text of a resolution",
        "post",
        lambda w: f"/resolutions/{w.secretariat_mandate.resolution_id}/translations/new/",
        lambda w: {"language": "fr", "text": "TITRE\n\n1. Prie le Secrétariat."},
        written=_translations,
    ),
    _party_report("UZ"),
    _party_report("BR"),
    WritePath(
        "page: link a mandate to an SDG",
        "post",
        lambda w: f"/mandates/{w.secretariat_mandate.pk}/links/",
        lambda w: {"target": "sdg:17"},
        written=_links,
    ),
    WritePath(
        "page: confirm or remove a suggested link",
        "post",
        lambda w: f"/mandates/{w.secretariat_mandate.pk}/links/{w.link.pk}/",
        lambda w: {"action": "confirm"},
        written=_links,
    ),
    # A user's own notifications and follows: every signed-in user, for themselves.
    WritePath(
        "page: follow a mandate",
        "post",
        lambda w: f"/follow/mandate/{w.secretariat_mandate.pk}/",
        lambda w: {"follow": "1"},
        written=_follows,
        allowed=SIGNED_IN,
    ),
    WritePath(
        "page: mark notifications read",
        "post",
        lambda w: "/notifications/read/",
        lambda w: {"all": "1"},
        allowed=SIGNED_IN,
    ),
    WritePath(
        "page: notification delivery",
        "post",
        lambda w: "/notifications/preference/",
        lambda w: {"delivery": "digest"},
        allowed=SIGNED_IN,
    ),
    WritePath(
        "page: new meeting",
        "post",
        lambda w: "/meetings/new/",
        lambda w: MEETING_FORM,
        written=_meetings,
    ),
    WritePath(
        "page: edit meeting",
        "post",
        lambda w: f"/meetings/{w.meeting.code}/edit/",
        lambda w: {"body": "cop", "number": w.meeting.number, "code": w.meeting.code, "venue": "X"},
        written=_meetings,
    ),
    WritePath(
        "page: compile progress report",
        "post",
        lambda w: f"/meetings/{w.meeting.code}/reports/",
        written=_reports,
    ),
    # --- REST API --------------------------------------------------------------------
    WritePath(
        "api: status update",
        "post",
        lambda w: f"/api/v1/mandates/{w.secretariat_mandate.pk}/status-updates/",
        lambda w: {"status": "in_progress", "narrative": "Matrix API."},
        api=True,
        headers=lambda w: {"HTTP_IF_MATCH": f'"mandate-{w.secretariat_mandate.pk}-v0"'},
        written=_status_count,
    ),
    WritePath(
        "api: status update of a mandate addressed to Parties",
        "post",
        lambda w: f"/api/v1/mandates/{w.party_mandate.pk}/status-updates/",
        lambda w: {"status": "in_progress"},
        api=True,
        headers=lambda w: {"HTTP_IF_MATCH": f'"mandate-{w.party_mandate.pk}-v0"'},
        written=_status_count,
    ),
    WritePath(
        "api: create meeting",
        "post",
        lambda w: "/api/v1/meetings/",
        lambda w: MEETING_JSON,
        api=True,
        written=_meetings,
    ),
    WritePath(
        "api: change meeting",
        "patch",
        lambda w: f"/api/v1/meetings/{w.meeting.code}/",
        lambda w: {"venue": "Bonn"},
        api=True,
        written=_meetings,
    ),
    WritePath(
        "api: compile progress report",
        "post",
        lambda w: "/api/v1/reports/",
        lambda w: {"meeting": w.meeting.code},
        api=True,
        written=_reports,
    ),
    _party_api("UZ"),
    _party_api("BR"),
    # --- Admin -----------------------------------------------------------------------
    WritePath(
        "admin: add meeting",
        "post",
        lambda w: "/admin/reporting/meeting/add/",
        lambda w: {"body": "stc", "number": "79", "code": "StC79"},
        written=_meetings,
        # The Secretariat's staff accounts hold the admin rights to meetings.
        refusal="login",
    ),
)

#: URL patterns (by route) that accept writes, and the rows that cover them. Paths under
#: accounts/ (sign-in, sign-out, own password) are each user's own and open to all.
COVERED_ROUTES = {
    "mandates/<int:pk>/update/",
    "mandates/bulk-update/",
    "imports/new/",
    "imports/<int:pk>/",
    "imports/<int:pk>/paragraphs/<int:position>/",
    "imports/<int:pk>/confirm/",
    "imports/<int:pk>/discard/",
    "imports/phrases/<int:pk>/",
    "meetings/new/",
    "meetings/<str:code>/edit/",
    "meetings/<str:code>/reports/",
    "api/v1/mandates/<pk>/status-updates/",
    "api/v1/meetings/",
    "api/v1/meetings/<code>/",
    "api/v1/reports/",
    "resolutions/<int:pk>/translations/new/",
    "parties/<iso2>/mandates/<mandate_id>/report/",
    "api/v1/parties/<iso2>/statuses/",
    "mandates/<int:pk>/links/",
    "mandates/<int:pk>/links/<int:link_pk>/",
    "follow/<str:kind>/<int:pk>/",
    "notifications/read/",
    "notifications/preference/",
}


@pytest.fixture
def world(db) -> World:
    parties_actor = ActorFactory(slug="parties", name="Parties")
    for iso2, region in (("UZ", Region.ASIA), ("BR", Region.SOUTH_CENTRAL_AMERICA_CARIBBEAN)):
        party_from_iso(iso2, region=region)
    secretariat_mandate = MandateFactory()
    Sdg.objects.create(number=17, title="Partnerships for the goals")
    cbd = Organisation.objects.create(slug="cbd", name="Convention on Biological Diversity")
    return World(
        link=MandateLink.objects.create(
            mandate=secretariat_mandate, kind="organisation", organisation=cbd
        ),
        secretariat_mandate=secretariat_mandate,
        party_mandate=MandateFactory(actor=parties_actor, addressee_phrase="Parties"),
        meeting=MeetingFactory(code="COP88", number=88),
        draft=ImportRecord.objects.create(source_text="Resolution 99.9", symbol="99.9"),
    )


def _user(role: str, admin):
    if role == "anonymous":
        return None
    if role == "reader":
        return UserFactory(username="reader")
    if role == "focal_uz":
        return focal_point(username="focal.uz", iso2="UZ")
    if role == "focal_br":
        return focal_point(username="focal.br", iso2="BR")
    if role == "secretariat":
        return make_secretariat()
    return admin


def _expected(case: WritePath, role: str) -> bool:
    return role in case.allowed


def _call(client, case: WritePath, world: World, user) -> Any:
    kwargs: dict[str, Any] = dict(case.headers(world))
    if case.api:
        if user is not None:
            kwargs.update(token_headers(user))
        return getattr(client, case.method)(
            case.path(world), case.data(world), content_type="application/json", **kwargs
        )
    if user is not None:
        client.force_login(user)
    return getattr(client, case.method)(case.path(world), case.data(world), **kwargs)


def _refused_as(response, *, case: WritePath, role: str) -> str | None:
    """How the call was refused ("login", "forbidden"), or None when it went through."""
    if response.status_code == 401:
        return "login"
    if response.status_code == 302 and "login/" in response["Location"]:
        return "login"
    if response.status_code == 403:
        return "forbidden"
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", WRITE_PATHS, ids=str)
def test_role_matrix(client, world, admin, case: WritePath, role: str):
    user = _user(role, admin)
    before = case.written(world)
    response = _call(client, case, world, user)
    refused = _refused_as(response, case=case, role=role)
    if _expected(case, role):
        assert refused is None, (role, case.name, response.status_code)
        assert response.status_code < 500
    else:
        # Anonymous visitors are asked to sign in; everyone else is told no.
        assert refused == ("login" if role == "anonymous" else case.refusal), (
            role,
            case.name,
            response.status_code,
        )
        assert case.written(world) == before, f"{case.name}: {role} wrote despite the refusal"


#: Rows whose permitted call must really write (valid data is given above).
WRITES_CHECKED = {
    "page: Secretariat status update of a Secretariat mandate",
    "page: bulk status update",
    "page: new import (pasted text)",
    "page: new meeting",
    "page: edit meeting",
    "page: compile progress report",
    "api: status update",
    "api: create meeting",
    "api: change meeting",
    "api: compile progress report",
    "admin: add meeting",
    "page: focal-point report for UZ",
    "api: Party status for BR",
    "page: link a mandate to an SDG",
    "page: confirm or remove a suggested link",
    "page: follow a mandate",
}


@pytest.mark.parametrize("case", [c for c in WRITE_PATHS if c.name in WRITES_CHECKED], ids=str)
def test_allowed_roles_really_write(client, world, admin, case: WritePath):
    """The matrix above could pass if a permitted call silently did nothing."""
    role = sorted(case.allowed)[-1]
    user = _user(role, admin)
    before = case.written(world)
    response = _call(client, case, world, user)
    assert response.status_code < 400, (case.name, response.status_code, response.content[:300])
    assert case.written(world) != before, case.name


def _write_routes() -> set[str]:
    """Routes of every URL pattern outside accounts/ and admin/ whose view can write."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("accounts/", "admin/")):
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                # DRF routes are regular expressions: name their groups like path routes.
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
                if "<format>" not in route:
                    found.add(route.replace("^", "").replace("$", ""))

    walk(get_resolver().url_patterns, "")
    return found


READ_ONLY_ROUTES = {
    "",
    "healthz",
    "audit/",
    "resolutions/<int:pk>/",
    "resolutions/<int:pk>/changes/",
    "actors/",
    "actors/<slug:slug>/",
    "mandates/",
    "mandates/<int:pk>/",
    "evidence/<int:pk>/download/",
    "dashboard/",
    "imports/",
    "meetings/",
    "meetings/<str:code>/",
    "meetings/<str:code>/reports/<int:version>/status/",
    "meetings/<str:code>/reports/<int:version>/<str:fmt>/",
    "reports/compare/",
    "parties/",
    "parties/matrix/",
    "parties/<iso2>/",
    "parties/<iso2>/<fmt>/",
    "parties/<iso2>/mandates/<mandate_id>/",
    "parties/evidence/<int:pk>/",
    # The interface language: a cookie of the visitor's own, like signing in.
    "i18n/setlang/",
    "notifications/",
    "synergies/",
    "synergies/export.json",
    "paragraphs/<int:pk>/",
}


def test_every_write_path_is_in_the_matrix():
    """Every page route is either known read-only or covered by a row; every API route
    that allows a write method is covered."""
    from django.urls import resolve

    routes = _write_routes()
    pages = {r for r in routes if not r.startswith("api/")}
    unknown = pages - READ_ONLY_ROUTES - COVERED_ROUTES
    assert not unknown, f"new page routes: add a WritePath row or mark them read-only: {unknown}"

    writable_api = set()
    for route in routes:
        if not route.startswith("api/v1/") or "schema" in route or "docs" in route:
            continue
        sample = route.replace("<pk>", "1").replace("<code>", "COP1")
        if "<" in sample:
            continue
        match = resolve("/" + sample)
        actions = getattr(match.func, "actions", {}) or {}
        if set(actions) & {"post", "put", "patch", "delete"}:
            writable_api.add(route)
    assert writable_api <= COVERED_ROUTES, writable_api - COVERED_ROUTES
    assert {"api/v1/mandates/<pk>/status-updates/", "api/v1/meetings/"} <= writable_api
