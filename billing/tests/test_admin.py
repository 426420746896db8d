"""Admin: tier and usage actions on users (through the services), usage log filters."""

from __future__ import annotations

import pytest

from billing.tests.helpers import counters, end_after_spending

USERS = "/admin/accounts/user/"
LOGS = "/admin/billing/usagelog/"


def act(client, action: str, *users):
    return client.post(
        USERS, {"action": action, "_selected_action": [u.pk for u in users], "index": 0}, follow=True
    )


@pytest.mark.parametrize(
    ("action", "tier", "gens", "cost"),
    [("set_tier_pro", "pro", 50, 100.0), ("set_tier_enterprise", "enterprise", None, None)],
)
def test_staff_changes_tier_with_its_limits(client, staff, owner, other_user, action, tier, gens, cost):
    client.force_login(staff)
    response = act(client, action, owner, other_user)
    assert response.status_code == 200
    assert "2 user(s) moved to" in response.content.decode()
    for user in (owner, other_user):
        user.refresh_from_db()
        assert (user.subscription_tier, user.monthly_generation_limit, user.monthly_cost_limit_usd) == (
            tier,
            gens,
            cost,
        )
    act(client, "set_tier_free", owner)
    owner.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.monthly_cost_limit_usd) == (
        "free",
        5,
        10.0,
    )


def test_staff_resets_usage_by_recounting(client, staff, owner, other_user, project, new_job):
    from accounts.models import User

    end_after_spending(new_job(owner, project), 2.0)
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=5, monthly_cost_used_usd=10.0)
    client.force_login(staff)
    response = act(client, "reset_usage", owner, other_user)
    assert "Recounted 2 user(s)" in response.content.decode() and "1 had drifted" in response.content.decode()
    assert counters(owner) == (1, 2.0)


def test_non_staff_cannot_use_the_admin(client, owner, other_user):
    client.force_login(owner)
    response = client.post(USERS, {"action": "set_tier_enterprise", "_selected_action": [owner.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    owner.refresh_from_db()
    assert owner.subscription_tier == "free"


def test_user_changelist_shows_this_months_use(client, staff, owner, project, new_job):
    end_after_spending(new_job(owner, project), 1.25)
    client.force_login(staff)
    html = client.get(USERS).content.decode()
    assert "1 / 5" in html and "$1.25 / $10.00" in html


def test_tier_edited_in_the_form_brings_its_limits(client, staff, owner):
    client.force_login(staff)
    url = f"/admin/accounts/user/{owner.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "last_login")}
    data.update({"subscription_tier": "pro", "is_active": "on", "created_at": "", "updated_at": ""})
    data = {k: v for k, v in data.items() if k not in ("created_at", "updated_at", "id")}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    owner.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.monthly_cost_limit_usd) == (
        "pro",
        50,
        100.0,
    )


def test_it_filters_usage_logs_for_staff_by_month_operation_user_and_project(
    client, staff, owner, other_user, make_project, new_job
):
    from django.utils import timezone

    mine, theirs = make_project(owner, "Mine"), make_project(other_user, "Theirs")
    end_after_spending(new_job(owner, mine), 1.0)
    end_after_spending(new_job(other_user, theirs), 2.0)
    client.force_login(staff)
    month = timezone.now().strftime("%Y-%m")
    for params, count in [
        ({}, 2),
        ({"month": month}, 2),
        ({"month": "2001-01"}, 0),
        ({"operation_type__exact": "generation"}, 2),
        ({"operation_type__exact": "planning"}, 0),
        ({"user__id__exact": owner.pk}, 1),
        ({"project__id__exact": theirs.pk}, 1),
    ]:
        response = client.get(LOGS, params)
        assert response.status_code == 200, params
        assert response.context["cl"].result_count == count, params
    html = client.get(LOGS).content.decode()
    assert "By month" in html and "By operation type" in html and "By user" in html and "By project" in html
