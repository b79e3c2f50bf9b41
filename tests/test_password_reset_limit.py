"""The password reset form is rate limited per address and per e-mail address, with a translated
message, and the same answer whether or not the e-mail has an account."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

RESET = "password_reset"


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()  # the next test's resets start from zero


@pytest.fixture
def canbo(staff):
    staff.email = "canbo@snv.gov.vn"
    staff.save()
    return staff


def ask(client, email, ip="10.0.0.1"):
    return client.post(reverse(RESET), {"email": email}, REMOTE_ADDR=ip)


def test_a_fourth_request_for_one_address_within_the_hour_is_refused(client, canbo, settings):
    assert settings.PASSWORD_RESET_LIMIT_PER_EMAIL == 3
    for n in range(3):
        response = ask(client, "canbo@snv.gov.vn", ip=f"10.0.0.{n + 1}")
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    response = ask(client, "CanBo@snv.gov.vn", ip="10.0.0.9")  # another machine, same inbox
    assert response.status_code == 429
    assert "quá nhiều yêu cầu đặt lại mật khẩu" in response.content.decode()
    assert "thử lại sau 60 phút" in response.content.decode()
    assert len(mail.outbox) == 3


def test_one_machine_cannot_ask_for_many_addresses(client, canbo, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 5
    for n in range(5):
        assert ask(client, f"nguoi{n}@snv.gov.vn").status_code == 302
    assert ask(client, "canbo@snv.gov.vn").status_code == 429
    assert mail.outbox == []  # none of the five had an account; the sixth was refused
    # Another machine is not held back by this one.
    assert ask(client, "canbo@snv.gov.vn", ip="10.0.0.2").status_code == 302
    assert len(mail.outbox) == 1


def test_the_limit_answers_alike_for_known_and_unknown_addresses(client, canbo):
    for email in ("canbo@snv.gov.vn", "khong-co@snv.gov.vn"):
        statuses = [ask(client, email, ip=f"10.1.0.{n}").status_code for n in range(4)]
        assert statuses == [302, 302, 302, 429], email


def test_the_message_is_translated(client, canbo):
    client.cookies["django_language"] = "en"
    for n in range(3):
        ask(client, "canbo@snv.gov.vn", ip=f"10.2.0.{n}")
    response = ask(client, "canbo@snv.gov.vn", ip="10.2.0.9")
    assert response.status_code == 429
    assert "too many password reset requests" in response.content.decode()
