"""{% assessment_deadlines assessment %}: the period's deadlines with the days left, on the sheet
(with the extension form for staff)."""

from __future__ import annotations

from django import template

from core.permissions import Action, can

from ..services.deadlines import deadlines_of

register = template.Library()


@register.inclusion_tag("scoring/_deadlines.html", takes_context=True)
def assessment_deadlines(context, assessment):
    user = context["request"].user
    return {
        "deadlines": deadlines_of(assessment.period, assessment=assessment),
        "assessment": assessment,
        "may_extend": can(user, Action.APPRAISE) and assessment.state == "draft",
        "csrf_token": context.get("csrf_token"),
    }
