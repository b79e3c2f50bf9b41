import re

import pytest
from django.core import mail
from django.urls import reverse

LOGIN = "/dang-nhap/"


@pytest.fixture
def canbo(staff):
    staff.set_password("dung-mat-khau-1")
    staff.email = "canbo@snv.gov.vn"
    staff.save()
    return staff


def test_repeated_failed_logins_lock_the_account_even_with_the_right_password(client, canbo):
    for _ in range(4):
        response = client.post(LOGIN, {"username": "canbo", "password": "sai"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # The fifth failure locks the name from this address.
    assert client.post(LOGIN, {"username": "canbo", "password": "sai"}).status_code == 429
    response = client.post(LOGIN, {"username": "canbo", "password": "dung-mat-khau-1"})
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_login_goes_home(client, canbo):
    response = client.post(LOGIN, {"username": "canbo", "password": "dung-mat-khau-1"})
    assert response.status_code == 302 and response.url == reverse("home")


def test_logout_is_a_post_and_ends_the_session(client, canbo):
    client.force_login(canbo)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_change_needs_the_old_password(client, canbo):
    client.force_login(canbo)
    url = reverse("password_change")
    response = client.post(
        url,
        {
            "old_password": "sai",
            "new_password1": "Mat-khau-moi-2026",
            "new_password2": "Mat-khau-moi-2026",
        },
    )
    assert response.status_code == 200
    canbo.refresh_from_db()
    assert canbo.check_password("dung-mat-khau-1")
    response = client.post(
        url,
        {
            "old_password": "dung-mat-khau-1",
            "new_password1": "Mat-khau-moi-2026",
            "new_password2": "Mat-khau-moi-2026",
        },
    )
    assert response.status_code == 302
    canbo.refresh_from_db()
    assert canbo.check_password("Mat-khau-moi-2026")


def test_password_reset_mails_a_working_link(client, canbo):
    client.post(reverse("password_reset"), {"email": "canbo@snv.gov.vn"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/dat-lai-mat-khau/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"}
    )
    canbo.refresh_from_db()
    assert canbo.check_password("Mat-khau-moi-2026")


def test_pages_carry_a_content_security_policy_of_the_apps_own_files(client, canbo):
    client.force_login(canbo)
    policy = client.get(reverse("home")).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src")[0]


def test_a_unit_head_never_enters_the_admin_even_when_flagged_staff(client, unit_head):
    unit_head.is_staff = True
    unit_head.save()
    client.force_login(unit_head)
    response = client.get(reverse("admin:scoring_assessment_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_leadership_browses_the_admin_read_only(client, leader, assessment):
    leader.is_staff = True
    leader.save()
    client.force_login(leader)
    assert client.get(reverse("admin:scoring_assessment_changelist")).status_code == 200
    assert client.get(reverse("admin:scoring_assessment_add")).status_code == 403
    change = client.post(
        reverse("admin:scoring_assessment_change", args=[assessment.pk]), {"state": "locked"}
    )
    assert change.status_code == 403


def test_staff_cannot_manage_users_and_roles(client, staff):
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:units_unithead_changelist")).status_code == 403
    assert client.get(reverse("admin:units_unit_changelist")).status_code == 200


def test_the_admin_role_manages_users_with_their_unit(client, admin_user, unit_head):
    client.force_login(admin_user)
    page = client.get(reverse("admin:auth_user_change", args=[unit_head.pk]))
    assert page.status_code == 200
    assert "Sở Tư pháp" in page.content.decode()


def test_a_session_expires_after_its_age(client, canbo, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.post(LOGIN, {"username": "canbo", "password": "dung-mat-khau-1"})
    assert client.get(reverse("home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
