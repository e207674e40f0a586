"""/dashboard/: progress per resolution as SVG charts, changes since the last Standing
Committee meeting, overdue mandates."""

from __future__ import annotations

import datetime as dt
import re

import pgtrigger
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reporting.models import Body, Meeting
from resolutions import selectors
from resolutions.models import Mandate, StatusUpdate
from resolutions.services import mandate_status_update
from tests.factories import MandateFactory, MeetingFactory, ParagraphFactory, ResolutionFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def update(mandate, user, status, **kwargs):
    mandate = Mandate.objects.get(pk=mandate.pk)
    return mandate_status_update(
        mandate=mandate, user=user, status=status, expected_version=mandate.version, **kwargs
    )


def chart(html: str, kind: str, pk: int) -> str:
    match = re.search(
        rf'<svg class="chart-svg"[^>]*aria-labelledby="chart-{kind}-{pk}-title".*?</svg>',
        html,
        re.S,
    )
    assert match, f"no {kind} chart for resolution {pk}"
    return match[0]


def test_counts_by_status_and_actor_as_accessible_svg_charts(client, seed, secretariat_user):
    update(
        Mandate.objects.get(resolution=seed, paragraph__number="27"), secretariat_user, "ongoing"
    )
    for mandate in Mandate.objects.filter(resolution=seed, actor__slug="blg")[:2]:
        update(mandate, secretariat_user, "completed")
    response = client.get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200

    by_status = chart(html, "status", seed.pk)
    assert 'role="img"' in by_status
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", by_status)[1]
    assert desc.startswith("Not started: 45; In progress: 0; Ongoing: 1; Delayed: 0; Completed: 2;")
    # One bar per status, scaled to the largest count (45 -> 100%).
    assert 'class="seg-not_started" x="0.00%" y="22" width="100.00%"' in by_status
    assert re.search(r'class="seg-completed" x="0.00%" y="\d+" width="4.44%"', by_status)

    by_actor = chart(html, "actor", seed.pk)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", by_actor)[1]
    assert "Biodiversity Liaison Group: 4 (Not started 2, Completed 2)" in desc
    assert "Secretariat: 20 (" in desc
    # The same numbers as a table for those who prefer one.
    assert "<summary>Mandates by actor and status as a table</summary>" in html
    assert re.search(
        r'<th scope="row">Biodiversity Liaison Group</th>(<td class="num">\d*</td>)+', html
    )
    # Nothing is fetched from elsewhere: the charts are in the page.
    assert "cdn" not in html.lower()


def test_changes_since_the_last_standing_committee_meeting(client, seed, secretariat_user):
    stc53 = Meeting.objects.get(code="StC53")
    assert stc53.start_date == dt.date(2022, 10, 19)
    # A later StC with no date, and one in the future, do not count.
    MeetingFactory(code="StC54", body=Body.STC, number=54)
    MeetingFactory(
        code="StC99",
        body=Body.STC,
        number=99,
        start_date=timezone.localdate() + dt.timedelta(days=30),
    )
    before, after = Mandate.objects.filter(resolution=seed, actor__slug="parties")[:2]
    old = update(before, secretariat_user, "in_progress", narrative="Before StC53")
    # Backdating history is what the append-only trigger refuses: set up explicitly.
    with pgtrigger.ignore("resolutions.StatusUpdate:statusupdate_append_only"):
        StatusUpdate.objects.filter(pk=old.pk).update(
            created_at=timezone.make_aware(dt.datetime(2022, 10, 1, 12))
        )
    update(after, secretariat_user, "in_progress", narrative="Workshop held")
    update(after, secretariat_user, "delayed", narrative="Funding postponed to 2027.")

    board = selectors.dashboard()
    assert board.meeting == stc53
    assert [m.pk for m in board.changes] == [after.pk]
    change = board.changes[0]
    assert (change.status_before, change.status, change.n_updates) == (
        "not_started",
        "delayed",
        2,
    )
    assert (change.last_author, change.last_narrative) == (
        secretariat_user.username,
        "Funding postponed to 2027.",
    )
    html = client.get(DASHBOARD).content.decode()
    section = html.split('id="changes-heading"')[1].split("</section>")[0]
    assert "Changed since StC53" in section
    assert "opened on 19 October 2022 in Bonn, Germany: 1 mandate changed" in section
    assert "Funding postponed to 2027." in section
    assert "Before StC53" not in section


def test_no_standing_committee_meeting_yet(client, db):
    MandateFactory()
    assert selectors.dashboard().meeting is None
    html = client.get(DASHBOARD).content.decode()
    assert "No Standing Committee meeting with a known date has taken place yet." in html


def test_overdue_mandates(client, seed, secretariat_user):
    cop14 = Meeting.objects.get(code="COP14")
    future = MeetingFactory(
        code="COP99", number=99, start_date=timezone.localdate() + dt.timedelta(days=400)
    )
    late, closed, na, later = Mandate.objects.filter(resolution=seed, actor__slug="secretariat")[:4]
    Mandate.objects.filter(pk__in=[late.pk, closed.pk, na.pk]).update(due_meeting=cop14)
    Mandate.objects.filter(pk=later.pk).update(due_meeting=future)
    update(closed, secretariat_user, "completed")
    update(na, secretariat_user, "not_applicable")
    update(late, secretariat_user, "in_progress", progress=30)

    board = selectors.dashboard()
    assert [m.pk for m in board.overdue] == [late.pk]
    assert board.overdue_total == 1
    assert board.resolutions[0].overdue == 1
    html = client.get(DASHBOARD).content.decode()
    section = html.split('id="overdue-heading"')[1].split("</section>")[0]
    assert f'href="{late.get_absolute_url()}"' in section
    assert "COP14" in section and "30%" in section
    assert f'href="{closed.get_absolute_url()}"' not in section


def test_only_resolutions_in_force_are_charted(client, seed):
    repealed = ResolutionFactory(title="Old text", status="repealed")
    MandateFactory(paragraph=ParagraphFactory(resolution=repealed))
    html = client.get(DASHBOARD).content.decode()
    assert "Synergies and Partnerships" in html
    assert "Old text" not in html


def _grow(n: int, user) -> None:
    resolution = ResolutionFactory()
    due = Meeting.objects.get(code="COP14")
    for _ in range(n):
        mandate = MandateFactory(paragraph=ParagraphFactory(resolution=resolution), due_meeting=due)
        update(mandate, user, "in_progress", narrative="Under way")


def test_fixed_number_of_queries(client, seed, secretariat_user, django_assert_num_queries):
    _grow(1, secretariat_user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(DASHBOARD).status_code == 200
    _grow(30, secretariat_user)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(DASHBOARD).content.decode()
    assert "31 mandates changed" in html
