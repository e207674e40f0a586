"""Forms of the meeting pages. They validate; the services write."""

from __future__ import annotations

from django import forms

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
            "report_document_number": "Progress report document number",
            "report_agenda_item": "Progress report agenda item",
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The meeting cannot end before it starts.")
        deadline = cleaned.get("document_deadline")
        if deadline and start and deadline > start:
            self.add_error("document_deadline", "Documents are due before the meeting starts.")
        return cleaned


class ReportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProgressReport) -> str:
        return f"{obj.meeting.code} version {obj.version} ({obj.cut_off:%d %b %Y})"


class CompareForm(forms.Form):
    """Two done reports to compare: of one meeting (versions) or of two meetings."""

    old = ReportChoiceField(queryset=selectors.reports_done(), label="From report")
    new = ReportChoiceField(queryset=selectors.reports_done(), label="To report")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("old") and cleaned.get("old") == cleaned.get("new"):
            self.add_error("new", "Choose two different reports.")
        return cleaned
