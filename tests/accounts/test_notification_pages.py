"""What awaits a person in the menu (`menu_counts`, one query whatever awaits them, none for
anonymous visitors) and the notices page: the person's own notices only, newest first,
marked read one by one or all at once, and the e-mail setting."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import latest_unread, menu_counts
from cooperatives.models import (
    ChangeRequest,
    CooperationLink,
    DuplicateFlag,
    LinkStatus,
    Role,
    RoleAssignment,
)
from cooperatives.permissions import scope_of
from reports.models import YearSignoff

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _notice(user, text="Coop X", **fields) -> Notification:
    return Notification.objects.create(
        recipient=user, kind=fields.pop("kind", "change_approved"),
        params={"organisation": text}, url=fields.pop("url", "/me/"), **fields)


@pytest.fixture
def awaiting_a(org_a, org_b, rep_a, cassava, commune_a):
    """In commune A: 2 pending requests (and a decided one), 1 link waiting for A's side
    (and one waiting for B's), 1 open duplicate (and a dismissed one), 1 returned year."""
    for status in ("pending", "pending", "approved"):
        ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, status=status,
                                     changes={"members_total": {"old": 1, "new": 2}})
    CooperationLink.objects.create(source=org_b, target=org_a, kind="joint_sale",
                                   status=LinkStatus.PROPOSED, source_confirmed=True)
    CooperationLink.objects.create(source=org_a, target=org_b, kind="training",
                                   status=LinkStatus.PROPOSED, source_confirmed=True)
    twins = sorted([OrganisationFactory(commune=commune_a, primary_filiere=cassava)
                    for _ in range(3)], key=lambda o: o.pk)
    DuplicateFlag.objects.create(org_a=twins[0], org_b=twins[1])
    DuplicateFlag.objects.create(org_a=twins[0], org_b=twins[2], status="dismissed")
    YearSignoff.objects.create(commune=commune_a, year=2025, state=YearSignoff.State.RETURNED)
    YearSignoff.objects.create(commune=commune_a, year=2024, state=YearSignoff.State.CLOSED)


def _counts(user, django_assert_num_queries, queries):
    scope_of(user)  # the page has read the person's roles already
    with django_assert_num_queries(queries):
        return menu_counts(user)


def test_an_agent_sees_what_awaits_each_of_their_communes_in_one_query(
        awaiting_a, agent_a, django_assert_num_queries, english):
    _notice(agent_a)
    counts = _counts(agent_a, django_assert_num_queries, 1)
    assert counts == {"unread": 1, "awaiting": 5, "awaiting_items": [
        ("Change requests to review", "/communes/CM901001001/change-requests/", 2),
        ("Links to confirm", "/communes/CM901001001/links/", 1),
        ("Possible duplicates to decide", "/quality/communes/CM901001001/duplicates/", 1),
        ("Years returned for correction", "/reports/signoff/CM901001001/", 1)]}


def test_an_agent_of_two_communes_reads_each_by_name_still_in_one_query(
        awaiting_a, agent_a, commune_b, django_assert_num_queries, english):
    RoleAssignment.objects.create(user=agent_a, role=Role.CTD_AGENT, commune=commune_b)
    agent_a._reless_scope = None
    from cooperatives import freshness

    freshness.renew_all()
    counts = _counts(agent_a, django_assert_num_queries, 1)
    assert counts["awaiting"] == 6
    assert ("Links to confirm (Bêta)", "/communes/CM901001002/links/", 1) in (
        counts["awaiting_items"])


def test_a_representative_sees_their_unread_notices_and_links_to_confirm(
        awaiting_a, rep_a, rep_b, org_b, django_assert_num_queries, english):
    _notice(rep_b)
    _notice(rep_b, read_at="2026-01-01T00:00Z")
    assert _counts(rep_b, django_assert_num_queries, 1) == {
        "unread": 1, "awaiting": 1,
        "awaiting_items": [("Links to confirm", f"/organisations/{org_b.pk}/", 1)]}


def test_others_pay_one_query_and_anonymous_visitors_none(
        analyst, nobody, django_assert_num_queries):
    assert _counts(analyst, django_assert_num_queries, 1) == {
        "unread": 0, "awaiting": 0, "awaiting_items": []}
    assert _counts(nobody, django_assert_num_queries, 1)["unread"] == 0
    with django_assert_num_queries(0):
        assert menu_counts(AnonymousUser()) == {"unread": 0, "awaiting": 0,
                                                "awaiting_items": []}
        assert latest_unread(AnonymousUser()) == []


def test_the_short_list_shows_the_five_newest_unread(rep_a, django_assert_num_queries,
                                                     english):
    made = [_notice(rep_a, f"Coop {i}") for i in range(7)]
    _notice(rep_a, "Coop lue", read_at="2026-01-01T00:00Z")
    with django_assert_num_queries(1):
        latest = latest_unread(rep_a)
    assert [n.pk for n in latest] == [n.pk for n in reversed(made)][:5]
    html = render_to_string("accounts/_notifications_short.html", {"notices": latest})
    assert html.count("<li") == 5 and "Coop 6" in html and "Coop 1" not in html
    assert 'href="/me/notifications/"' in html


def test_the_page_lists_the_persons_own_notices_newest_first(rep_a, rep_b, english):
    first, second = _notice(rep_a, "Première"), _notice(rep_a, "Seconde")
    _notice(rep_b, "Pas pour rep_a")
    response = client_for(rep_a, "en").get(reverse("notifications"))
    assert [n.pk for n in response.context["page"]] == [second.pk, first.pk]
    body = response.content.decode()
    assert "Pas pour rep_a" not in body and "Mark all as read" in body


def test_another_persons_notice_answers_404(rep_a, rep_b):
    theirs = _notice(rep_b)
    response = client_for(rep_a).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notice_marks_it_read_and_goes_to_its_object(rep_a):
    notice = _notice(rep_a, url="/organisations/1/")
    response = client_for(rep_a).post(reverse("notification_read", args=[notice.pk]),
                                      {"open": "1"})
    assert response["Location"] == "/organisations/1/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_all_can_be_marked_read_at_once(rep_a, rep_b):
    mine = [_notice(rep_a), _notice(rep_a)]
    theirs = _notice(rep_b)
    response = client_for(rep_a).post(reverse("notifications_read_all"))
    assert response["Location"] == reverse("notifications")
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_email_setting_is_saved(rep_a):
    response = client_for(rep_a).post(reverse("notifications"), {"language": "en"})
    assert response["Location"] == reverse("notifications")
    rep_a.refresh_from_db()
    assert (rep_a.email_notifications, rep_a.language) == (False, "en")
    client_for(rep_a).post(reverse("notifications"),
                           {"language": "fr", "email_notifications": "on"})
    rep_a.refresh_from_db()
    assert (rep_a.email_notifications, rep_a.language) == (True, "fr")
