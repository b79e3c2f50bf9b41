"""Publishing a period's results (a checklist, then a confirmation naming the version, then a frozen
snapshot) and correcting them (a new dated version)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.params import positive_ints
from core.permissions import Action, require

from ..models import Period
from ..selectors.publication import publication_checklist
from ..snapshots import period_publish, snapshot_correct


def _back(period: Period) -> HttpResponse:
    return redirect(f"{reverse('scoring:assessment_list')}?period={period.year}")


def _left_out(request: HttpRequest) -> dict[int, str]:
    """The units ticked "leave out" on the checklist, with the reason typed for each."""
    found = {}
    for pk in positive_ints(request.POST.getlist("leave_out"), name="leave_out"):
        found[pk] = request.POST.get(f"reason_{pk}", "")
    return found


@login_required
def publish(request: HttpRequest, year: int) -> HttpResponse:
    """GET: the checklist, with a "leave out" box and a reason for each unit not appraised.
    POST (step "check"): the confirmation naming the version to be created, or the checklist again
    with what is wrong. POST (step "confirm"): publish."""
    require(request.user, Action.PUBLISH)
    period = get_object_or_404(Period, year=year)
    checklist = publication_checklist(period)
    context = {"period": period, "checklist": checklist, "errors": [], "left_out": {}}
    if checklist.next_version > 1:
        messages.info(
            request, _("Kết quả kỳ này đã được công bố; muốn sửa thì lập bản đính chính.")
        )
        return _back(period)
    if request.method != "POST":
        return render(request, "scoring/publish_checklist.html", context)
    left_out = _left_out(request)
    context["left_out"] = left_out
    if request.POST.get("step") != "confirm":
        pending = {a.pk for a in checklist.not_appraised}
        errors = [
            _("Cần nêu lý do để %(unit)s ra ngoài kỳ công bố.") % {"unit": a.unit.name}
            for a in checklist.not_appraised
            if a.pk in left_out and not left_out[a.pk].strip()
        ]
        missing = [a for a in checklist.not_appraised if a.pk not in left_out]
        if missing:
            errors.append(
                _("Còn %(n)s đơn vị chưa thẩm định: thẩm định xong, hoặc để ra ngoài kèm lý do.")
                % {"n": len(missing)}
            )
        context["errors"] = errors
        if errors or set(left_out) - pending:
            return render(request, "scoring/publish_checklist.html", context, status=400)
        context["left_out_rows"] = [
            (a, left_out[a.pk]) for a in checklist.not_appraised if a.pk in left_out
        ]
        return render(request, "scoring/publish_confirm.html", context)
    try:
        snapshot = period_publish(period=period, user=request.user, left_out=left_out)
    except DomainError as error:
        context["errors"] = error.messages
        return render(request, "scoring/publish_checklist.html", context, status=400)
    messages.success(
        request,
        _("Đã công bố kết quả %(period)s (phiên bản %(version)s).")
        % {"period": period.name, "version": snapshot.version},
    )
    return _back(period)


@login_required
@require_POST
def correct(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Action.PUBLISH)
    period = get_object_or_404(Period, year=year)
    try:
        snapshot = snapshot_correct(
            period=period, user=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Đã lập bản đính chính phiên bản %(version)s cho %(period)s.")
            % {"period": period.name, "version": snapshot.version},
        )
    return _back(period)
