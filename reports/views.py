from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.permissions import Action, require
from core.roles import primary_role
from scoring.workflow import State

from .selectors import home_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: where to go next, in Vietnamese."""
    require(request.user, Action.VIEW_HOME)
    summary = home_summary(request.user)
    state_labels = dict(State.choices)
    for row in summary.get("state_counts", []):
        row["label"] = state_labels.get(row["state"], row["state"])
    return render(request, "reports/home.html", {"role": primary_role(request.user), **summary})
