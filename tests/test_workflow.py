import pytest

from core.errors import DomainError, TransitionNotAllowed
from scoring.models import StateChange
from scoring.services import assessment_transition
from scoring.workflow import State

ALLOWED = [
    # (from, to, role fixture)
    (State.DRAFT, State.SELF_ASSESSED, "unit_head"),
    (State.SELF_ASSESSED, State.SUBMITTED, "unit_head"),
    (State.SELF_ASSESSED, State.DRAFT, "unit_head"),
    (State.SUBMITTED, State.SELF_ASSESSED, "staff"),
    (State.SUBMITTED, State.APPRAISED, "staff"),
    (State.APPRAISED, State.SUBMITTED, "staff"),
    (State.PUBLISHED, State.LOCKED, "staff"),
    (State.PUBLISHED, State.LOCKED, "admin_user"),
]

REFUSED = [
    (State.DRAFT, State.APPRAISED, "staff"),  # skipping self-assessment and submission
    (State.DRAFT, State.PUBLISHED, "admin_user"),
    (State.SUBMITTED, State.APPRAISED, "unit_head"),  # a unit does not appraise itself
    (State.APPRAISED, State.PUBLISHED, "unit_head"),
    (State.APPRAISED, State.PUBLISHED, "leader"),  # leadership reads, never writes
    (State.SELF_ASSESSED, State.SUBMITTED, "leader"),
    (State.LOCKED, State.DRAFT, "staff"),  # locked: only a reopen request changes it
    (State.LOCKED, State.PUBLISHED, "admin_user"),
    (State.PUBLISHED, State.APPRAISED, "staff"),
    (State.SUBMITTED, State.DRAFT, "unit_head"),
]


@pytest.mark.parametrize(("start", "target", "who"), ALLOWED)
def test_allowed_transitions_move_the_assessment_and_are_logged(
    request, assessment, start, target, who
):
    user = request.getfixturevalue(who)
    assessment.state = start
    assessment.save()
    assessment_transition(assessment=assessment, to_state=target, user=user, reason="ok")
    assessment.refresh_from_db()
    assert assessment.state == target
    change = StateChange.objects.get(assessment=assessment)
    assert (change.from_state, change.to_state, change.by) == (start, target, user)


@pytest.mark.parametrize(("start", "target", "who"), REFUSED)
def test_refused_transitions_change_nothing(request, assessment, start, target, who):
    user = request.getfixturevalue(who)
    assessment.state = start
    assessment.save()
    with pytest.raises(TransitionNotAllowed):
        assessment_transition(assessment=assessment, to_state=target, user=user)
    assessment.refresh_from_db()
    assert assessment.state == start
    assert not StateChange.objects.exists()


def test_a_user_without_a_role_moves_nothing(assessment, django_user_model):
    nobody = django_user_model.objects.create_user("khach", password="x")
    with pytest.raises(TransitionNotAllowed):
        assessment_transition(assessment=assessment, to_state=State.SELF_ASSESSED, user=nobody)


def test_the_transition_buttons_speak_the_users_language():
    from django.utils import translation

    from scoring.views.sheet import TRANSITION_LABELS

    label = TRANSITION_LABELS[(State.SUBMITTED, State.APPRAISED)]
    with translation.override("vi"):
        assert str(label) == "Hoàn thành thẩm định"
    with translation.override("en"):
        assert str(label) != "Hoàn thành thẩm định"


def test_one_assessment_is_not_published_alone(assessment, staff):
    """Publication is the period's (checklist, then one version for every unit): staff cannot move
    a single appraised assessment to published."""
    assessment.state = State.APPRAISED
    assessment.save()
    with pytest.raises(DomainError):
        assessment_transition(assessment=assessment, to_state=State.PUBLISHED, user=staff)
    assessment.refresh_from_db()
    assert assessment.state == State.APPRAISED
    assert not StateChange.objects.exists()
