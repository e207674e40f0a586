"""Every write to Parties, focal points, Party statuses, organisations and the roles."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from partners import permissions
from partners.models import (
    FocalPoint,
    Party,
    PartyEvidenceFile,
    PartyImplementation,
    PartyStatus,
    Region,
)
from partners.permissions import FOCAL_POINTS_GROUP, SECRETARIAT_GROUP
from resolutions.evidence import evidence_files_check, evidence_files_store
from resolutions.models import Mandate

#: What Secretariat staff may do in the admin, by model. History rows (status updates,
#: Party statuses) are read-only there: they are written by the services only.
SECRETARIAT_ADMIN_PERMISSIONS = {
    "resolutions": {
        "resolution": ("view", "add", "change"),
        "paragraph": ("view", "add", "change", "delete"),
        "actor": ("view", "add", "change"),
        "mandate": ("view", "add", "change"),
        "statusupdate": ("view",),
        "evidencefile": ("view",),
    },
    "partners": {
        "party": ("view", "add", "change"),
        "focalpoint": ("view", "add", "change", "delete"),
        "partystatus": ("view",),
        "organisation": ("view", "add", "change"),
        "partnership": ("view", "add", "change", "delete"),
    },
    "reporting": {
        "meeting": ("view", "add", "change"),
        "progressreport": ("view",),
    },
}


@transaction.atomic
def groups_sync() -> None:
    """Make sure the role groups exist and the Secretariat holds its admin permissions.
    Idempotent; run by load_seed (after migrate, when permissions exist)."""
    secretariat, _ = Group.objects.get_or_create(name=SECRETARIAT_GROUP)
    Group.objects.get_or_create(name=FOCAL_POINTS_GROUP)
    wanted = {
        f"{action}_{model}"
        for models in SECRETARIAT_ADMIN_PERMISSIONS.values()
        for model, actions in models.items()
        for action in actions
    }
    perms = Permission.objects.filter(
        content_type__app_label__in=SECRETARIAT_ADMIN_PERMISSIONS, codename__in=wanted
    )
    missing = set(perms) - set(secretariat.permissions.all())
    if missing:
        secretariat.permissions.add(*missing)


def party_from_iso(iso2: str, *, region: str) -> Party:
    """Get the Party with this ISO code, creating it from pycountry's name if absent."""
    iso2 = iso2.upper()
    party = Party.objects.filter(iso2=iso2).first()
    if party is not None:
        return party
    country = pycountry.countries.get(alpha_2=iso2)
    if country is None:
        raise ValueError(f"{iso2!r} is not an ISO 3166-1 alpha-2 code.")
    if region not in Region.values:
        raise ValueError(f"{region!r} is not a CMS region.")
    return Party.objects.create(
        iso2=iso2,
        iso3=country.alpha_3,
        name=getattr(country, "common_name", None) or country.name,
        region=region,
    )


@transaction.atomic
def secretariat_user_ensure(*, username: str, password: str | None = None) -> AbstractBaseUser:
    """A Secretariat editor: member of the Secretariat group, staff (for the admin)."""
    groups_sync()
    user, _ = get_user_model().objects.get_or_create(username=username)
    changed = []
    if not user.is_staff:
        user.is_staff = True
        changed.append("is_staff")
    if password is not None:
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    user.groups.add(Group.objects.get(name=SECRETARIAT_GROUP))
    return user


@transaction.atomic
def focal_point_ensure(
    *, username: str, party: Party, password: str | None = None
) -> AbstractBaseUser:
    """A focal point for `party`: in the Focal points group, linked to that one Party.
    Re-linking an existing focal point to another Party moves the link."""
    groups_sync()
    user, _ = get_user_model().objects.get_or_create(username=username)
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=FOCAL_POINTS_GROUP))
    link = FocalPoint.objects.filter(user=user).first()
    if link is None:
        FocalPoint.objects.create(user=user, party=party)
    elif link.party_id != party.pk:
        link.party = party
        link.save(update_fields=["party"])
    return user


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


