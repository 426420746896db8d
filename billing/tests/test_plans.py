"""The plans page and upgrade requests: writers ask, staff approve in the admin, no payment."""

import pytest
from django.urls import reverse

from accounts.models import UpgradeRequest, UpgradeStatus, User

pytestmark = pytest.mark.django_db

PLANS = reverse("billing:plans")


def test_the_plans_page_shows_every_tier_what_it_allows_and_this_months_use(client, owner):
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=2, monthly_cost_used_usd=1.5)
    client.force_login(owner)
    html = client.get(PLANS).content.decode()
    for text in (
        "Free",
        "Pro",
        "Enterprise",
        "5 generations",
        "50 generations",
        "Unlimited generations",
        "$10.00",
        "$100.00",
        "No spending cap",
        "Priority queue",
        "Your plan",
    ):
        assert text in html, text
    assert "2<span" in html and "$1.50" in html  # this month's use
    assert "takes no payment" in html and "approve it by hand in the admin" in html
    assert "Request an upgrade" in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PLANS)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_writer_requests_an_upgrade_once_and_sees_it_waiting(client, owner):
    client.force_login(owner)
    response = client.post(PLANS, {"tier": "pro", "note": "A novel series this spring."})
    assert response.status_code == 302
    request = UpgradeRequest.objects.get()
    assert (request.user, request.tier, request.from_tier, request.status) == (
        owner,
        "pro",
        "free",
        "pending",
    )
    html = client.get(PLANS).content.decode()
    assert "You asked for <strong>Pro</strong>" in html and "waiting for staff" in html
    owner.refresh_from_db()
    assert owner.subscription_tier == "free"  # nothing changes until staff approve


def test_a_second_open_request_is_refused_and_nothing_is_written(client, owner):
    UpgradeRequest.objects.create(user=owner, tier="pro", from_tier="free")
    client.force_login(owner)
    response = client.post(PLANS, {"tier": "enterprise"})
    assert response.status_code == 422
    assert "You already asked for Pro" in response.content.decode()
    assert UpgradeRequest.objects.count() == 1


@pytest.mark.parametrize("tier", ["free", "gold", ""])
def test_only_a_bigger_plan_can_be_requested(client, owner, tier):
    client.force_login(owner)
    response = client.post(PLANS, {"tier": tier})
    assert response.status_code == 422
    assert (
        "Choose one of the bigger plans" in response.content.decode()
        or "This field is required" in response.content.decode()
    )
    assert UpgradeRequest.objects.count() == 0


def test_a_note_over_the_limit_is_refused_not_cut(client, owner):
    client.force_login(owner)
    response = client.post(PLANS, {"tier": "pro", "note": "n" * 1500})
    assert response.status_code == 422
    assert "This is 1,500 characters long; the limit is 1,000." in response.content.decode()
    assert UpgradeRequest.objects.count() == 0


def test_the_biggest_plan_has_nothing_to_request(client, owner):
    from accounts.services import user_set_tier

    user_set_tier(user=owner, tier="enterprise")
    client.force_login(owner)
    html = client.get(PLANS).content.decode()
    assert "You are on the biggest plan." in html
    assert client.post(PLANS, {"tier": "enterprise"}).status_code == 422
    assert UpgradeRequest.objects.count() == 0


def test_another_writers_requests_are_never_shown(client, owner, other_user):
    UpgradeRequest.objects.create(user=other_user, tier="enterprise", from_tier="free", note="secret plans")
    client.force_login(owner)
    html = client.get(PLANS).content.decode()
    assert "secret plans" not in html and "You asked for" not in html


def test_staff_approve_a_request_in_the_admin_and_the_writer_gets_the_tier(client, owner, staff):
    request = UpgradeRequest.objects.create(user=owner, tier="pro", from_tier="free")
    client.force_login(staff)
    changelist = reverse("admin:accounts_upgraderequest_changelist")
    assert owner.email in client.get(changelist).content.decode()
    response = client.post(changelist, {"action": "approve", "_selected_action": [request.pk]}, follow=True)
    assert "1 request(s) approved" in response.content.decode()
    owner.refresh_from_db()
    request.refresh_from_db()
    assert owner.subscription_tier == "pro" and owner.monthly_generation_limit == 50
    assert request.status == UpgradeStatus.APPROVED and request.decided_by == staff
    # Approving again changes nothing and says why.
    response = client.post(changelist, {"action": "approve", "_selected_action": [request.pk]}, follow=True)
    assert "already approved" in response.content.decode()


def test_staff_decline_a_request_and_the_tier_stays(client, owner, staff):
    request = UpgradeRequest.objects.create(user=owner, tier="enterprise", from_tier="free")
    client.force_login(staff)
    changelist = reverse("admin:accounts_upgraderequest_changelist")
    client.post(changelist, {"action": "decline", "_selected_action": [request.pk]})
    owner.refresh_from_db()
    request.refresh_from_db()
    assert owner.subscription_tier == "free" and request.status == UpgradeStatus.DECLINED
    client.force_login(owner)
    assert "Declined" in client.get(PLANS).content.decode()


def test_writers_cannot_reach_the_upgrade_admin(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:accounts_upgraderequest_changelist"))
    assert response.status_code in (302, 403)
