"""Who may do what. Every page, form, API endpoint and command asks these functions;
no view checks a group or a flag by itself.

Roles:
- anonymous visitors and signed-in readers: read everything (transparency is the default);
- Secretariat (the "Secretariat" group, and superusers): edit mandates, statuses,
  resolutions, meetings and reports;
- focal points (the "Focal points" group, linked to one Party by a FocalPoint row):
  report their own Party's status for mandates addressed to Parties, nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from partners.models import Party
    from resolutions.models import Mandate

    User = AbstractBaseUser | AnonymousUser

SECRETARIAT_GROUP = "Secretariat"
FOCAL_POINTS_GROUP = "Focal points"

#: Actor slugs whose mandates each Party implements at home and may report on.
PARTY_ACTOR_SLUGS = frozenset({"parties"})


def _group_names(user: User) -> frozenset[str]:
    # Cached on the user object: a page asks several questions of the same user.
    cached = getattr(user, "_cms_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._cms_group_names = cached
    return cached


def is_secretariat(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or SECRETARIAT_GROUP in _group_names(user))


def party_for_user(user: User) -> Party | None:
    """The Party a focal point reports for, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if FOCAL_POINTS_GROUP not in _group_names(user):
        return None
    if not hasattr(user, "_cms_party"):
        from partners.models import FocalPoint

        link = FocalPoint.objects.select_related("party").filter(user=user).first()
        user._cms_party = link.party if link else None
    return user._cms_party


def role_for_user(user: User) -> str:
    """One word for the user's role: anonymous, reader, focal_point or secretariat."""
    if not user.is_authenticated:
        return "anonymous"
    if is_secretariat(user):
        return "secretariat"
    if party_for_user(user) is not None:
        return "focal_point"
    return "reader"


def can_edit_mandate(user: User, mandate: Mandate | None = None) -> bool:
    """Record the Secretariat's status update on a mandate (any mandate)."""
    return is_secretariat(user)


def can_edit_resolutions(user: User) -> bool:
    """Import, revise and correct resolutions, paragraphs, actors and mandates."""
    return is_secretariat(user)


def can_manage_meetings(user: User) -> bool:
    return is_secretariat(user)


def can_compile_report(user: User) -> bool:
    return is_secretariat(user)


def is_party_mandate(mandate: Mandate) -> bool:
    return mandate.actor.slug in PARTY_ACTOR_SLUGS


def can_report_party_status(user: User, party: Party, mandate: Mandate | None = None) -> bool:
    """Record a Party's own status: that Party's focal points, or the Secretariat; only for
    mandates addressed to Parties."""
    if mandate is not None and not mandate_addresses_party(mandate, party):
        return False
    if is_secretariat(user):
        return True
    own = party_for_user(user)
    return own is not None and own.pk == party.pk


def party_actor_slug(party: Party) -> str:
    """The actor slug of a mandate addressed to this one Party by name ("party-uz")."""
    return f"party-{party.iso2.lower()}"


def mandate_addresses_party(mandate: Mandate, party: Party) -> bool:
    """The Party implements this mandate: it is addressed to Parties, or to it by name."""
    return is_party_mandate(mandate) or mandate.actor.slug == party_actor_slug(party)


def can_view_party_matrix(user: User) -> bool:
    """The Parties x mandates matrix and its export: Secretariat only."""
    return is_secretariat(user)


def can_view_audit(user: User) -> bool:
    """Read the audit trail (who changed what, when): it names users and shows every
    value ever held, so it is the Secretariat's."""
    return is_secretariat(user)


def can_curate_links(user: User) -> bool:
    """Confirm, remove or add a mandate's links to conventions, organisations, GBF
    targets and SDGs."""
    return is_secretariat(user)
