"""Fixtures of the Parties tests."""

from __future__ import annotations

import pytest

from resolutions.models import Mandate


@pytest.fixture
def cms_parties(db):
    """The shipped list of Parties, loaded as load_seed does."""
    from partners.services import parties_load_shipped

    return parties_load_shipped()


@pytest.fixture
def party_mandates(seed) -> list[Mandate]:
    """The seed resolution's mandates addressed to Parties, in document order."""
    return list(
        Mandate.objects.filter(resolution=seed, actor__slug="parties").order_by(
            "paragraph__order", "position"
        )
    )
