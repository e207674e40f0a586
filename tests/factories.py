"""factory_boy factories and helpers that build users in each role."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from partners.models import Party, PartyImplementation, PartyStatus, Region
from reporting.models import Body, Meeting
from resolutions.models import (
    Actor,
    ActorKind,
    Mandate,
    Paragraph,
    ParagraphPart,
    Resolution,
    Strength,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


def secretariat_user(username: str = "secretariat"):
    from partners.services import secretariat_user_ensure

    user = secretariat_user_ensure(username=username, password=PASSWORD)
    return get_user_model().objects.get(pk=user.pk)


def focal_point(*, username: str, iso2: str, region: str = Region.ASIA):
    from partners.services import focal_point_ensure, party_from_iso

    party = party_from_iso(iso2, region=region)
    user = focal_point_ensure(username=username, party=party, password=PASSWORD)
    return get_user_model().objects.get(pk=user.pk)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting
        django_get_or_create = ("code",)

    body = Body.COP
    number = factory.Sequence(lambda n: 100 + n)
    code = factory.LazyAttribute(lambda m: f"COP{m.number}")


class ResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resolution

    symbol = factory.Sequence(lambda n: f"99.{n}")
    title = factory.Sequence(lambda n: f"Test resolution {n}")


class ParagraphFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paragraph

    resolution = factory.SubFactory(ResolutionFactory)
    part = ParagraphPart.OPERATIVE
    number = factory.Sequence(lambda n: str(n + 1))
    order = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(lambda p: f"Requests the Secretariat to do thing {p.number};")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"actor-{n}")
    name = factory.LazyAttribute(lambda a: a.slug.replace("-", " ").title())
    kind = ActorKind.BODY


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    paragraph = factory.SubFactory(ParagraphFactory)
    resolution = factory.LazyAttribute(lambda m: m.paragraph.resolution)
    actor = factory.SubFactory(ActorFactory, slug="secretariat", name="Secretariat")
    verb = "request"
    verb_phrase = "Requests"
    addressee_phrase = "the Secretariat"
    strength = Strength.DIRECTIVE


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ("iso2",)

    iso2 = "UZ"
    iso3 = "UZB"
    name = "Uzbekistan"
    region = Region.ASIA


class PartyStatusFactory(factory.django.DjangoModelFactory):
    """A Party's own status entry; `version` follows the Party's previous entries on the
    same mandate."""

    class Meta:
        model = PartyStatus

    party = factory.SubFactory(PartyFactory)
    mandate = factory.SubFactory(MandateFactory)
    version = factory.LazyAttribute(
        lambda s: PartyStatus.objects.filter(party=s.party, mandate=s.mandate).count() + 1
    )
    status = PartyImplementation.IN_PROGRESS