def new_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def api_token_ensure(*, user: AbstractBaseUser, rotate: bool = False) -> tuple[Token, bool]:
    """The user's REST API token, created if the user has none (or, with `rotate`, replaced:
    the old key stops working at once). Returns (token, created). A token acts with its
    user's role; an inactive user's token is refused by the API."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not rotate:
        return token, False
    if token is not None:
        token.delete()
    return Token.objects.create(user=user), True


# --- The list of Parties ------------------------------------------------------------------

#: The list shipped with the application (see partners/data/README.md for its sources).
PARTIES_FILE = Path(__file__).resolve().parent / "data" / "cms-parties.csv"
PARTY_COLUMNS = ("iso2", "name", "region", "party_since")
#: Parties that are not States, so have no ISO 3166-1 code: iso2 -> (iso3, name). The
#: European Union is a Party as a regional economic integration organisation; "EU" is
#: the code ISO 3166 reserves for it.
NON_STATE_PARTIES = {"EU": ("", "European Union")}


@dataclass(frozen=True)
class PartyRow:
    line: int
    iso2: str
    iso3: str
    name: str
    region: str
    party_since: dt.date | None


class PartyFileError(ValueError):
    """The file cannot be imported; `errors` names every bad line ("line N: ...")."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parties_read_csv(text: str) -> list[PartyRow]:
    """Parse and check a Parties file (columns iso2,name,region,party_since; a header line
    first). Every problem is collected, so one run names them all. Pure: reads no rows."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise PartyFileError(["line 1: the file is empty; expected a header line."])
    header = [h.strip().lower() for h in header]
    if tuple(header) != PARTY_COLUMNS:
        raise PartyFileError([f"line 1: the header must be {','.join(PARTY_COLUMNS)}."])
    errors: list[str] = []
    rows: list[PartyRow] = []
    seen: dict[str, int] = {}
    # Regions are named in English in the file, whatever the language of the interface.
    with translation.override("en"):
        region_names = {str(label).lower(): value for value, label in Region.choices}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(PARTY_COLUMNS):
            errors.append(f"line {line}: expected {len(PARTY_COLUMNS)} columns, got {len(values)}.")
            continue
        iso2, name, region, since = (v.strip() for v in values)
        iso2 = iso2.upper()
        problems: list[str] = []
        iso3 = ""
        if iso2 in NON_STATE_PARTIES:
            iso3, default_name = NON_STATE_PARTIES[iso2]
        else:
            country = pycountry.countries.get(alpha_2=iso2) if len(iso2) == 2 else None
            if country is None:
                problems.append(f"{iso2!r} is not an ISO 3166-1 alpha-2 code")
                default_name = ""
            else:
                iso3 = country.alpha_3
                default_name = getattr(country, "common_name", None) or country.name
        region_value = region if region in Region.values else region_names.get(region.lower())
        if region_value is None:
            problems.append(f"{region!r} is not a CMS region ({', '.join(Region.values)})")
        party_since = None
        if since:
            try:
                party_since = dt.date.fromisoformat(since)
            except ValueError:
                problems.append(f"{since!r} is not a date as YYYY-MM-DD (or leave it blank)")
        if len(name) > 200:
            problems.append("the name is longer than 200 characters")
        if iso2 in seen:
            problems.append(f"{iso2} is already on line {seen[iso2]}")
        else:
            seen[iso2] = line
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems) + ".")
            continue
        rows.append(
            PartyRow(
                line=line,
                iso2=iso2,
                iso3=iso3,
                name=name or default_name,
                region=region_value,
                party_since=party_since,
            )
        )
    if errors:
        raise PartyFileError(errors)
    return rows


@dataclass
class PartiesImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@transaction.atomic
def parties_import(
    *, rows: Sequence[PartyRow], update_existing: bool = True
) -> PartiesImportReport:
    """Create the Parties of `rows` and (with `update_existing`) update the fields that
    differ; Parties not in the file are left alone (a Party never disappears with its
    history). Idempotent: a second run with the same rows writes nothing."""
    report = PartiesImportReport()
    existing = {
        p.iso2: p for p in Party.objects.select_for_update().filter(iso2__in=[r.iso2 for r in rows])
    }
    for row in rows:
        wanted = {
            "iso3": row.iso3,
            "name": row.name,
            "region": row.region,
            "party_since": row.party_since,
        }
        party = existing.get(row.iso2)
        if party is None:
            Party.objects.create(iso2=row.iso2, **wanted)
            report.created.append(row.iso2)
            continue
        changed = [name for name, value in wanted.items() if getattr(party, name) != value]
        if not changed or not update_existing:
            report.unchanged += 1
            continue
        for name in changed:
            setattr(party, name, wanted[name])
        party.save(update_fields=[*changed, "updated_at"])
        report.updated.append(row.iso2)
    return report


def parties_load_shipped() -> PartiesImportReport:
    """The shipped list of Parties (load_seed): adds the Parties missing from the database
    and leaves existing ones as they are, so that corrections made in the admin or with
    import_parties survive every start of the site."""
    rows = parties_read_csv(PARTIES_FILE.read_text(encoding="utf-8"))
    return parties_import(rows=rows, update_existing=False)


# --- A Party's own status -----------------------------------------------------------------


@dataclass
class StalePartyStatus(Exception):
    """The report was based on an older version of this Party's status for the mandate:
    another report was saved since. Nothing was written; `latest` is the one that won."""

    party: Party
    mandate: Mandate
    expected_version: int
    current_version: int
    latest: PartyStatus | None

    def __str__(self) -> str:
        return (
            f"{self.party.name}'s status for mandate {self.mandate.pk} is at version "
            f"{self.current_version}, not {self.expected_version}: another report was "
            "saved first."
        )


def party_status_version(*, party: Party, mandate: Mandate) -> int:
    """The version of the Party's latest status for the mandate; 0 before any report."""
    latest = (
        PartyStatus.objects.filter(party=party, mandate=mandate)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return latest or 0


def party_status_record(
    *,
    party: Party,
    mandate: Mandate,
    user: AbstractBaseUser | AnonymousUser,
    status: str,
    narrative: str = "",
    evidence_links: Sequence[str] = (),
    evidence_files: Sequence[UploadedFile] = (),
    as_of: dt.date | None = None,
    expected_version: int | None = None,
) -> PartyStatus | None:
    """Record a Party's own implementation status of a mandate addressed to Parties.

    Contract:
    - PermissionDenied unless `permissions.can_report_party_status(user, party, mandate)`
      (that Party's focal points and the Secretariat; only mandates addressed to Parties);
    - ValidationError (a dict by field) for bad input; nothing is written;
    - StalePartyStatus when `expected_version` is given and is not the version of the
      Party's latest status for the mandate (0 before any). The Party row is locked
      (SELECT ... FOR UPDATE) while checking and (party, mandate, version) is unique, so
      of concurrent reports based on the same version exactly one lands. Without
      `expected_version` the report is recorded after whatever is latest;
    - returns None, writing nothing, when the report would change nothing (same status,
      no narrative, no evidence links or files). Files are checked by content
      (`resolutions.evidence`) before anything is written.
    """
    from resolutions.services import MAX_NARRATIVE_CHARS, _clean_links

    if not permissions.can_report_party_status(user, party, mandate):
        raise PermissionDenied(
            f"Only {party.name}'s focal points and the Secretariat may report "
            f"{party.name}'s status, and only on mandates addressed to Parties."
        )
    narrative = (narrative or "").strip()
    errors: dict[str, str] = {}
    if status not in PartyImplementation.values:
        errors["status"] = gettext("%(value)s is not a status. Choose one of: %(choices)s") % {
            "value": repr(status),
            "choices": ", ".join(PartyImplementation.values),
        }
    if len(narrative) > MAX_NARRATIVE_CHARS:
        errors["narrative"] = gettext("The narrative is limited to %(n)s characters.") % {
            "n": MAX_NARRATIVE_CHARS
        }
    if as_of is not None and as_of > timezone.localdate() + dt.timedelta(days=1):
        errors["as_of"] = gettext("The date a status holds for cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    links = _clean_links(evidence_links)
    checked_files = evidence_files_check(evidence_files)

    try:
        with transaction.atomic():
            Party.objects.select_for_update().filter(pk=party.pk).first()
            latest = (
                PartyStatus.objects.filter(party=party, mandate=mandate)
                .select_related("author")
                .order_by("-version")
                .first()
            )
            current_version = latest.version if latest else 0
            if expected_version is not None and expected_version != current_version:
                raise StalePartyStatus(
                    party=party,
                    mandate=mandate,
                    expected_version=expected_version,
                    current_version=current_version,
                    latest=latest,
                )
            current_status = latest.status if latest else PartyImplementation.NOT_REPORTED
            if status == current_status and not narrative and not links and not checked_files:
                return None
            recorded = PartyStatus.objects.create(
                party=party,
                mandate=mandate,
                version=current_version + 1,
                status=status,
                previous_status=current_status,
                narrative=narrative,
                evidence_links=links,
                as_of=as_of or timezone.localdate(),
                author=user if user.is_authenticated else None,
                created_at=timezone.now(),
            )
            evidence_files_store(PartyEvidenceFile, checked_files, party_status=recorded)
            if recorded.status != recorded.previous_status:
                # Followers of the Party hear of it once the report is committed.
                from notifications.services import party_fanout_queue

                transaction.on_commit(lambda: party_fanout_queue(party_status_ids=[recorded.pk]))
            return recorded
    except IntegrityError as exc:
        # Only reachable if a writer bypassed the lock; the unique constraint still
        # refuses the second write.
        latest = PartyStatus.objects.filter(party=party, mandate=mandate).order_by("-version")
        first = latest.first()
        raise StalePartyStatus(
            party=party,
            mandate=mandate,
            expected_version=expected_version or 0,
            current_version=first.version if first else 0,
            latest=first,
        ) from exc
