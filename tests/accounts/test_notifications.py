"""Notices of the registry's events: each event tells exactly the right people (never the
person who acted), the e-mail leaves after the commit only, in the recipient's language,
never to those who opted out or have no address, and a failing mail server never breaks
the request that caused it."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from accounts.models import Notification
from cooperatives import services
from cooperatives.models import ChangeRequest, CooperationLink, LinkStatus, Role

from ..conftest import client_for
from ..factories import make_user

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")


def _notices():
    return sorted((n.recipient.username, n.kind) for n in
                  Notification.objects.select_related("recipient"))


@pytest.fixture
def request_a(org_a, rep_a):
    return ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a,
                                        changes={"members_total": {"old": 10, "new": 12}})


@pytest.fixture
def proposed_ab(org_a, org_b):
    return CooperationLink.objects.create(source=org_a, target=org_b, kind="joint_sale",
                                          status=LinkStatus.PROPOSED, source_confirmed=True)


# Who is told ---------------------------------------------------------------------------------

def test_an_approved_request_tells_its_requester_only(request_a, agent_a, rep_b, org_a):
    second = make_user("rep_a2", role=Role.REPRESENTATIVE, organisation=org_a)
    services.change_request_approve(user=agent_a, change_request=request_a)
    assert _notices() == [("rep_a", "change_approved")]
    notice = Notification.objects.get()
    assert (notice.organisation_id, notice.object_type, notice.object_id, notice.url) == (
        org_a.pk, "change_request", request_a.pk, f"/change-requests/{request_a.pk}/")
    assert second.notifications.count() == 0


def test_a_rejected_request_says_the_reviewers_reason(request_a, agent_a, english):
    services.change_request_reject(user=agent_a, change_request=request_a,
                                   reason="Le nombre de membres ne correspond pas au PV.")
    notice = Notification.objects.get()
    assert notice.kind == "change_rejected" and notice.title == "Change request rejected"
    assert notice.text == ("Your change request for Coop Manioc Alpha has been rejected. "
                           "Reason: Le nombre de membres ne correspond pas au PV.")


def test_a_request_decided_by_its_own_author_tells_no_one(org_a, agent_a):
    own = ChangeRequest.objects.create(organisation=org_a, requested_by=agent_a,
                                       changes={"members_total": {"old": 10, "new": 12}})
    services.change_request_approve(user=agent_a, change_request=own)
    assert _notices() == []


def test_a_proposal_tells_the_partners_representatives_and_the_proposers_colleagues(
        rep_a, rep_b, agent_a, agent_b, org_a, org_b):
    colleague = make_user("rep_a2", role=Role.REPRESENTATIVE, organisation=org_a)
    link = services.link_propose(user=rep_a, source=org_a, target=org_b, kind="joint_sale")
    assert _notices() == [("rep_a2", "link_proposed"), ("rep_b", "link_proposed")]
    to_b = Notification.objects.get(recipient=rep_b)
    assert (to_b.organisation_id, to_b.object_type, to_b.object_id, to_b.url) == (
        org_b.pk, "link", link.pk, f"/links/{link.pk}/")
    assert Notification.objects.get(recipient=colleague).organisation_id == org_a.pk
    assert to_b.text == ("Coop Manioc Alpha propose un lien « Vente groupée » avec "
                         "Coop Manioc Bêta : il compte une fois confirmé par les deux parties.")


def test_confirming_tells_the_other_side_and_not_the_one_who_confirmed(
        proposed_ab, rep_a, rep_b, agent_b):
    services.link_confirm(user=rep_b, link=proposed_ab)
    assert _notices() == [("rep_a", "link_confirmed")]


def test_an_agent_confirming_tells_both_sides_representatives(proposed_ab, rep_a, rep_b,
                                                              agent_b):
    services.link_confirm(user=agent_b, link=proposed_ab)
    assert _notices() == [("rep_a", "link_confirmed"), ("rep_b", "link_confirmed")]
    services.link_confirm(user=agent_b, link=proposed_ab)  # nothing changes: no new notice
    assert Notification.objects.count() == 2


def test_refusing_a_proposal_and_ending_a_link_are_told_apart(proposed_ab, rep_a, rep_b,
                                                              agent_a):
    services.link_refuse(user=rep_b, link=proposed_ab, note="Pas cette année.")
    assert _notices() == [("rep_a", "link_refused")]
    Notification.objects.all().delete()
    confirmed = CooperationLink.objects.create(
        source=proposed_ab.source, target=proposed_ab.target, kind="shared_equipment",
        status=LinkStatus.CONFIRMED, source_confirmed=True, target_confirmed=True)
    services.link_end(user=agent_a, link=confirmed)
    assert _notices() == [("rep_a", "link_ended"), ("rep_b", "link_ended")]
    services.link_end(user=agent_a, link=confirmed)  # already ended: told once
    assert Notification.objects.count() == 2


def test_a_representative_of_both_ends_is_told_once(org_a, org_b, rep_a, agent_a):
    from cooperatives.models import RoleAssignment

    RoleAssignment.objects.create(user=rep_a, role=Role.REPRESENTATIVE, organisation=org_b)
    link = CooperationLink.objects.create(source=org_a, target=org_b, kind="joint_sale",
                                          status=LinkStatus.CONFIRMED, source_confirmed=True,
                                          target_confirmed=True)
    services.link_end(user=agent_a, link=link)
    assert _notices() == [("rep_a", "link_ended")]


# E-mails -------------------------------------------------------------------------------------

def test_the_email_leaves_after_the_commit_only(request_a, agent_a,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_approve(user=agent_a, change_request=request_a)
        assert mail.outbox == []  # not before the commit
    [message] = mail.outbox
    assert message.to == ["rep_a@example.org"]
    assert message.subject == "RELESS · Demande de modification approuvée"
    assert "Bonjour rep_a," in message.body
    assert f"http://localhost:8000/change-requests/{request_a.pk}/" in message.body
    assert "http://localhost:8000/me/notifications/" in message.body
    assert Notification.objects.get().emailed_at is not None


def test_a_rolled_back_event_sends_nothing(request_a, agent_a,
                                           django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.change_request_approve(user=agent_a, change_request=request_a)
            raise RuntimeError
    assert callbacks == [] and mail.outbox == [] and Notification.objects.count() == 0


def test_the_email_is_in_the_recipients_language(request_a, agent_a, rep_a,
                                                 django_capture_on_commit_callbacks):
    rep_a.language = "en"
    rep_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_reject(user=agent_a, change_request=request_a,
                                       reason="Effectifs à justifier.")
    [message] = mail.outbox
    assert message.subject == "RELESS · Change request rejected"
    assert ("Your change request for Coop Manioc Alpha has been rejected. "
            "Reason: Effectifs à justifier.") in message.body


def test_no_email_for_who_opted_out_or_has_no_address(proposed_ab, org_a, rep_a, rep_b,
                                                      agent_b,
                                                      django_capture_on_commit_callbacks):
    rep_a.email_notifications = False
    rep_a.save()
    rep_b.email = ""
    rep_b.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.link_confirm(user=agent_b, link=proposed_ab)
    assert _notices() == [("rep_a", "link_confirmed"), ("rep_b", "link_confirmed")]
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_break_the_request(
        request_a, agent_a, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.accounts.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent_a).post(
            reverse("change_request_review", args=[request_a.pk]), {"decision": "approve"})
    assert response.status_code == 302
    request_a.refresh_from_db()
    assert request_a.status == "approved"
    notice = Notification.objects.get()
    assert notice.emailed_at is None and mail.outbox == []


def test_a_broker_out_of_reach_does_not_break_the_request(
        request_a, agent_a, monkeypatch, django_capture_on_commit_callbacks):
    from accounts import notifications

    def unreachable(*args, **kwargs):
        raise ConnectionError("no broker")

    monkeypatch.setattr(notifications.send_notice_emails, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent_a).post(
            reverse("change_request_review", args=[request_a.pk]), {"decision": "approve"})
    assert response.status_code == 302 and Notification.objects.count() == 1


def test_signing_in_records_the_language_of_the_emails(rep_a):
    client = client_for(None, "en")
    response = client.post(reverse("login"), {"username": "rep_a",
                                              "password": "correct horse battery"})
    assert response.status_code == 302
    rep_a.refresh_from_db()
    assert rep_a.language == "en"
