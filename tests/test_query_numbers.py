"""Numbers in query strings: a number too large for any id, page or year is a 400 (or a 404), a
negative, zero or non-numeric one is explained or ignored, and none of them is ever a 500."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from core.params import MAX_QUERY_INT, NumberTooLarge, positive_int, positive_ints

from .reports_support import demo, stored, unit, user

__all__ = ["demo"]

HUGE = "99999999999999999999"
TOO_LARGE = (HUGE, str(MAX_QUERY_INT + 1))
BAD = [*TOO_LARGE, "-5", "0", "abc", "²", "1e5", " 7 "]
# Read by a Django form with bounds (the round's year): answered with the form's error.
FORM_FIELDS = {"year", "copy_groups_from"}
ROLES = ["canbo.snv", "lanhdao", "thutruong.stp"]


def _cases() -> list[tuple[str, dict, list[str]]]:
    """(url, valid query, the integer parameters of that URL) for every list, report, export and
    API URL that reads a number from its query string."""
    me = unit("so-tu-phap").pk
    climber = stored(2023, "khoi-so")[6].assessment.unit_id
    base = {"period": "2023", "group": "khoi-so"}
    return [
        (
            reverse("reports:ranking"),
            {**base, "page": "1", "version": "1"},
            ["page", "version", "period"],
        ),
        (reverse("reports:heatmap"), {**base, "version": "1"}, ["version", "period"]),
        (reverse("reports:comparison"), {**base, "page": "1"}, ["page", "version", "period"]),
        (reverse("reports:deductions"), base, ["version", "period"]),
        (reverse("reports:climb"), {**base, "unit": str(climber)}, ["unit", "version"]),
        (reverse("reports:unit", args=[me]), {"period": "2023"}, ["version", "period"]),
        (reverse("reports:export", args=["ranking", "csv"]), base, ["version", "period"]),
        (reverse("reports:export", args=["comparison", "xlsx"]), base, ["version"]),
        (reverse("reports:export", args=["climb", "csv"]), {**base, "unit": str(me)}, ["unit"]),
        (
            reverse("reports:export", args=["unit", "csv"]),
            {"period": "2023", "unit": str(me)},
            ["unit"],
        ),
        (
            reverse("reports:api_results"),
            {**base, "page": "1", "page_size": "10"},
            ["page", "page_size", "version", "period"],
        ),
        (reverse("scoring:assessment_list"), {"period": "2024"}, ["period", "khoi"]),
        (reverse("scoring:gap_report"), {"period": "2024"}, ["period"]),
        (
            reverse("scoring:bulk_transition", args=[2024]),
            {"to": "appraised", "all": "1"},
            ["khoi"],
        ),
        (reverse("scoring:bulk_transition", args=[2024]), {"to": "appraised"}, ["a", "ids"]),
        (reverse("scoring:round_open"), {"year": "2025"}, ["year", "copy_groups_from"]),
    ]


def _get(client, url, query):
    """One request in its own savepoint: a database error must show as this request's 500, not
    poison the ones after it."""
    sid = transaction.savepoint()
    try:
        return client.get(url, query)
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.usefixtures("demo")
def test_no_number_in_a_query_string_is_a_server_error(db, client):
    client.raise_request_exception = False
    tried = 0
    for role in ROLES:
        client.force_login(user(role))
        for url, query, names in _cases():
            if _get(client, url, query).status_code != 200:
                continue  # not this role's page
            for name in names:
                for value in BAD:
                    response = _get(client, url, {**query, name: value})
                    where = (role, url, name, value, response.status_code)
                    tried += 1
                    assert response.status_code != 500, where
                    if value in TOO_LARGE and name in FORM_FIELDS:
                        # A form's number field: the form is shown again with its error.
                        assert name in response.context["form"].errors, where
                    elif value in TOO_LARGE:
                        assert response.status_code in (400, 404), where
                    else:
                        assert response.status_code in (200, 400, 404), where
    assert tried > 300


@pytest.mark.usefixtures("demo")
def test_the_reported_urls_answer_400_with_a_translated_page(db, client):
    client.raise_request_exception = False
    client.force_login(user("lanhdao"))
    for url in (
        f"/bao-cao/nang-hang/?unit={HUGE}",
        f"/bao-cao/so-sanh/?page={HUGE}",
        f"/cham-diem/?khoi={HUGE}",
    ):
        response = _get(client, url, {})
        assert response.status_code == 400, url
        assert "Yêu cầu không hợp lệ" in response.content.decode()
    response = _get(client, f"/bao-cao/api/v1/results/?page={HUGE}", {})
    assert response.status_code == 400 and "«page» phải là số nguyên" in response.json()["error"]
    response = _get(client, f"/bao-cao/api/v1/results/?period={HUGE}", {})
    assert response.status_code == 400 and "quá lớn" in response.json()["error"]
    # Too large in a path: not found.
    assert _get(client, f"/bao-cao/don-vi/{HUGE}/", {}).status_code == 404
    assert _get(client, f"/cham-diem/{HUGE}/", {}).status_code == 404


@pytest.mark.usefixtures("demo")
def test_a_bad_small_number_is_still_explained_on_the_page(db, client):
    client.force_login(user("lanhdao"))
    response = client.get(reverse("reports:climb"), {"period": "2023", "unit": "-5"})
    assert response.status_code == 200
    assert "Giá trị «-5» của đơn vị không hợp lệ." in response.content.decode()


def test_positive_int_reads_only_plain_ascii_whole_numbers():
    assert positive_int("42") == 42 and positive_int(" 7 ") == 7
    assert positive_int(str(MAX_QUERY_INT)) == MAX_QUERY_INT
    for raw in ("", None, "0", "-5", "abc", "²", "١٢", "1e5", "4.5"):
        assert positive_int(raw) is None, raw
    assert positive_int("0" * 30 + "1") == 1
    for raw in (HUGE, str(MAX_QUERY_INT + 1), "9" * 5000):
        with pytest.raises(NumberTooLarge):
            positive_int(raw, name="unit")
    assert positive_ints(["3", "x", "-1", "5"]) == [3, 5]
