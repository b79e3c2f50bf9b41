"""Opening a year's round (open_period) and copying frameworks forward (copy_framework)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.errors import DomainError
from indicators.models import Criterion, Framework
from scoring.models import Assessment, Period
from scoring.services.accounts import IMPORT_USERNAME, command_user, import_account
from scoring.services.rounds import round_open, round_plan
from scoring.workflow import State
from units.models import GroupMembership, UnitKind

from .factories import RankingGroupFactory, UnitFactory, make_user, small_framework


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def province(db):
    """2024: three departments in khoi-so (one closed at the end of 2024), two districts in
    khoi-huyen; a department created in 2025 in no group yet. Frameworks of 2024 for both kinds."""
    so = RankingGroupFactory(code="khoi-so", name="Khối sở", unit_kind=UnitKind.DEPARTMENT)
    huyen = RankingGroupFactory(code="khoi-huyen", name="Khối huyện", unit_kind=UnitKind.DISTRICT)
    units = {
        "so-a": UnitFactory(code="so-a", name="Sở A"),
        "so-b": UnitFactory(code="so-b", name="Sở B"),
        "so-cu": UnitFactory(code="so-cu", name="Sở cũ", active_to_year=2024),
        "huyen-a": UnitFactory(code="huyen-a", name="Huyện A", kind=UnitKind.DISTRICT),
        "huyen-b": UnitFactory(code="huyen-b", name="Huyện B", kind=UnitKind.DISTRICT),
        "so-moi": UnitFactory(code="so-moi", name="Sở mới", active_from_year=2025),
    }
    for code in ("so-a", "so-b", "so-cu"):
        GroupMembership.objects.create(unit=units[code], group=so, year=2024)
    for code in ("huyen-a", "huyen-b"):
        GroupMembership.objects.create(unit=units[code], group=huyen, year=2024)
    small_framework(2024, UnitKind.DEPARTMENT)
    small_framework(2024, UnitKind.DISTRICT)
    return {"units": units, "so": so, "huyen": huyen}


def _counts():
    return (
        Period.objects.count(),
        GroupMembership.objects.count(),
        Assessment.objects.count(),
        Framework.objects.count(),
    )


def test_open_period_copies_groups_of_active_units_and_creates_one_draft_each(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    out, _err = run(
        "open_period",
        "--year",
        "2025",
        "--copy-groups-from",
        "2024",
        "--self-deadline",
        "31/10/2025",
        "--appraisal-deadline",
        "2025-11-30",
    )
    period = Period.objects.get(year=2025)
    assert period.status == Period.Status.OPEN
    assert period.self_assessment_deadline == datetime.date(2025, 10, 31)
    assert period.appraisal_deadline == datetime.date(2025, 11, 30)
    groups = dict(
        GroupMembership.objects.filter(year=2025).values_list("unit__code", "group__code")
    )
    # so-cu closed in 2024: not copied; so-moi is new and in no group: named, not assessed.
    assert groups == {
        "so-a": "khoi-so",
        "so-b": "khoi-so",
        "huyen-a": "khoi-huyen",
        "huyen-b": "khoi-huyen",
    }
    assessments = Assessment.objects.filter(period=period).select_related("unit", "framework")
    assert sorted(a.unit.code for a in assessments) == ["huyen-a", "huyen-b", "so-a", "so-b"]
    for a in assessments:
        assert a.state == State.DRAFT
        assert (a.framework.year, a.framework.unit_kind) == (2025, a.unit.kind)
    assert "4 bản đánh giá mới" in out
    assert "so-cu" in out and "so-moi" in out


def test_opening_twice_creates_nothing_and_says_so(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    run("open_period", "--year", "2025", "--copy-groups-from", "2024")
    before = _counts()
    history_before = Assessment.history.count()
    out, _err = run("open_period", "--year", "2025", "--copy-groups-from", "2024")
    assert _counts() == before
    assert Assessment.history.count() == history_before
    assert "không có gì mới để tạo (4 bản đánh giá đã có)" in out


def test_a_second_opening_adds_only_what_is_new(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    run("open_period", "--year", "2025", "--copy-groups-from", "2024")
    # The new department gets its group for 2025 (as an import would): the next run assesses it.
    GroupMembership.objects.create(
        unit=province["units"]["so-moi"], group=province["so"], year=2025
    )
    out, _err = run("open_period", "--year", "2025")
    assert "1 bản đánh giá mới" in out
    assert Assessment.objects.filter(period__year=2025).count() == 5


def test_a_missing_framework_is_named_and_nothing_is_created(province):
    call_command(
        "copy_framework", "--from", "2024", "--to", "2025", "--kind", "department",
        stdout=io.StringIO(),
    )  # fmt: skip
    before = _counts()
    with pytest.raises(CommandError, match="không có gì được ghi"):
        run("open_period", "--year", "2025", "--copy-groups-from", "2024")
    assert _counts() == before
    with pytest.raises(DomainError) as exc:
        round_open(year=2025, copy_groups_from=2024)
    message = " ".join(exc.value.messages)
    assert "Quận, huyện, thị xã" in message and "2 đơn vị" in message
    assert "Sở, ban, ngành" not in message
    assert _counts() == before


def test_a_year_without_groups_is_refused_with_a_hint(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    plan = round_plan(year=2025)
    assert plan.errors and "chưa có đơn vị nào thuộc khối" in plan.errors[0]
    with pytest.raises(CommandError):
        run("open_period", "--year", "2025")
    assert not Period.objects.filter(year=2025).exists()


def test_deadlines_in_the_wrong_order_and_bad_dates_are_refused(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    with pytest.raises(DomainError, match="Hạn thẩm định không được trước hạn tự đánh giá"):
        round_open(
            year=2025,
            copy_groups_from=2024,
            self_deadline=datetime.date(2025, 11, 1),
            appraisal_deadline=datetime.date(2025, 10, 1),
        )
    with pytest.raises(CommandError, match="không phải là ngày"):
        run("open_period", "--year", "2025", "--self-deadline", "31/13/2025")
    assert not Period.objects.filter(year=2025).exists()


def test_a_published_period_is_not_reopened(province):
    Period.objects.create(year=2024, name="2024", status=Period.Status.PUBLISHED)
    plan = round_plan(year=2024)
    assert any("không mở lại được" in e for e in plan.errors)


def test_a_confirmation_of_an_older_preview_is_refused(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    token = round_plan(year=2025, copy_groups_from=2024).token
    GroupMembership.objects.create(
        unit=province["units"]["so-moi"], group=province["so"], year=2025
    )
    with pytest.raises(DomainError, match="đã thay đổi"):
        round_open(year=2025, copy_groups_from=2024, expected_token=token)
    assert not Period.objects.filter(year=2025).exists()


def test_new_assessments_carry_their_creator_in_history(province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    staff = make_user("interior_staff", username="canbo")
    round_open(year=2025, copy_groups_from=2024, user=staff)
    users = set(Assessment.history.filter(period__year=2025).values_list("history_user", flat=True))
    assert users == {staff.pk}


def test_copy_framework_keeps_the_criterion_links_and_skips_kinds_already_there(province):
    out, _err = run("copy_framework", "--from", "2024", "--to", "2025", "--kind", "district")
    assert "đã sao chép" in out
    out, _err = run("copy_framework", "--from", "2024", "--to", "2025")
    assert "giữ nguyên" in out and "đã sao chép" in out
    for kind in (UnitKind.DEPARTMENT, UnitKind.DISTRICT):
        old = Framework.objects.get(year=2024, unit_kind=kind)
        new = Framework.objects.get(year=2025, unit_kind=kind)
        assert new.copied_from == old
        links = dict(
            Criterion.objects.filter(framework=new).values_list("code", "continues_from__code")
        )
        assert links == {c: c for c in ("1", "1.1", "1.2", "2", "2.1")}
        assert set(
            Criterion.objects.filter(framework=new).values_list(
                "continues_from__framework", flat=True
            )
        ) == {old.pk}
    assert Framework.objects.filter(year=2025).count() == 2


def test_copy_framework_names_a_missing_source(province):
    with pytest.raises(CommandError, match="commune"):
        run("copy_framework", "--from", "2024", "--to", "2025", "--kind", "commune")
    with pytest.raises(CommandError, match="không có bộ chỉ số nào"):
        run("copy_framework", "--from", "2019", "--to", "2025")
    assert not Framework.objects.filter(year=2025).exists()


def test_the_import_account_is_created_once_without_a_usable_password(db):
    user = import_account()
    assert user.username == IMPORT_USERNAME
    assert not user.has_usable_password()
    assert not user.is_superuser and not user.is_staff
    assert user.groups.filter(name="interior_staff").exists()
    assert import_account().pk == user.pk
    assert command_user(None).pk == user.pk
    with pytest.raises(DomainError, match="khong-co"):
        command_user("khong-co")


def test_a_kind_left_out_is_not_assessed_and_said_so(province):
    call_command(
        "copy_framework", "--from", "2024", "--to", "2025", "--kind", "department",
        stdout=io.StringIO(),
    )  # fmt: skip
    out, _err = run(
        "open_period", "--year", "2025", "--copy-groups-from", "2024",
        "--leave-out-kind", "district",
    )  # fmt: skip
    assert sorted(Assessment.objects.values_list("unit__code", flat=True)) == ["so-a", "so-b"]
    assert "huyen-a" in out and "đã chọn bỏ qua" in out
    with pytest.raises(CommandError):
        run("open_period", "--year", "2025", "--leave-out-kind", "tinh-thanh")


# --- the page ------------------------------------------------------------------------------------


def test_the_page_previews_then_opens_on_confirmation(client, province):
    call_command("copy_framework", "--from", "2024", "--to", "2025", stdout=io.StringIO())
    staff = make_user("interior_staff", username="canbo")
    client.force_login(staff)
    form = client.get(reverse("scoring:round_open"))
    assert form.status_code == 200
    assert form.context["form"].initial == {"year": 2025, "copy_groups_from": 2024}
    query = {"year": "2025", "copy_groups_from": "2024", "self_deadline": "31/10/2025"}
    preview = client.get(reverse("scoring:round_open"), query)
    page = preview.content.decode()
    assert "4 bản mới" in page and "so-cu" in page and "Xác nhận mở kỳ" in page
    assert not Period.objects.filter(year=2025).exists()  # a preview writes nothing
    token = preview.context["plan"].token
    response = client.post(reverse("scoring:round_open"), {**query, "token": token})
    assert response.status_code == 302 and "period=2025" in response["Location"]
    period = Period.objects.get(year=2025)
    assert period.self_assessment_deadline == datetime.date(2025, 10, 31)
    assert Assessment.objects.filter(period=period).count() == 4
    # The same confirmation again: its preview is stale now, and nothing more is written.
    before = _counts()
    again = client.post(reverse("scoring:round_open"), {**query, "token": token})
    assert "đã thay đổi" in again.content.decode()
    assert _counts() == before


def test_the_page_names_the_missing_framework_and_offers_no_confirmation(client, province):
    client.force_login(make_user("interior_staff", username="canbo"))
    page = client.get(
        reverse("scoring:round_open"), {"year": "2025", "copy_groups_from": "2024"}
    ).content.decode()
    assert "Chưa có bộ chỉ số năm 2025" in page and "Sở, ban, ngành" in page
    assert "Xác nhận mở kỳ" not in page


def test_the_page_answers_a_bad_form_without_writing(client, province):
    client.force_login(make_user("interior_staff", username="canbo"))
    response = client.post(
        reverse("scoring:round_open"), {"year": "hai nghìn", "self_deadline": "32/01/2025"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"year", "self_deadline"}
    assert not Period.objects.exists()


def test_a_unit_head_cannot_open_a_round(client, province):
    client.force_login(make_user("unit_head", unit=province["units"]["so-a"], username="th"))
    assert client.get(reverse("scoring:round_open")).status_code == 403
    client.post(reverse("scoring:round_open"), {"year": "2025", "copy_groups_from": "2024"})
    assert not Period.objects.filter(year=2025).exists()


def test_the_preview_offers_to_copy_a_missing_framework_from_an_earlier_year(client, province):
    client.force_login(make_user("interior_staff", username="canbo"))
    query = "?year=2025&copy_groups_from=2024"
    preview = client.get(reverse("scoring:round_open") + query)
    kinds = {k.kind: k for k in preview.context["plan"].kinds}
    source = Framework.objects.get(year=2024, unit_kind=UnitKind.DISTRICT)
    assert kinds[UnitKind.DISTRICT].copy_source == source
    assert "Sao chép bộ chỉ số năm 2024" in preview.content.decode()
    response = client.post(
        reverse("scoring:framework_copy"),
        {"source": source.pk, "year": "2025", "next": reverse("scoring:round_open") + query},
    )
    assert response["Location"] == reverse("scoring:round_open") + query
    copy = Framework.objects.get(year=2025, unit_kind=UnitKind.DISTRICT)
    assert copy.copied_from == source
    # Twice: refused with the reason, nothing more; a foreign "next" is not followed.
    response = client.post(
        reverse("scoring:framework_copy"),
        {"source": source.pk, "year": "2025", "next": "https://example.org/"},
        follow=True,
    )
    assert "Đã có bộ chỉ số năm 2025" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("scoring:round_open")
    assert Framework.objects.filter(year=2025).count() == 1
