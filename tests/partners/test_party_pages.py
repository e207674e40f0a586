"""The Party pages: list, Party page and its files, the focal point's report form, the
Secretariat's matrix; who may do what on each."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from partners.models import Party, PartyEvidenceFile, PartyImplementation, PartyStatus
from partners.services import party_status_record
from resolutions.models import Mandate
from tests.factories import (
    MandateFactory,
    ParagraphFactory,
    PartyStatusFactory,
    ResolutionFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def report_url(iso2: str, mandate: Mandate) -> str:
    return reverse("partners:party-report", args=[iso2, mandate.pk])


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "party-report-workspace"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded evidence goes to a directory of its own for each test."""
    settings.MEDIA_ROOT = tmp_path


def a_pdf(name: str = "national-report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\nnational report", "application/pdf")


def test_party_list_groups_by_region_and_searches(cms_parties, client):
    response = client.get("/parties/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "123 Parties" in html and "South and Central America and the Caribbean" in html
    assert 'href="/parties/uz/"' in html and "European Union" in html
    response = client.get("/parties/", {"q": "uzbek"})
    assert "1 Party" in response.content.decode()
    assert client.get("/parties/", {"region": "atlantis"}).status_code == 400
    assert 'href="/parties/"' in client.get("/").content.decode()  # in the nav


def test_party_page_lists_what_is_asked_with_the_partys_own_status(
    seed, party_mandates, focal_point_user, other_focal_point_user, client
):
    uz = Party.objects.get(iso2="UZ")
    first, second = party_mandates[0], party_mandates[1]
    party_status_record(
        party=uz,
        mandate=first,
        user=focal_point_user,
        status=PartyImplementation.IN_PROGRESS,
        narrative="National action plan drafted with the wetlands authority.",
    )
    PartyStatusFactory(party=Party.objects.get(iso2="BR"), mandate=second)
    secretariat_only = Mandate.objects.filter(resolution=seed, actor__slug="secretariat").first()

    response = client.get("/parties/uz/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "What CMS resolutions ask of Uzbekistan" in html
    assert seed.title in html
    assert f'id="m{first.pk}"' in html and f'id="m{second.pk}"' in html
    assert f'id="m{secretariat_only.pk}"' not in html
    assert "National action plan drafted with the wetlands authority." in html
    # Brazil's report is Brazil's: Uzbekistan's page shows the mandate as not reported.
    assert html.count('data-status="not_reported"') == len(party_mandates) - 1
    assert "Report<span" not in html  # anonymous: nothing to edit
    assert client.get("/parties/UZ/").status_code == 301
    assert client.get("/parties/zz/").status_code == 404


def test_only_the_partys_own_focal_points_see_report_controls(
    seed, party_mandates, focal_point_user, other_focal_point_user, secretariat_user, reader_user
):
    url = "/parties/uz/"
    assert "Report<span" in client_for(focal_point_user).get(url).content.decode()
    assert "Report<span" in client_for(secretariat_user).get(url).content.decode()
    assert "Report<span" not in client_for(other_focal_point_user).get(url).content.decode()
    assert "Report<span" not in client_for(reader_user).get(url).content.decode()
    assert "Report<span" in client_for(other_focal_point_user).get("/parties/br/").content.decode()


def test_party_page_runs_a_fixed_number_of_queries(
    seed, party_mandates, focal_point_user, django_assert_num_queries
):
    uz = Party.objects.get(iso2="UZ")
    client = client_for(None)
    with django_assert_num_queries(4) as one:
        client.get("/parties/uz/")
    for mandate in party_mandates:
        for status in ("not_started", "in_progress", "implemented"):
            PartyStatusFactory(party=uz, mandate=mandate, status=status, narrative=status)
    extra = ParagraphFactory(resolution=seed, number="99", order=999)
    MandateFactory(paragraph=extra, actor=party_mandates[0].actor, verb="urge")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/parties/uz/")
    html = response.content.decode()
    assert html.count('data-status="implemented"') == len(party_mandates)
    # Each row links to the mandate's history page, with the number of reports.
    history = reverse("partners:party-mandate", args=["uz", party_mandates[0].pk])
    assert f'href="{history}">3 reports, with their evidence' in html


def test_party_page_pages_by_resolution_and_counts_every_mandate(
    seed, party_mandates, focal_point_user, client
):
    from partners.selectors import PARTY_PAGE_RESOLUTIONS

    uz = Party.objects.get(iso2="UZ")
    actor = party_mandates[0].actor
    extra = []
    for n in range(PARTY_PAGE_RESOLUTIONS + 1):  # with the seed: two pages
        resolution = ResolutionFactory(symbol=f"10.{n:02d}", title=f"Extra text {n}")
        paragraph = ParagraphFactory(resolution=resolution, number="1", order=1)
        extra.append(MandateFactory(paragraph=paragraph, actor=actor, verb="urge"))
    PartyStatusFactory(party=uz, mandate=extra[-1], status=PartyImplementation.IMPLEMENTED)
    total = len(party_mandates) + len(extra)

    first = client.get("/parties/uz/").content.decode()
    assert first.count('class="card" aria-labelledby="res-') == PARTY_PAGE_RESOLUTIONS
    assert "Extra text 0" in first and seed.title not in first  # 10.xx sorts before 11.10
    assert f"{total} mandates addressed to Parties" in first
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    # The counts cover every page: the implemented mandate is on page 2.
    assert "<strong>1</strong> implemented" in first
    second = client.get("/parties/uz/", {"page": 2}).content.decode()
    assert seed.title in second and f'id="m{extra[-1].pk}"' in second
    assert f'id="m{extra[0].pk}"' not in second and 'href="?page=1"' in second
    # A page number out of range or not a number gives the last or the first page.
    assert seed.title in client.get("/parties/uz/", {"page": 99}).content.decode()
    assert "Extra text 0" in client.get("/parties/uz/", {"page": "x"}).content.decode()
    # The downloads hold every resolution.
    from docx import Document

    response = client.get("/parties/uz/docx/")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Extra text 0" in text and seed.title in text


def test_party_page_counts_each_mandate_once_by_its_latest_status(
    seed, party_mandates, focal_point_user, client
):
    from partners.selectors import party_latest_statuses
    from tests.factories import PartyFactory

    uz, other = Party.objects.get(iso2="UZ"), PartyFactory(iso2="KE", name="Kenya")
    first, second = party_mandates[0], party_mandates[1]
    for status in ("in_progress", "not_started", "implemented"):  # the last one counts
        PartyStatusFactory(party=uz, mandate=first, status=status)
    PartyStatusFactory(party=uz, mandate=second, status="in_progress")
    for mandate in party_mandates:  # another Party's reports count only on its own page
        PartyStatusFactory(party=other, mandate=mandate, status="not_applicable")

    assert party_latest_statuses(party=uz) == {first.pk: "implemented", second.pk: "in_progress"}
    html = client.get("/parties/uz/").content.decode()
    assert "<strong>1</strong> implemented" in html
    assert "<strong>1</strong> in progress" in html
    assert "<strong>0</strong> not applicable" in html
    assert f"<strong>{len(party_mandates) - 2}</strong> not reported" in html


def test_party_page_downloads_as_pdf_docx_and_xlsx(seed, party_mandates, focal_point_user, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from docx import Document
    from openpyxl import load_workbook

    # Each download reads the Party and its obligations in a fixed number of queries
    # (no column a document shows is left behind for a query per row).
    assert len(party_mandates) > 5
    for fmt in ("pdf", "docx", "xlsx"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/parties/uz/{fmt}/").status_code == 200
        assert len(queries) <= 3, [q["sql"][:120] for q in queries]

    uz = Party.objects.get(iso2="UZ")
    party_status_record(
        party=uz,
        mandate=party_mandates[0],
        user=focal_point_user,
        status=PartyImplementation.IMPLEMENTED,
        narrative="Focal point designated in 2024.",
    )
    pdf = client.get("/parties/uz/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="cms-obligations-uz.pdf"'
    assert pdf.content.startswith(b"%PDF")

    docx = client.get("/parties/uz/docx/")
    assert docx["Content-Disposition"].startswith("attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "What CMS resolutions ask of Uzbekistan" in text
    cells = [
        c.text for t in Document(io.BytesIO(docx.content)).tables for r in t.rows for c in r.cells
    ]
    assert any("Focal point designated in 2024." in c for c in cells)

    xlsx = client.get("/parties/uz/xlsx/")
    assert xlsx["Content-Disposition"] == 'attachment; filename="cms-obligations-uz.xlsx"'
    assert zipfile.is_zipfile(io.BytesIO(xlsx.content))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Resolution" and len(rows) == len(party_mandates) + 1
    assert rows[1][5] == "Implemented" and rows[1][6] == "Focal point designated in 2024."


# --- The report form ----------------------------------------------------------------------


def test_focal_point_reports_and_the_report_shows_on_the_public_page(
    seed, party_mandates, focal_point_user
):
    mandate = party_mandates[0]
    client = client_for(focal_point_user)
    url = report_url("uz", mandate)
    form = client.get(url)
    assert form.status_code == 200
    assert 'name="version" value="0"' in form.content.decode()
    response = client.post(
        url,
        {
            "status": "in_progress",
            "narrative": "Inter-ministerial committee set up.",
            "evidence": "https://example.org/uz-committee",
            "version": "0",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/parties/uz/#m{mandate.pk}"
    status = PartyStatus.objects.get()
    assert (status.party.iso2, status.version, status.author) == ("UZ", 1, focal_point_user)
    assert status.evidence_links == ["https://example.org/uz-committee"]
    assert "Inter-ministerial committee set up." in Client().get("/parties/uz/").content.decode()
    history = client.get(url).content.decode()
    assert "Not reported → In progress" in history and 'name="version" value="1"' in history


def test_stale_form_is_refused_and_shows_the_newer_report(seed, party_mandates, focal_point_user):
    mandate = party_mandates[0]
    uz = Party.objects.get(iso2="UZ")
    party_status_record(
        party=uz, mandate=mandate, user=focal_point_user, status="not_started", narrative="First."
    )
    client = client_for(focal_point_user)
    response = client.post(
        report_url("uz", mandate),
        {"status": "implemented", "narrative": "Mine, typed on an old page.", "version": "0"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not saved: someone else reported on this mandate first" in html
    assert "First." in html and "Mine, typed on an old page." in html
    assert 'name="version" value="1"' in html
    assert PartyStatus.objects.count() == 1


def test_bad_input_is_shown_beside_the_field_and_nothing_is_written(
    seed, party_mandates, focal_point_user
):
    response = client_for(focal_point_user).post(
        report_url("uz", party_mandates[0]),
        {"status": "in_progress", "evidence": "not-a-link", "version": "0"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a web address" in html and "field-error" in html
    response = client_for(focal_point_user).post(
        report_url("uz", party_mandates[0]), {"status": "done", "version": "0"}
    )
    assert response.status_code == 400
    assert PartyStatus.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_report_form_is_refused_to_everyone_but_the_party_and_the_secretariat(
    method,
    seed,
    party_mandates,
    focal_point_user,
    other_focal_point_user,
    reader_user,
    secretariat_user,
):
    mandate = party_mandates[0]
    data = {"status": "implemented", "version": "0"}
    url = report_url("uz", mandate)
    for user in (other_focal_point_user, reader_user):
        assert getattr(client_for(user), method)(url, data).status_code == 403
    anonymous = getattr(Client(), method)(url, data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert PartyStatus.objects.count() == 0
    expected = 200 if method == "get" else 302
    assert getattr(client_for(secretariat_user), method)(url, data).status_code == expected
    # A mandate not addressed to Parties has no report form, for anyone.
    secretariat_mandate = Mandate.objects.filter(resolution=seed, actor__slug="secretariat").first()
    other = report_url("uz", secretariat_mandate)
    assert getattr(client_for(focal_point_user), method)(other, data).status_code == 404
    assert PartyStatus.objects.count() == (1 if method == "post" else 0)


def test_focal_point_attaches_files_that_anyone_can_download(
    seed, party_mandates, focal_point_user
):
    mandate = party_mandates[0]
    client = client_for(focal_point_user)
    response = client.post(
        report_url("uz", mandate),
        {"status": "in_progress", "version": "0", "files": [a_pdf(), a_pdf("annex.pdf")]},
    )
    assert response.status_code == 302
    files = list(PartyEvidenceFile.objects.order_by("id"))
    assert [(f.original_name, f.content_type, f.party_status.version) for f in files] == [
        ("national-report.pdf", "application/pdf", 1),
        ("annex.pdf", "application/pdf", 1),
    ]
    # The public history page of the mandate lists them; the download is an attachment.
    page = Client().get(reverse("partners:party-mandate", args=["uz", mandate.pk]))
    link = reverse("partners:party-evidence", args=[files[0].pk])
    assert page.status_code == 200 and f'href="{link}" download>national-report.pdf' in (
        page.content.decode()
    )
    download = Client().get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="national-report.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.7\nnational report"
    # A report of files alone, with the status unchanged, is still a report.
    again = client.post(
        report_url("uz", mandate), {"status": "in_progress", "version": "1", "files": a_pdf()}
    )
    assert again.status_code == 302 and PartyStatus.objects.count() == 2
    assert Client().get(reverse("partners:party-evidence", args=[999999])).status_code == 404


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_written(
    seed, party_mandates, focal_point_user
):
    fake = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script>", "application/pdf")
    response = client_for(focal_point_user).post(
        report_url("uz", party_mandates[0]),
        {"status": "implemented", "narrative": "Done.", "version": "0", "files": fake},
    )
    assert response.status_code == 400
    assert "report.pdf is not a valid .pdf file." in response.content.decode()
    assert PartyStatus.objects.count() == 0 and PartyEvidenceFile.objects.count() == 0


def test_report_form_saves_in_place_with_htmx(seed, party_mandates, focal_point_user):
    mandate = party_mandates[0]
    client = client_for(focal_point_user)
    page = client.get(report_url("uz", mandate)).content.decode()
    assert 'hx-post="' in page and 'hx-target="#party-report-workspace"' in page
    assert 'enctype="multipart/form-data"' in page

    saved = client.post(
        report_url("uz", mandate),
        {"status": "in_progress", "narrative": "Committee set up.", "version": "0"},
        **HTMX,
    )
    assert saved.status_code == 200
    html = saved.content.decode()
    assert html.lstrip().startswith('<div id="party-report-workspace"')
    assert "Report saved." in html and 'name="version" value="1"' in html
    # The history is swapped out of band, with the new report in it.
    assert 'id="party-history"' in html and 'hx-swap-oob="true"' in html
    assert "Committee set up." in html and "<html" not in html

    stale = client.post(
        report_url("uz", mandate),
        {"status": "implemented", "narrative": "Typed on an old page.", "version": "0"},
        **HTMX,
    )
    assert stale.status_code == 409
    assert "someone else reported on this mandate first" in stale.content.decode()
    bad = client.post(report_url("uz", mandate), {"status": "done", "version": "1"}, **HTMX)
    assert bad.status_code == 400 and "field-error" in bad.content.decode()
    assert PartyStatus.objects.count() == 1

    # An expired session: htmx is told where to sign in instead of swapping a login page.
    anonymous = Client().post(report_url("uz", mandate), {"status": "implemented"}, **HTMX)
    assert anonymous.status_code == 401
    assert anonymous["HX-Redirect"].startswith("/accounts/login/")


def test_party_mandate_page_is_public_and_shows_the_whole_history(
    seed, party_mandates, focal_point_user, django_assert_num_queries
):
    uz = Party.objects.get(iso2="UZ")
    mandate = party_mandates[0]
    url = reverse("partners:party-mandate", args=["uz", mandate.pk])
    empty = Client().get(url)
    assert empty.status_code == 200
    assert "Uzbekistan has not reported on this mandate yet." in empty.content.decode()
    party_status_record(
        party=uz,
        mandate=mandate,
        user=focal_point_user,
        status="in_progress",
        narrative="First step.",
        evidence_files=[a_pdf()],
    )
    with django_assert_num_queries(4) as one:
        Client().get(url)
    for n in range(3):
        party_status_record(
            party=uz,
            mandate=mandate,
            user=focal_point_user,
            status="in_progress",
            narrative=f"Step {n}.",
            evidence_files=[a_pdf(f"step-{n}.pdf")],
        )
    with django_assert_num_queries(len(one.captured_queries)):
        html = Client().get(url).content.decode()
    assert all(f"Step {n}." in html for n in range(3)) and "First step." in html
    assert html.count(" download>") == 4
    assert "Report Uzbekistan" not in html  # the public sees no report button
    signed_in = client_for(focal_point_user).get(url).content.decode()
    assert report_url("uz", mandate) in signed_in
    # A mandate not addressed to Parties has no such page.
    secretariat_mandate = Mandate.objects.filter(resolution=seed, actor__slug="secretariat").first()
    missing = Client().get(reverse("partners:party-mandate", args=["uz", secretariat_mandate.pk]))
    assert missing.status_code == 404


# --- The matrix ---------------------------------------------------------------------------


def test_matrix_is_for_the_secretariat_only(seed, focal_point_user, reader_user, secretariat_user):
    assert client_for(focal_point_user).get("/parties/matrix/").status_code == 403
    assert client_for(reader_user).get("/parties/matrix/").status_code == 403
    anonymous = Client().get("/parties/matrix/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(secretariat_user).get("/parties/matrix/").status_code == 200


def test_matrix_shows_statuses_aggregates_filters_and_exports(
    seed, cms_parties, party_mandates, secretariat_user
):
    from openpyxl import load_workbook

    first = party_mandates[0]
    for iso2, status in (("UZ", "implemented"), ("KE", "implemented"), ("DE", "not_started")):
        PartyStatusFactory(party=Party.objects.get(iso2=iso2), mandate=first, status=status)
    client = client_for(secretariat_user)
    html = client.get("/parties/matrix/").content.decode()
    assert "123 Parties, " in html
    assert "2 of 123 Parties report it implemented; 120 have not reported" in html
    html = client.get("/parties/matrix/", {"region": "asia"}).content.decode()
    assert "1 of 19 Parties report it implemented; 18 have not reported" in html
    html = client.get(
        "/parties/matrix/", {"resolution": seed.pk, "region": "africa"}
    ).content.decode()
    assert f", {len(party_mandates)} mandates" in html
    assert client.get("/parties/matrix/", {"region": "atlantis"}).status_code == 400
    assert client.get("/parties/matrix/", {"resolution": "999999"}).status_code == 400

    export = client.get("/parties/matrix/", {"region": "asia", "export": "xlsx"})
    assert export["Content-Disposition"] == 'attachment; filename="cms-party-matrix.xlsx"'
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    uzbekistan = next(r for r in rows if r[1] == "UZ")
    assert uzbekistan[3] == "Implemented"
    assert len([r for r in rows if r and r[2] == "Asia"]) == 19


def test_matrix_runs_a_fixed_number_of_queries(
    seed, party_mandates, secretariat_user, django_assert_num_queries
):
    from tests.factories import PartyFactory

    client = client_for(secretariat_user)
    client.get("/parties/matrix/")  # warm the session
    PartyFactory(iso2="UZ")
    with django_assert_num_queries(11) as small:
        client.get("/parties/matrix/")
    for iso2, name in (("KE", "Kenya"), ("DE", "Germany"), ("BR", "Brazil"), ("FR", "France")):
        party = PartyFactory(iso2=iso2, iso3=iso2 + "X", name=name)
        for mandate in party_mandates:
            PartyStatusFactory(party=party, mandate=mandate)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/parties/matrix/")
    assert "5 Parties" in response.content.decode()


#: The obligation rows as the Party page's template wrote them before
#: `party_obligation_rows` took them over: the tag must say the same.
ROWS_AS_THE_TEMPLATE_WROTE_THEM = """{% load i18n l10n mandates %}{% localize off %}
{% for m in mandates %}
  <tr id="m{{ m.pk }}" data-mandate="{{ m.pk }}">
    <td class="num"><a href="{{ mandates_url }}{{ m.pk }}/">{{ m.paragraph.label }}</a></td>
    <td><span class="verb {{ m.strength }}">{{ m.verb|verb_label }}</span> {{ m.actor.name }}<div class="excerpt">{{ m.paragraph.text|truncatewords:45 }}</div></td>
    <td class="party-status">
      {% status_badge m.party_status m.party_status_label %}
      {% if m.party_as_of %}<div class="meta">{% blocktranslate trimmed with date=m.party_as_of|date:"j M Y" %}as of {{ date }}{% endblocktranslate %}</div>{% endif %}
      {% if m.party_narrative %}<div class="narrative">{{ m.party_narrative|linebreaksbr }}</div>{% endif %}
      {% if m.party_version %}<a class="no-print" href="{{ party_url }}mandates/{{ m.pk }}/">{% blocktranslate trimmed count n=m.party_version %}{{ n }} report, with its evidence{% plural %}{{ n }} reports, with their evidence{% endblocktranslate %}</a>{% endif %}
      {% if can_report %}<a class="button no-print" href="{{ party_url }}mandates/{{ m.pk }}/report/">{% blocktranslate trimmed with label=m.paragraph.label %}Report<span class="visually-hidden"> on paragraph {{ label }}</span>{% endblocktranslate %}</a>{% endif %}
    </td>
    <td>{% status_badge m.status %}</td>
  </tr>
{% endfor %}{% endlocalize %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_obligation_rows_say_what_the_template_said(
    seed, party_mandates, focal_point_user, language, django_assert_num_queries
):
    import datetime as dt
    import re

    from django.template import Context, Template
    from django.utils import translation

    from partners.selectors import party_page
    from partners.templatetags.parties import party_obligation_rows

    uz = Party.objects.get(iso2="UZ")
    first = party_mandates[0]
    # A mandate on a sub-sub-paragraph, cited "n (a) (i)".
    item = ParagraphFactory(resolution=seed, parent=first.paragraph, number="a", order=900)
    sub = ParagraphFactory(resolution=seed, parent=item, number="i", order=901)
    deep = MandateFactory(paragraph=sub, resolution=seed, actor=first.actor, verb="call_on")
    for version, narrative in enumerate(["Drafted.", "<b>Plan</b> & steps\nSecond line"]):
        party_status_record(
            party=uz,
            mandate=first,
            user=focal_point_user,
            status=PartyImplementation.IN_PROGRESS,
            narrative=narrative,
            as_of=dt.date(2026, 2, 3),
            expected_version=version,
        )
    party_status_record(
        party=uz, mandate=deep, user=focal_point_user, status="implemented", expected_version=0
    )

    def squeezed(html: str) -> str:
        return re.sub(r">\s+<", "><", html).strip()

    with translation.override(language):
        with django_assert_num_queries(1):
            mandates = party_page(party=uz).mandates
        assert deep in mandates and len(mandates) == len(party_mandates) + 1
        for can_report in (True, False):
            context = {
                "mandates": mandates,
                "party_url": "/parties/uz/",
                "mandates_url": "/mandates/",
                "can_report": can_report,
            }
            with django_assert_num_queries(0):  # the parents' numbers come with the rows
                rows = party_obligation_rows(
                    mandates,
                    party_url=context["party_url"],
                    mandates_url=context["mandates_url"],
                    can_report=can_report,
                )
            expected = Template(ROWS_AS_THE_TEMPLATE_WROTE_THEM).render(Context(context))
            assert squeezed(rows) == squeezed(expected)
    # What the comparison covers is there.
    label = f"{first.paragraph.label} (a) (i)"
    assert f">{label}</a>" in rows and "&lt;b&gt;Plan&lt;/b&gt; &amp; steps<br>Second line" in rows
    assert ("2 reports" if language == "en" else "2 rapports") in rows
    assert ("as of 3 Feb 2026" if language == "en" else "au 3 ") in rows
