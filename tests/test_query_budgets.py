"""Query budgets: every page and API endpoint runs the same number of queries with one row
as with many (more resolutions, paragraphs, mandates, history, Party statuses, meetings and
reports), so that its cost does not grow with the data. The numbers are measured on the
small data and pinned against the large; a list that loads a related row per item fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting import services as reporting_services
from resolutions.models import Actor, Mandate
from resolutions.services import mandate_status_update
from tests.factories import (
    MandateFactory,
    MeetingFactory,
    ParagraphFactory,
    PartyStatusFactory,
    ResolutionFactory,
)

pytestmark = pytest.mark.django_db


class World:
    """A resolution, its mandates with history, Party statuses, meetings and reports;
    `grow` adds `n` of each around the same first rows."""

    def __init__(self, user) -> None:
        self.user = user
        earlier = ResolutionFactory(title="Flyway cooperation, first adopted")
        ParagraphFactory(resolution=earlier, text="Requests the Secretariat to cooperate;")
        self.resolution = ResolutionFactory(title="Flyway cooperation", supersedes=earlier)
        self.secretariat = Actor.objects.get_or_create(
            slug="secretariat", defaults={"name": "Secretariat", "kind": "body"}
        )[0]
        self.parties = Actor.objects.get_or_create(
            slug="parties", defaults={"name": "Parties", "kind": "government"}
        )[0]
        self.meeting = MeetingFactory(code="COP90", number=90)
        self.mandate = self._mandate()
        self.report, _ = reporting_services.report_request(
            meeting=self.meeting, user=None, queue=False
        )

    def _mandate(self) -> Mandate:
        mandate = MandateFactory(
            paragraph=ParagraphFactory(
                resolution=self.resolution, text="Requests the Secretariat to cooperate;"
            ),
            actor=self.secretariat,
            due_meeting=self.meeting,
        )
        self._update(mandate)
        party_mandate = MandateFactory(paragraph=mandate.paragraph, actor=self.parties, verb="urge")
        PartyStatusFactory(mandate=party_mandate, narrative="Cooperation on flyways.")
        return mandate

    def _update(self, mandate: Mandate) -> None:
        mandate.refresh_from_db()
        mandate_status_update(
            mandate=mandate,
            user=self.user,
            status="in_progress" if mandate.version % 2 == 0 else "delayed",
            progress=None,
            narrative=f"Cooperation workshop {mandate.version}.",
            evidence_links=["https://www.cms.int/"],
            expected_version=mandate.version,
        )

    def grow(self, n: int) -> None:
        for i in range(n):
            self._mandate()
            self._update(self.mandate)
            other = ResolutionFactory()
            MandateFactory(paragraph=ParagraphFactory(resolution=other), actor=self.secretariat)
            meeting = MeetingFactory(code=f"COP{91 + i}", number=91 + i)
            reporting_services.report_request(meeting=meeting, user=None, queue=False)
        self.mandate.refresh_from_db()


@pytest.fixture
def world(secretariat_user) -> World:
    return World(secretariat_user)


PAGES: dict[str, Callable[[World], str]] = {
    "home": lambda w: "/",
    "resolution": lambda w: f"/resolutions/{w.resolution.pk}/",
    "resolution changes": lambda w: f"/resolutions/{w.resolution.pk}/changes/",
    "actors": lambda w: "/actors/",
    "actor": lambda w: "/actors/secretariat/",
    "mandate": lambda w: f"/mandates/{w.mandate.pk}/",
    "mandate list": lambda w: "/mandates/",
    "mandate list searched": lambda w: "/mandates/?q=cooperation",
    "dashboard": lambda w: "/dashboard/",
    "imports": lambda w: "/imports/",
    "meetings": lambda w: "/meetings/",
    "meeting": lambda w: f"/meetings/{w.meeting.code}/",
    "meeting edit": lambda w: f"/meetings/{w.meeting.code}/edit/",
    "report status": lambda w: f"/meetings/{w.meeting.code}/reports/{w.report.version}/status/",
    "reports compare": lambda w: "/reports/compare/",
}
API: dict[str, Callable[[World], str]] = {
    "resolutions": lambda w: "/api/v1/resolutions/",
    "resolution": lambda w: f"/api/v1/resolutions/{w.resolution.pk}/",
    "paragraphs": lambda w: "/api/v1/paragraphs/",
    "paragraph": lambda w: f"/api/v1/paragraphs/{w.mandate.paragraph_id}/",
    "actors": lambda w: "/api/v1/actors/",
    "actor": lambda w: "/api/v1/actors/secretariat/",
    "mandates": lambda w: "/api/v1/mandates/",
    "mandates searched": lambda w: "/api/v1/mandates/?q=cooperation",
    "mandates of the Parties": lambda w: "/api/v1/mandates/?actor=parties",
    "mandate": lambda w: f"/api/v1/mandates/{w.mandate.pk}/",
    "status updates": lambda w: "/api/v1/status-updates/",
    "status updates of a mandate": lambda w: f"/api/v1/status-updates/?mandate={w.mandate.pk}",
    "status update": lambda w: f"/api/v1/status-updates/{w.mandate.updates.first().pk}/",
    "meetings": lambda w: "/api/v1/meetings/",
    "meeting": lambda w: f"/api/v1/meetings/{w.meeting.code}/",
    "reports": lambda w: "/api/v1/reports/",
    "report": lambda w: f"/api/v1/reports/{w.report.pk}/",
    "problem": lambda w: "/api/v1/problems/stale-version/",
}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_budget(secretariat_client, world, django_assert_num_queries, name):
    url = PAGES[name]
    budget = _count(secretariat_client, url(world))
    world.grow(12)
    target = url(world)
    with django_assert_num_queries(budget):
        assert secretariat_client.get(target).status_code == 200


@pytest.mark.parametrize("name", list(API))
@pytest.mark.parametrize("who", ["anonymous", "secretariat"])
def test_api_budget(client, secretariat_user, world, django_assert_num_queries, name, who):
    if who == "secretariat":
        client.force_login(secretariat_user)
    url = API[name]
    budget = _count(client, url(world))
    world.grow(12)
    target = url(world)
    with django_assert_num_queries(budget):
        assert client.get(target).status_code == 200


def test_status_update_write_budget(client, secretariat_user, world):
    """The write costs the same on a mandate with one update and with a long history."""
    from tests.api_helpers import token_headers

    headers = token_headers(secretariat_user)

    def write(n: int) -> int:
        mandate = world.mandate
        url = f"/api/v1/mandates/{mandate.pk}/"
        etag = client.get(url, **headers)["ETag"]
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"{url}status-updates/",
                {"status": "ongoing" if n % 2 else "in_progress", "narrative": f"Step {n}."},
                content_type="application/json",
                HTTP_IF_MATCH=etag,
                **headers,
            )
        assert response.status_code == 201, response.content
        world.mandate.refresh_from_db()
        return len(queries.captured_queries)

    budget = write(1)
    world.grow(12)
    assert world.mandate.version > 12
    assert write(2) == budget
