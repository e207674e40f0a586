"""API representations of meetings and progress reports. They validate and present;
the services write (see reporting/api.py)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reporting.models import Meeting, ProgressReport, ReportFormat, ReportState
from reporting.services import MEETING_FIELDS


class MeetingSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    report_document_symbol = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = ["url", "html_url", *MEETING_FIELDS, "title", "report_document_symbol"]

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, meeting: Meeting) -> str:
        return self._absolute(reverse("api-meeting-detail", args=[meeting.code]))

    def get_html_url(self, meeting: Meeting) -> str:
        return self._absolute(meeting.get_absolute_url())

    def validate(self, attrs):
        instance = self.instance
        start = attrs.get("start_date", getattr(instance, "start_date", None))
        end = attrs.get("end_date", getattr(instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": "The meeting cannot end before it starts."}
            )
        deadline = attrs.get("document_deadline", getattr(instance, "document_deadline", None))
        if deadline and start and deadline > start:
            raise serializers.ValidationError(
                {"document_deadline": "Documents are due before the meeting starts."}
            )
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    meeting = serializers.SlugRelatedField(slug_field="code", read_only=True)
    url = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "url",
            "meeting",
            "version",
            "document_symbol",
            "agenda_item",
            "state",
            "progress",
            "error",
            "source",
            "cut_off",
            "period_start",
            "created_at",
            "started_at",
            "finished_at",
            "files",
            "checksums",
        ]
        read_only_fields = fields

    def get_url(self, report: ProgressReport) -> str:
        path = reverse("api-report-detail", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(
        {
            "type": "object",
            "description": "When done: an absolute download URL per format "
            "(docx, pdf, html, csv, json); empty before.",
            "properties": {fmt: {"type": "string", "format": "uri"} for fmt in ReportFormat.values},
        }
    )
    def get_files(self, report: ProgressReport) -> dict[str, str]:
        if report.state != ReportState.DONE:
            return {}
        request = self.context.get("request")
        return {
            fmt: request.build_absolute_uri(report.download_url(fmt))
            if request
            else report.download_url(fmt)
            for fmt in ReportFormat.values
            if fmt in report.files
        }


class ReportRequestSerializer(serializers.Serializer):
    meeting = serializers.CharField(max_length=32, help_text="Meeting code, e.g. COP15.")

    def validate_meeting(self, value: str) -> Meeting:
        meeting = Meeting.objects.filter(code__iexact=value.strip()).first()
        if meeting is None:
            raise serializers.ValidationError(f"There is no meeting with the code {value!r}.")
        return meeting
