"""The admin never offers to rewrite history: deleting a mandate or a resolution whose
mandates have status updates is refused with the admin's own message (not a database
error), and status updates themselves cannot be deleted or edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from resolutions.models import Mandate, StatusUpdate
from resolutions.services import mandate_status_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def updated(seed, secretariat_user) -> Mandate:
    mandate = Mandate.objects.filter(resolution=seed).first()
    mandate_status_update(
        mandate=mandate, user=secretariat_user, status="in_progress", expected_version=0
    )
    return mandate


def test_deleting_a_mandate_with_history_is_refused_with_a_message(client, admin_user, updated):
    client.force_login(admin_user)
    url = reverse("admin:resolutions_mandate_delete", args=[updated.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cannot delete mandate" in html
    assert "your account doesn't have permission to delete the following types of objects" in html
    assert "status update" in html
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert Mandate.objects.filter(pk=updated.pk).exists()
    assert StatusUpdate.objects.filter(mandate=updated).count() == 1


def test_deleting_a_resolution_with_history_is_refused(client, admin_user, updated):
    client.force_login(admin_user)
    url = reverse("admin:resolutions_resolution_delete", args=[updated.resolution_id])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Mandate.objects.filter(pk=updated.pk).exists()


def test_status_updates_are_read_only_in_the_admin(client, admin_user, updated):
    client.force_login(admin_user)
    update = StatusUpdate.objects.get(mandate=updated)
    delete = reverse("admin:resolutions_statusupdate_delete", args=[update.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:resolutions_statusupdate_change", args=[update.pk])
    client.post(change, {"narrative": "Rewritten."})
    update.refresh_from_db()
    assert update.narrative == ""
