"""Log in, log out, change and reset a password with the platform's templates."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from ..conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_it_logs_in_and_sends_the_agent_to_the_dashboard(client, agent_a, commune_a):
    response = client.post(reverse("login"), {"username": "agent_a", "password": PASSWORD,
                                              "next": reverse("my_space")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("commune_dashboard",
                                                     args=[commune_a.pcode])


def test_it_shows_a_login_error_in_the_users_language(client, agent_a):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("login"), {"username": "agent_a", "password": "wrong"})
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in (
        response.content.decode())


def test_it_logs_out_with_a_post(agent_a):
    client = client_for(agent_a)
    assert client.post(reverse("logout"))["Location"] == reverse("home")
    assert client.get(reverse("my_space"))["Location"] == reverse("login")


def test_it_changes_a_password(agent_a):
    client = client_for(agent_a)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "manioc-gari-2025!",
        "new_password2": "manioc-gari-2025!"})
    assert response["Location"] == reverse("password_change_done")
    agent_a.refresh_from_db()
    assert agent_a.check_password("manioc-gari-2025!")


def test_it_resets_a_forgotten_password_by_email(client, agent_a):
    response = client.post(reverse("password_reset"), {"email": agent_a.email})
    assert response["Location"] == reverse("password_reset_done")
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "manioc-gari-2025!", "new_password2": "manioc-gari-2025!"})
    assert response["Location"] == reverse("password_reset_complete")
    agent_a.refresh_from_db()
    assert agent_a.check_password("manioc-gari-2025!")


def test_it_shows_the_admin_link_to_staff_only(agent_a, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    assert reverse("admin:index") in client_for(admin_user).get("/").content.decode()
    assert reverse("admin:index") not in client_for(agent_a).get("/").content.decode()
