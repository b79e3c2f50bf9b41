"""A unit head does not finish the self-assessment with blank criteria by accident: the blank ones
are listed and finishing needs an explicit confirmation; once finished, the sheet says what
happens next and how to change it."""

from django.urls import reverse

from scoring.models import Assessment, CriterionScore
from scoring.services import sheet_save
from scoring.workflow import State

from .sheet_helpers import sheet_url


def finish(client, assessment, **extra):
    data = {"to_state": State.SELF_ASSESSED, **extra}
    return client.post(reverse("scoring:transition", args=[assessment.pk]), data, follow=True)


def score(assessment, user, values: dict[str, dict]):
    criteria = {c.code: c for c in assessment.framework.criteria.filter(is_leaf=True)}
    sheet_save(
        assessment=assessment,
        user=user,
        version=Assessment.objects.get(pk=assessment.pk).version,
        rows={criteria[code].pk: v for code, v in values.items()},
    )


def test_finishing_with_blank_criteria_is_refused_and_lists_them(client, unit_head, assessment):
    score(assessment, unit_head, {"1.1": {"self_points": 3, "self_explanation": "KH số 5"}})
    client.force_login(unit_head)
    page = finish(client, assessment).content.decode()
    assert Assessment.objects.get(pk=assessment.pk).state == State.DRAFT
    assert "Chưa hoàn thành: 2 tiêu chí chưa tự chấm điểm (1.2, 2.1)." in page


def test_the_sheet_lists_the_blank_criteria_beside_the_finish_button(client, unit_head, assessment):
    client.force_login(unit_head)
    page = client.get(sheet_url(assessment)).content.decode()
    assert "3 tiêu chí chưa tự chấm điểm: 1.1, 1.2, 2.1." in page
    assert 'name="confirm_blank" value="3"' in page


def test_finishing_with_blank_criteria_takes_an_explicit_confirmation(
    client, unit_head, assessment
):
    score(assessment, unit_head, {"1.1": {"self_points": 3, "self_explanation": "KH số 5"}})
    client.force_login(unit_head)
    # A confirmation given for another list (the sheet changed since) is not one for this list.
    finish(client, assessment, confirm_blank="3")
    assert Assessment.objects.get(pk=assessment.pk).state == State.DRAFT
    page = finish(client, assessment, confirm_blank="2").content.decode()
    assert Assessment.objects.get(pk=assessment.pk).state == State.SELF_ASSESSED
    assert "Bước tiếp theo: bấm “Gửi thẩm định”" in page


def test_a_complete_self_assessment_finishes_without_confirmation(client, unit_head, assessment):
    score(
        assessment,
        unit_head,
        {
            "1.1": {"self_points": 3, "self_explanation": "KH số 5"},
            "1.2": {"self_points": 2, "self_explanation": "BC số 7"},
            "2.1": {"self_points": 4, "self_explanation": "Tỷ lệ 100%"},
        },
    )
    client.force_login(unit_head)
    finish(client, assessment)
    assert Assessment.objects.get(pk=assessment.pk).state == State.SELF_ASSESSED


def test_a_criterion_marked_not_applicable_is_not_blank(client, unit_head, assessment):
    score(assessment, unit_head, {"1.1": {"self_points": 3}, "1.2": {"self_points": 2}})
    # Staff mark a criterion not applicable (an appraisal field): the unit has nothing to score.
    c21 = assessment.framework.criteria.get(code="2.1")
    CriterionScore.objects.create(
        assessment=assessment,
        criterion=c21,
        component_id=c21.component_id,
        max_points=c21.max_points,
        not_applicable=True,
    )
    client.force_login(unit_head)
    page = client.get(sheet_url(assessment)).content.decode()
    assert "chưa tự chấm điểm" not in page and "confirm_blank" not in page


def test_after_finishing_the_sheet_says_what_next_and_how_to_reopen(client, unit_head, assessment):
    assessment.state = State.SELF_ASSESSED
    assessment.save()
    client.force_login(unit_head)
    page = client.get(sheet_url(assessment)).content.decode()
    assert "Đã hoàn thành tự đánh giá; bảng điểm chỉ còn xem." in page
    assert "Mở lại để sửa tự đánh giá" in page  # the button it names is there
    assert reverse("scoring:transition", args=[assessment.pk]) in page


def test_a_published_sheet_tells_the_unit_how_to_ask_for_reopening(client, unit_head, assessment):
    assessment.state = State.PUBLISHED
    assessment.save()
    client.force_login(unit_head)
    page = client.get(sheet_url(assessment)).content.decode()
    assert "Cần sửa: gửi “Đề nghị mở lại” ở cuối trang" in page
    assert reverse("scoring:reopen_request", args=[assessment.pk]) in page


def test_staff_do_not_get_the_units_next_steps(client, staff, assessment):
    assessment.state = State.SELF_ASSESSED
    assessment.save()
    client.force_login(staff)
    page = client.get(sheet_url(assessment)).content.decode()
    assert "Đã hoàn thành tự đánh giá; bảng điểm chỉ còn xem." not in page
