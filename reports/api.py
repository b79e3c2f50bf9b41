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

from core.http import private_no_store
from core.numbers import fmt_machine
from core.params import NumberTooLarge, positive_int
from core.permissions import Action, can
from units.models import Unit

from . import dashboards
from .selectors.filters import periods_and_groups
from .selectors.results import history_rows, ranking_page, ranking_totals
from .selectors.unit import unit_lineage


def _denied(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Cần đăng nhập.")}, status=401)
    if not can(request.user, Action.VIEW_DASHBOARDS):
        return JsonResponse({"error": _("Bạn không có quyền xem kết quả.")}, status=403)
    return None


def _num(value) -> str | None:
    return None if value is None else fmt_machine(value, 2)


def _result(r, *, keep_apart: bool = True) -> dict:
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
        # draft, self_assessed, submitted, appraised, published, locked; not_assessed: left out
        # of the publication. Units not appraised are kept apart: no rank, no rank change.
        "state": r.state,
        "kept_apart": keep_apart and r.apart,
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


@private_no_store
@require_GET
def periods(request: HttpRequest) -> JsonResponse:
    """The periods and groups that ?period= and ?group= accept."""
    if (denied := _denied(request)) is not None:
        return denied
    choices = periods_and_groups()
    return JsonResponse(
        {
            "periods": [
                {"year": p.year, "name": p.name, "status": p.status} for p in choices.periods
            ],
            "groups": [{"code": g.code, "name": g.name} for g in choices.groups],
        }
    )


PAGE_SIZE, MAX_PAGE_SIZE = 500, 2000


def _positive(request: HttpRequest, name: str, default: int) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return positive_int(raw, name=name)
    except NumberTooLarge:
        return None  # the caller's 400, in JSON


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@private_no_store
@require_GET
def results(request: HttpRequest) -> JsonResponse:
    """Ranked results of a period and group, a page at a time: ?period=2024&group=khoi-so&page=2
    (`page_size` up to 2000, 500 by default). The totals cover the whole group."""
    if (denied := _denied(request)) is not None:
        return denied
    try:
        f = dashboards.parse_filters(request.user, request.GET)
    except NumberTooLarge as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if f.errors:
        return JsonResponse({"error": " ".join(f.errors)}, status=400)
    page, size = _positive(request, "page", 1), _positive(request, "page_size", PAGE_SIZE)
    if page is None or size is None or size > MAX_PAGE_SIZE:
        return JsonResponse(
            {
                "error": _("«page» phải là số nguyên từ 1 trở lên và «page_size» từ 1 đến %(max)s.")
                % {"max": MAX_PAGE_SIZE}
            },
            status=400,
        )
    if f.period is None or f.group is None:
        return JsonResponse({"error": _("Chưa có kỳ đánh giá hoặc khối nào.")}, status=404)
    totals = ranking_totals(
        request.user, period=f.period, group=f.group, edition=f.edition, keep_apart=f.keep_apart
    )
    pages = max(1, -(-totals.count // size))
    if page > pages:
        return JsonResponse(
            {
                "error": _("Không có trang %(page)s: chỉ có %(pages)s trang.")
                % {"page": page, "pages": pages}
            },
            status=404,
        )
    rows = ranking_page(
        request.user,
        period=f.period,
        group=f.group,
        limit=size,
        offset=(page - 1) * size,
        edition=f.edition,
        keep_apart=f.keep_apart,
    )
    return JsonResponse(
        {
            "period": {"year": f.period.year, "name": f.period.name},
            "group": {"code": f.group.code, "name": f.group.name},
            "count": totals.count,
            "average_percent": _num(totals.average),
            "published": totals.published,
            "provisional": totals.provisional,
            "kept_apart": totals.apart,
            "publication": _publication(f),
            "page": page,
            "pages": pages,
            "page_size": size,
            "next": _page_url(request, page + 1) if page < pages else None,
            "previous": _page_url(request, page - 1) if page > 1 else None,
            "results": [_result(r, keep_apart=f.keep_apart) for r in rows],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@private_no_store
@require_GET
def unit_history(request: HttpRequest, unit_id: int) -> JsonResponse:
    """A unit's results over the years, with its predecessors' (mergers)."""
    if (denied := _denied(request)) is not None:
        return denied
    unit = get_object_or_404(Unit, pk=unit_id)
    lineage = unit_lineage(unit)
    rows = history_rows(request.user, unit_ids=lineage)
    return JsonResponse(
        {
            "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
            "predecessors": [u for u in lineage if u != unit.pk],
            "results": [_result(r) for r in rows],
        },
        json_dumps_params={"ensure_ascii": False},
    )
