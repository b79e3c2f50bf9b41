"""Bulk moves along the workflow: the service, the `transition` command and the pages."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.errors import DomainError
from scoring.models import Assessment, StateChange
from scoring.services.accounts import IMPORT_USERNAME
from scoring.services.bulk import bulk_transition_apply, bulk_transition_plan
from scoring.workflow import State

from .factories import UnitFactory, make_assessment, make_user
from .sheet_helpers import score_write


@pytest.fixture
def round_(period, framework, group):
    """Four departments of 2024: two drafts, one self-assessed, one submitted."""
    units = [UnitFactory(code=f"so-{i}", name=f"Sở {i}") for i in range(1, 5)]
    states = [State.DRAFT, State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED]
    return [
        make_assessment(u, period, framework, group, state=s)
        for u, s in zip(units, states, strict=True)
    ]


def _states():
    return dict(Assessment.objects.values_list("unit__code", "state"))


def test_the_plan_moves_what_the_workflow_allows_and_says_why_not_the_rest(round_, staff):
    plan = bulk_transition_plan(
        assessments=Assessment.objects.all(), to_state=State.SELF_ASSESSED, user=staff
    )
    assert sorted(a.unit.code for a in plan.moves) == ["so-1", "so-2"]
    assert [a.unit.code for a in plan.unchanged] == ["so-3"]
    # submitted → self_assessed is a return: allowed to staff, but with a reason.
    assert [(r.assessment.unit.code, r.reasons) for r in plan.refused] == [
        ("so-4", ["Cần nêu lý do khi trả lại bản đánh giá."])
    ]
    plan = bulk_transition_plan(
        assessments=Assessment.objects.all(), to_state=State.SELF_ASSESSED, user=staff, reason="x"
    )
    assert sorted(a.unit.code for a in plan.moves) == ["so-1", "so-2", "so-4"]
    plan = bulk_transition_plan(
        assessments=Assessment.objects.all(), to_state=State.SUBMITTED, user=staff
    )
    assert [a.unit.code for a in plan.moves] == ["so-3"]
    refused = {r.assessment.unit.code: r.reasons for r in plan.refused}
    assert refused == {
        "so-1": ["Quy trình không cho chuyển từ “Đang soạn” sang “Đã gửi thẩm định”."],
        "so-2": ["Quy trình không cho chuyển từ “Đang soạn” sang “Đã gửi thẩm định”."],
    }


def test_a_role_without_the_move_is_refused_with_the_reason(round_, unit_head, leader):
    plan = bulk_transition_plan(
        assessments=Assessment.objects.filter(state=State.SUBMITTED),
        to_state=State.APPRAISED,
        user=unit_head,
    )
    assert not plan.moves
    assert plan.refused[0].reasons == [
        "Vai trò của bạn không được chuyển từ “Đã gửi thẩm định” sang “Đã thẩm định”."
    ]
    plan = bulk_transition_plan(
        assessments=Assessment.objects.filter(state=State.DRAFT),
        to_state=State.SELF_ASSESSED,
        user=leader,
    )
    assert not plan.moves and len(plan.refused) == 2


def test_the_submit_check_refuses_a_unit_without_its_explanations(round_, staff, framework):
    draft = round_[0]
    leaf = framework.criteria.get(code="1.1")  # evidence required
    score_write(assessment=draft, criterion=leaf, user=staff, self_points=Decimal("3"))
    draft.state = State.SELF_ASSESSED
    draft.save()
    plan = bulk_transition_plan(
        assessments=Assessment.objects.filter(state=State.SELF_ASSESSED),
        to_state=State.SUBMITTED,
        user=staff,
    )
    assert [a.unit.code for a in plan.moves] == ["so-3"]
    (refusal,) = plan.refused
    assert refusal.assessment.unit.code == "so-1"
    assert "1.1" in refusal.reasons[0] and "giải thích cách tự chấm" in refusal.reasons[0]
    with pytest.raises(DomainError, match=r"1\.1"):
        bulk_transition_apply(
            assessment_ids=[a.pk for a in round_[:3]], to_state=State.SUBMITTED, user=staff
        )


def test_publication_is_not_a_bulk_move(round_, staff):
    plan = bulk_transition_plan(
        assessments=Assessment.objects.all(), to_state=State.PUBLISHED, user=staff
    )
    assert plan.errors and "published" not in plan.errors[0].split(":")[1]
    assert not plan.moves


def test_apply_moves_all_and_records_each_move_with_its_user(round_, staff):
    ids = [a.pk for a in round_[:2]]
    bulk_transition_apply(assessment_ids=ids, to_state=State.SELF_ASSESSED, user=staff)
    assert _states() == {
        "so-1": "self_assessed",
        "so-2": "self_assessed",
        "so-3": "self_assessed",
        "so-4": "submitted",
    }
    changes = StateChange.objects.filter(assessment_id__in=ids)
    assert (
        sorted(changes.values_list("from_state", "to_state", "by"))
        == [("draft", "self_assessed", staff.pk)] * 2
    )


def test_apply_moves_nothing_when_one_may_no_longer_move(round_, staff):
    ids = [a.pk for a in round_[:3]]  # so-3 is already self-assessed: that one is left alone
    bulk_transition_apply(assessment_ids=ids, to_state=State.SELF_ASSESSED, user=staff)
    assert StateChange.objects.count() == 2
    StateChange.objects.all().delete()
    # so-4 is submitted: moving it to draft is not a workflow step, so the whole batch stays.
    Assessment.objects.filter(pk=round_[0].pk).update(state=State.SELF_ASSESSED)
    with pytest.raises(DomainError, match="Sở 4"):
        bulk_transition_apply(
            assessment_ids=[round_[0].pk, round_[3].pk], to_state=State.DRAFT, user=staff
        )
    assert _states()["so-1"] == "self_assessed"
    assert not StateChange.objects.exists()


# --- the command ---------------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_moves_as_the_import_account_and_lists_refusals(round_):
    out, err = run("transition", "--period", "2024", "--to", "self_assessed")
    assert "Đã chuyển 2 bản đánh giá" in out and IMPORT_USERNAME in out
    assert "Từ chối so-4: Cần nêu lý do" in err
    assert set(StateChange.objects.values_list("by__username", flat=True)) == {IMPORT_USERNAME}
    out, err = run("transition", "--period", "2024", "--to", "submitted")
    assert _states() == dict.fromkeys(("so-1", "so-2", "so-3", "so-4"), "submitted")
    # Run again: nothing left to move, nothing refused.
    out, err = run("transition", "--period", "2024", "--to", "submitted")
    assert "Đã chuyển 0" in out and "4 đã ở trạng thái này" in out and not err


def test_the_command_takes_units_a_user_and_a_reason(round_, staff):
    with pytest.raises(CommandError, match="khong-co"):
        run("transition", "--period", "2024", "--to", "self_assessed", "--unit", "khong-co")
    with pytest.raises(CommandError, match="ai-do"):
        run("transition", "--period", "2024", "--to", "self_assessed", "--user", "ai-do")
    out, err = run("transition", "--period", "2024", "--to", "self_assessed", "--unit", "so-4")
    assert "Đã chuyển 0" in out and "Cần nêu lý do" in err
    run(
        "transition", "--period", "2024", "--to", "self_assessed", "--unit", "so-4",
        "--user", staff.username, "--reason", "Bổ sung tài liệu",
    )  # fmt: skip
    change = StateChange.objects.get()
    assert (change.assessment.unit.code, change.by, change.reason) == (
        "so-4",
        staff,
        "Bổ sung tài liệu",
    )
    assert _states()["so-1"] == "draft"


def test_the_command_refuses_a_role_that_may_not_move(round_):
    leader = make_user("leadership", username="lanhdao")
    out, err = run("transition", "--period", "2024", "--to", "self_assessed", "--user", "lanhdao")
    assert "Đã chuyển 0" in out and err.count("Vai trò của bạn") == 3
    assert leader and not StateChange.objects.exists()


def test_strict_and_dry_run_move_nothing(round_):
    with pytest.raises(CommandError, match="--strict"):
        run("transition", "--period", "2024", "--to", "self_assessed", "--strict")
    out, _err = run("transition", "--period", "2024", "--to", "self_assessed", "--dry-run")
    assert "Sẽ chuyển so-1" in out and "Chưa ghi gì" in out
    assert not StateChange.objects.exists()
    assert _states()["so-1"] == "draft"


def test_the_command_filters_by_group_and_state(round_, group):
    other = UnitFactory(code="so-khac", name="Sở khác")
    make_assessment(other, round_[0].period, round_[0].framework)  # in no group
    run("transition", "--period", "2024", "--to", "self_assessed", "--group", group.code,
        "--from-state", "draft")  # fmt: skip
    assert _states() == {
        "so-1": "self_assessed",
        "so-2": "self_assessed",
        "so-3": "self_assessed",
        "so-4": "submitted",
        "so-khac": "draft",
    }


# --- the pages -----------------------------------------------------------------------------------


def _url(period):
    return reverse("scoring:bulk_transition", kwargs={"year": period.year})


def test_the_confirmation_page_lists_moves_and_refusals(client, round_, staff, period):
    client.force_login(staff)
    ids = [a.pk for a in round_]
    response = client.get(_url(period), {"a": ids, "to": "submitted"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sở 3" in page and "Quy trình không cho chuyển từ" in page
    assert "Sở 4" in page  # already submitted: shown as unchanged
    response = client.post(
        _url(period), {"a": [round_[2].pk], "to": "submitted", "period": period.year}
    )
    assert response.status_code == 302
    assert _states()["so-3"] == "submitted"
    assert StateChange.objects.get().by == staff


def test_everything_the_filter_shows_is_chosen(client, round_, staff, period):
    client.force_login(staff)
    response = client.get(_url(period), {"all": "1", "trang_thai": "draft", "to": "self_assessed"})
    page = response.content.decode()
    assert "Sở 1" in page and "Sở 2" in page and "Sở 3" not in page
    ids = [int(v) for v in response.context["plan"].ids]
    assert sorted(ids) == [round_[0].pk, round_[1].pk]


def test_a_stale_confirmation_moves_nothing_and_shows_why(client, round_, staff, period):
    client.force_login(staff)
    Assessment.objects.filter(pk=round_[0].pk).update(state=State.SUBMITTED)
    response = client.post(
        _url(period), {"a": [round_[0].pk, round_[1].pk], "to": "self_assessed"}, follow=True
    )
    page = response.content.decode()
    assert "Sở 1" in page and "Không bản nào được chuyển" in page and "Cần nêu lý do" in page
    assert not StateChange.objects.exists()


def test_a_unit_head_cannot_move_in_bulk(client, round_, unit_head, period):
    client.force_login(unit_head)
    assert client.get(_url(period), {"all": "1", "to": "self_assessed"}).status_code == 403
    client.post(_url(period), {"a": [round_[0].pk], "to": "self_assessed"})
    assert not StateChange.objects.exists()


def test_the_list_offers_bulk_moves_to_staff_only(client, round_, staff, unit_head, period):
    client.force_login(staff)
    page = client.get(reverse("scoring:assessment_list"), {"period": 2024}).content.decode()
    assert page.count('name="a"') == 4 and _url(period) in page
    assert reverse("scoring:round_open") in page
    client.force_login(unit_head)
    page = client.get(reverse("scoring:assessment_list"), {"period": 2024}).content.decode()
    assert 'name="a"' not in page and _url(period) not in page
    assert reverse("scoring:round_open") not in page


def test_a_long_choice_travels_in_one_field_and_the_review_keeps_the_filter(
    client, round_, staff, period
):
    client.force_login(staff)
    page = client.get(
        _url(period), {"all": "1", "trang_thai": "draft", "to": "self_assessed"}
    ).content.decode()
    assert 'name="all" value="1"' in page and 'name="trang_thai" value="draft"' in page
    ids = f"{round_[0].pk},{round_[1].pk}"
    assert f'name="ids" value="{ids}"' in page
    client.post(_url(period), {"ids": ids, "to": "self_assessed"})
    assert StateChange.objects.filter(by=staff).count() == 2
