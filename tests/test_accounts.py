"""Sign in, sign out and password reset by e-mail, with Django's auth views and the
site's own templates."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_has_the_labelled_fields_and_a_reset_link(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert '<button class="button" type="submit">Log in</button>' in html
    assert f'href="{reverse("password_reset")}">Forgot your password?</a>' in html


def test_sign_in_and_sign_out(client, secretariat_user):
    response = client.post(
        reverse("login"), {"username": "secretariat", "password": PASSWORD, "next": "/mandates/"}
    )
    assert response.status_code == 302 and response["Location"] == "/mandates/"
    html = client.get("/mandates/").content.decode()
    assert "Sign out" in html and "Update selected" in html
    # Sign-out is a POST (a link could be triggered by any page).
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "Update selected" not in client.get("/mandates/").content.decode()


def test_wrong_password_is_refused_with_a_message(client, secretariat_user):
    response = client.post(reverse("login"), {"username": "secretariat", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_password_reset_by_email(client):
    user = UserFactory(username="ana", email="ana@example.org")
    page = client.get(reverse("password_reset")).content.decode()
    assert '<label for="id_email">Email</label>' in page
    assert "Reset your password" in page

    response = client.post(reverse("password_reset"), {"email": "ana@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert message.subject == "Reset your CMS Mandate Tracker password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body)[1]

    form = client.get(link, follow=True)
    html = form.content.decode()
    assert "Choose a new password" in html
    assert '<label for="id_new_password1">New password</label>' in html
    new = "migratory-flyway-2026"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(new)
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_mismatch_shows_errors_beside_the_field(client):
    UserFactory(username="ben", email="ben@example.org")
    client.post(reverse("password_reset"), {"email": "ben@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "abc", "new_password2": "abd"})
    html = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_new_password2_error"><li>', html)


def test_password_change_uses_the_site_templates(client, secretariat_user):
    client.force_login(secretariat_user)
    html = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in html and 'class="card auth-card"' in html
