"""Meeting calendar, meeting pages and progress reports in the browser. Thin: a selector
or a service, a template.

Everyone reads; the Secretariat (permissions.can_manage_meetings / can_compile_report)
creates and edits meetings and compiles reports. Anonymous visitors asking for those are
sent to sign in; signed-in users without the role get 403.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from partners import permissions
from reporting import selectors, services
from reporting.filters import MeetingFilter
from reporting.forms import CompareForm, MeetingForm
from reporting.models import ProgressReport, ReportFormat, ReportSource, ReportState
from reporting.renderers import CONTENT_TYPES

#: Changes listed on a meeting page; the comparison page lists them all.
CHANGES_ON_PAGE = 25


@require_safe
def meeting_list(request: HttpRequest) -> HttpResponse:
    filterset = MeetingFilter(request.GET or None, queryset=selectors.meetings_calendar())
    valid = not filterset.is_bound or filterset.is_valid()
    meetings = list(filterset.qs) if valid else []
    today = timezone.localdate()
    upcoming, past = [], []
    for meeting in meetings:
        last_day = meeting.end_date or meeting.start_date
        (past if last_day is not None and last_day < today else upcoming).append(meeting)
    past.reverse()  # most recent first
    return render(
        request,
        "reporting/meeting_list.html",
        {"filter": filterset, "upcoming": upcoming, "past": past},
        status=200 if valid else 400,
    )


def _changes(old: ProgressReport | None, new: ProgressReport | None) -> dict | None:
    if old is None or new is None:
        return None
    changes = selectors.report_changes(old=old, new=new)
    return {
        "old": old,
        "new": new,
        "rows": list(changes[:CHANGES_ON_PAGE]),
        "count": changes.count(),
    }


@require_safe
def meeting_detail(request: HttpRequest, code: str) -> HttpResponse:
    meeting = selectors.meeting_get(code=code)
    reports = list(selectors.meeting_reports(meeting=meeting))
    done = [r for r in reports if r.state == ReportState.DONE]
    in_flight = next((r for r in reports if r.in_flight), None)
    latest = done[0] if done else None
    return render(
        request,
        "reporting/meeting_detail.html",
        {
            "meeting": meeting,
            "reports": reports,
            "in_flight": in_flight,
            "previous_meeting": selectors.meeting_previous(meeting=meeting),
            "period_start": selectors.meeting_period_start(meeting=meeting),
            "version_changes": _changes(done[1] if len(done) > 1 else None, latest),
            "meeting_changes": _changes(
                selectors.meeting_previous_done_report(meeting=meeting), latest
            ),
            "can_compile": permissions.can_compile_report(request.user),
            "can_edit": permissions.can_manage_meetings(request.user),
            "formats": ReportFormat.choices,
        },
    )


def _meeting_form(request: HttpRequest, *, meeting=None) -> HttpResponse:
    if not permissions.can_manage_meetings(request.user):
        raise PermissionDenied("Only the Secretariat may create or change meetings.")
    # The form validates into its own copy: the page keeps showing the stored meeting.
    form = MeetingForm(request.POST or None, instance=copy.copy(meeting) if meeting else None)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if meeting is None:
                saved = services.meeting_create(user=request.user, **values)
                messages.success(
                    request, gettext("Meeting %(code)s created.") % {"code": saved.code}
                )
            else:
                saved = services.meeting_update(meeting=meeting, user=request.user, **values)
                messages.success(request, gettext("Meeting %(code)s saved.") % {"code": saved.code})
        except ValidationError as exc:
            for field, errors in services.validation_messages(exc).items():
                for error in errors:
                    form.add_error(None if field == "__all__" else field, error)
        else:
            return redirect(saved)
    return render(
        request,
        "reporting/meeting_form.html",
        {"form": form, "meeting": meeting},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    return _meeting_form(request)


@login_required
def meeting_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _meeting_form(request, meeting=selectors.meeting_get(code=code))


@login_required
@require_POST
def report_compile(request: HttpRequest, code: str) -> HttpResponse:
    meeting = selectors.meeting_get(code=code)
    report, created = services.report_request(
        meeting=meeting, user=request.user, source=ReportSource.WEB
    )
    if created:
        messages.success(
            request,
            gettext("Version %(version)s of the progress report was queued.")
            % {"version": report.version},
        )
    else:
        messages.info(
            request,
            gettext("Version %(version)s is already being compiled.") % {"version": report.version},
        )
    return redirect(f"{meeting.get_absolute_url()}#report-status")


@require_safe
def report_status(request: HttpRequest, code: str, version: int) -> HttpResponse:
    """The small fragment the meeting page polls (HTMX) while a report compiles. Once the
    report is done or failed, an HTMX poll reloads the whole page, which then shows the
    downloads and the changes."""
    meeting = selectors.meeting_get(code=code)
    report = selectors.report_get(meeting=meeting, version=version)
    response = render(
        request,
        "reporting/includes/report_status.html",
        {"meeting": meeting, "report": report, "formats": ReportFormat.choices},
    )
    if request.headers.get("HX-Request") and not report.in_flight:
        response["HX-Refresh"] = "true"
    return response


@require_safe
def report_download(request: HttpRequest, code: str, version: int, fmt: str) -> FileResponse:
    """A file of a done report, always as an attachment (never rendered by the browser
    from this origin)."""
    meeting = selectors.meeting_get(code=code)
    report = selectors.report_get(meeting=meeting, version=version)
    name = report.files.get(fmt) if report.state == ReportState.DONE else None
    if not name or not default_storage.exists(name):
        raise Http404("This report has no such file.")
    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"{report.file_stem}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def report_compare(request: HttpRequest) -> HttpResponse:
    form = CompareForm(request.GET or None)
    context: dict = {"form": form}
    if form.is_valid():
        old, new = form.cleaned_data["old"], form.cleaned_data["new"]
        context.update(
            old=old,
            new=new,
            changes=selectors.report_changes(old=old, new=new).iterator(),
            removals=selectors.report_removals(old=old, new=new).iterator(),
        )
    return render(
        request,
        "reporting/report_compare.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )
