"""A small read-only JSON API over the stored results (documented in README.md, section "API").

Session-authenticated like the pages, with the same access rules: a unit head gets their own unit's
figures in every state and other units' only once published. Points and percentages are strings
with a decimal point ("84.64") so that no precision is lost; `status` says whether each result is
published or provisional. A published period answers with its published snapshot (the latest
version, or `?version=N`), described by `publication`.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.permissions import Action, can
from units.models import Unit

from . import dashboards, selectors


def _denied(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Cần đăng nhập.")}, status=401)
    if not can(request.user, Action.VIEW_DASHBOARDS):
        return JsonResponse({"error": _("Bạn không có quyền xem kết quả.")}, status=403)
    return None


def _num(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _result(r) -> dict:
    return {
        "rank": r.rank,
        "unit": {"id": r.unit_id, "code": r.unit_code, "name": r.unit_name},
        "year": r.year,
        "group": r.group_code,
        "total_points": _num(r.total_points),
        "max_points": _num(r.max_points),
        "percent": _num(r.percent),
        "band": r.band,
        "rank_change": r.rank_change,
        "status": "published" if r.published else "provisional",
    }


def _publication(f: dashboards.Filters) -> dict | None:
    """Which published version the figures are (None: live, provisional results; ?version=N)."""
    edition = f.edition
    if edition is None:
        return None
    return {
        "version": edition.version,
        "latest_version": edition.latest_version,
        "published_at": edition.published_at.isoformat(),
        "correction_reason": edition.reason or None,
        "label": f.edition_label,
    }


@require_GET
def periods(request: HttpRequest) -> JsonResponse:
    """The periods and groups that ?period= and ?group= accept."""
    if (denied := _denied(request)) is not None:
        return denied
    period_list, groups = selectors.periods_and_groups()
    return JsonResponse(
        {
            "periods": [{"year": p.year, "name": p.name, "status": p.status} for p in period_list],
            "groups": [{"code": g.code, "name": g.name} for g in groups],
        }
    )


@require_GET
def results(request: HttpRequest) -> JsonResponse:
    """Ranked results of a period and group: ?period=2024&group=khoi-so."""
    if (denied := _denied(request)) is not None:
        return denied
    f = dashboards.parse_filters(request.user, request.GET)
    if f.errors:
        return JsonResponse({"error": " ".join(f.errors)}, status=400)
    if f.period is None or f.group is None:
        return JsonResponse({"error": _("Chưa có kỳ đánh giá hoặc khối nào.")}, status=404)
    data = dashboards.ranking(request.user, f, everything=True)
    summary = data["summary"]
    return JsonResponse(
        {
            "period": {"year": f.period.year, "name": f.period.name},
            "group": {"code": f.group.code, "name": f.group.name},
            "count": summary.count,
            "average_percent": _num(summary.average),
            "published": summary.published,
            "provisional": summary.provisional,
            "publication": _publication(f),
            "results": [_result(r) for r in data["rows"]],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def unit_history(request: HttpRequest, unit_id: int) -> JsonResponse:
    """A unit's results over the years, with its predecessors' (mergers)."""
    if (denied := _denied(request)) is not None:
        return denied
    unit = get_object_or_404(Unit, pk=unit_id)
    lineage = selectors.unit_lineage(unit)
    rows = selectors.period_results(request.user, period=None, unit_ids=lineage).rows
    return JsonResponse(
        {
            "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
            "predecessors": [u for u in lineage if u != unit.pk],
            "results": [_result(r) for r in rows],
        },
        json_dumps_params={"ensure_ascii": False},
    )
