"""{% assessment_deadlines assessment %}: the period's deadlines with the days left, on the sheet
(with the extension form for staff)."""

from __future__ import annotations

from django import template

from core.permissions import Action, can

from ..services.deadlines import deadlines_of
from ..workflow import State

register = template.Library()


@register.inclusion_tag("scoring/_deadlines.html", takes_context=True)
def assessment_deadlines(context, assessment):
    user = context["request"].user
    return {
        "deadlines": deadlines_of(assessment.period, assessment=assessment),
        "assessment": assessment,
        # Until the unit has submitted: a self-assessed sheet can no longer be sent after the deadline.
        "may_extend": can(user, Action.APPRAISE)
        and State(assessment.state) in (State.DRAFT, State.SELF_ASSESSED),
        "csrf_token": context.get("csrf_token"),
    }
