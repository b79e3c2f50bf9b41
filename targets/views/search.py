from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.permissions import Action, require

from ..selectors.search import units_search

QUERY_CHARS = 100


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Units by name or code, with or without diacritics; one match opens its profile."""
    require(request.user, Action.VIEW_DASHBOARDS)
    query = request.GET.get("q", "").strip()[:QUERY_CHARS]
    hits = units_search(query) if query else []
    if len(hits) == 1:
        return redirect("reports:unit", unit_id=hits[0][0])
    return render(request, "targets/search.html", {"query": query, "hits": hits})
