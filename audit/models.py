"""The audit trail: one event table per tracked model, filled by PostgreSQL triggers
(django-pghistory), so that every write path is recorded, bulk `QuerySet.update()` and raw
SQL included. Each event row is a snapshot of the tracked row after an insert or update
(before a delete); the page and `audit.selectors` show each event's old and new values by
comparing it with the previous event of the same object. Event tables are append-only
(a trigger refuses updates and deletes).

Who and from where come from the transaction's context (`pgh_context`): the acting user,
URL and method of a web request (cms_mandates.audit.AuditContextMiddleware), or what a
command or task names with cms_mandates.audit.audit_context().

Users are tracked without their password hash and last sign-in time; a password change is
recorded as its own event, `password_change`, without the hash.

On SQLite (`make run`) the tables exist but stay empty: there are no triggers.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.contrib.auth import get_user_model

from partners.models import (
    FocalPoint,
    Organisation,
    Partnership,
    Party,
    PartyEvidenceFile,
    PartyStatus,
)
from reporting.models import Meeting, ProgressReport
from resolutions.models import (
    Actor,
    EvidenceFile,
    Mandate,
    MandateLink,
    Paragraph,
    ParagraphTranslation,
    Resolution,
    ResolutionTranslation,
    StatusUpdate,
)


class AuditedUser(get_user_model()):
    """The user model as seen by the audit trail: a proxy, so that its triggers are
    migrations of this app rather than of django.contrib.auth."""

    class Meta:
        proxy = True
        app_label = "audit"


def _trackers() -> tuple[pghistory.RowEvent, ...]:
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


def _event_model(model, name: str, *, exclude: list[str] | None = None, extra=()):
    return pghistory.create_event_model(
        model,
        *_trackers(),
        *extra,
        exclude=exclude,
        app_label="audit",
        model_name=name,
        abstract=False,
        append_only=True,
    )


ResolutionEvent = _event_model(Resolution, "ResolutionEvent")
ParagraphEvent = _event_model(Paragraph, "ParagraphEvent")
ActorEvent = _event_model(Actor, "ActorEvent")
MandateEvent = _event_model(Mandate, "MandateEvent")
MandateLinkEvent = _event_model(MandateLink, "MandateLinkEvent")
ResolutionTranslationEvent = _event_model(ResolutionTranslation, "ResolutionTranslationEvent")
ParagraphTranslationEvent = _event_model(ParagraphTranslation, "ParagraphTranslationEvent")
StatusUpdateEvent = _event_model(StatusUpdate, "StatusUpdateEvent")
EvidenceFileEvent = _event_model(EvidenceFile, "EvidenceFileEvent")
PartyEvent = _event_model(Party, "PartyEvent")
PartyStatusEvent = _event_model(PartyStatus, "PartyStatusEvent")
PartyEvidenceFileEvent = _event_model(PartyEvidenceFile, "PartyEvidenceFileEvent")
FocalPointEvent = _event_model(FocalPoint, "FocalPointEvent")
OrganisationEvent = _event_model(Organisation, "OrganisationEvent")
PartnershipEvent = _event_model(Partnership, "PartnershipEvent")
MeetingEvent = _event_model(Meeting, "MeetingEvent")
ProgressReportEvent = _event_model(ProgressReport, "ProgressReportEvent")
UserEvent = _event_model(
    AuditedUser,
    "UserEvent",
    # Never the password hash; sign-ins (last_login) are recorded by django-axes instead.
    exclude=["password", "last_login"],
    extra=(
        pghistory.UpdateEvent(
            "password_change", condition=pgtrigger.AnyChange("password"), row=pghistory.New
        ),
    ),
)

#: Event models shown on the audit page, with the name a reader filters by.
EVENT_MODELS = {
    "resolution": ResolutionEvent,
    "paragraph": ParagraphEvent,
    "actor": ActorEvent,
    "mandate": MandateEvent,
    "mandatelink": MandateLinkEvent,
    "resolutiontranslation": ResolutionTranslationEvent,
    "paragraphtranslation": ParagraphTranslationEvent,
    "statusupdate": StatusUpdateEvent,
    "evidencefile": EvidenceFileEvent,
    "party": PartyEvent,
    "partystatus": PartyStatusEvent,
    "partyevidencefile": PartyEvidenceFileEvent,
    "focalpoint": FocalPointEvent,
    "organisation": OrganisationEvent,
    "partnership": PartnershipEvent,
    "meeting": MeetingEvent,
    "progressreport": ProgressReportEvent,
    "user": UserEvent,
}
