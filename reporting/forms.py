"""Forms of the meeting pages. They validate; the services write."""

from __future__ import annotations

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reporting import selectors
from reporting.models import Meeting, ProgressReport
from reporting.services import MEETING_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = MEETING_FIELDS
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "document_deadline": DateInput(),
        }
        labels = {
            "body": _("Body"),
            "number": _("Number"),
            "code": _("Code"),
            "start_date": _("Start date"),
            "end_date": _("End date"),
            "venue": _("Venue"),
            "country": _("Country"),
            "document_deadline": _("Document deadline"),
            "report_document_number": _("Progress report document number"),
            "report_agenda_item": _("Progress report agenda item"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", gettext("The meeting cannot end before it starts."))
        deadline = cleaned.get("document_deadline")
        if deadline and start and deadline > start:
            self.add_error(
                "document_deadline", gettext("Documents are due before the meeting starts.")
            )
        return cleaned


class ReportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProgressReport) -> str:
        return gettext("%(code)s version %(version)s (%(date)s)") % {
            "code": obj.meeting.code,
            "version": obj.version,
            "date": date_format(obj.cut_off, "d M Y"),
        }


class CompareForm(forms.Form):
    """Two done reports to compare: of one meeting (versions) or of two meetings."""

    old = ReportChoiceField(queryset=selectors.reports_done(), label=_("From report"))
    new = ReportChoiceField(queryset=selectors.reports_done(), label=_("To report"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("old") and cleaned.get("old") == cleaned.get("new"):
            self.add_error("new", gettext("Choose two different reports."))
        return cleaned
