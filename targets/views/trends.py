from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.permissions import Action, require
from units.models import RankingGroup

from ..charts import trend_figure
from ..selectors.trends import group_trend


@login_required
def trends(request: HttpRequest) -> HttpResponse:
    """The group's average and spread across the years, against the province's target."""
    require(request.user, Action.VIEW_DASHBOARDS)
    groups = list(RankingGroup.objects.order_by("order", "code"))
    code = request.GET.get("group", "")
    group = next((g for g in groups if g.code == code), None)
    years = group_trend(request.user, group_id=group.pk if group else None)
    return render(
        request,
        "targets/trends.html",
        {
            "groups": groups,
            "group": group,
            "years": years,
            "figure": trend_figure(years) if years else None,
        },
    )
