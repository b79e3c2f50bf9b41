from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.permissions import Action, require

from ..fold import fold
from ..selectors.search import units_search

QUERY_CHARS = 100


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Units by name or code, with or without diacritics; one match, or one unit named exactly
    so, opens its profile."""
    require(request.user, Action.VIEW_DASHBOARDS)
    query = request.GET.get("q", "").strip()[:QUERY_CHARS]
    hits = units_search(query) if query else []
    wanted = fold(query)
    exact = [h for h in hits if wanted in (fold(h[1]), fold(h[2]))]
    if len(hits) == 1 or len(exact) == 1:
        return redirect("reports:unit", unit_id=(exact or hits)[0][0])
    return render(request, "targets/search.html", {"query": query, "hits": hits})
