"""The Excel/CSV round trip: score templates, results export, and the checked import."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.http import private_no_store
from core.permissions import Action, require

from .. import exporting, importing
from ..forms import (
    ScoresUploadForm,
)
from ..importing import jobs
from ..models import Period
from .common import (
    error_text,
)


def _period(year: int) -> Period:
    return get_object_or_404(Period, year=year)


def _round(request: HttpRequest) -> int:
    return 2 if request.GET.get("round") == "2" or request.POST.get("round") == "2" else 1


@private_no_store
@login_required
@require_GET
def scores_template(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    require(request.user, Action.APPRAISE)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    period = _period(year)
    round_ = _round(request)
    if fmt == "csv":
        body, ctype = exporting.scores_csv(period, round_), "text/csv; charset=utf-8"
    else:
        body = exporting.scores_xlsx(period, round_)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    name = f"mau-cham-diem-{period.year}-lan-{round_}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@private_no_store
@login_required
@require_GET
def results_export(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    require(request.user, Action.VIEW_ALL_UNITS)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    period = _period(year)
    if fmt == "csv":
        body, ctype = exporting.results_csv(period), "text/csv; charset=utf-8"
    else:
        body = exporting.results_xlsx(period)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="ket-qua-{period.year}.{fmt}"'
    return response


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads(days: int = 2) -> None:
    """Checked files that were never applied are removed after a couple of days."""
    limit = time.time() - days * 86400
    for old in _upload_dir().iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


MAX_IMPORT_BYTES = 10 * 1024 * 1024
# Files above this size are checked and applied by a job whose progress the page polls.
JOB_BYTES = 512 * 1024
POLL_SECONDS = 2


def _job_context(request: HttpRequest, token: str) -> dict | None:
    info = request.session.get(f"scores-import-{token}") if token.isalnum() else None
    state = jobs.job_state(token) if info else None
    if state is None:
        return None
    return {"token": token, "job": state, "poll_seconds": POLL_SECONDS}


@login_required
@require_GET
def scores_job(request: HttpRequest, year: int, token: str) -> HttpResponse:
    """The progress of a big file's check or apply (an htmx fragment polled while it runs)."""
    require(request.user, Action.APPRAISE)
    period = _period(year)
    context = _job_context(request, token)
    if context is None or context["job"].get("period") != period.year:
        raise Http404
    context["period"] = period
    response = render(request, "scoring/import_job.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def scores_upload(request: HttpRequest, year: int) -> HttpResponse:
    """Upload → preview (every change and every error with sheet, row and column). The file waits
    under MEDIA_ROOT/imports under a generated name until the user applies it."""
    require(request.user, Action.APPRAISE)
    period = _period(year)
    context = {"period": period, "form": ScoresUploadForm()}
    if request.method != "POST":
        job = _job_context(request, request.GET.get("job", ""))
        if job is not None and job["job"].get("period") == period.year:
            context.update(job)
        return render(request, "scoring/import.html", context)
    form = ScoresUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "scoring/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", _("Tệp lớn hơn 10 MB."))
        return render(request, "scoring/import.html", context, status=400)
    data = upload.read()
    if len(data) > JOB_BYTES:
        _forget_old_uploads()
        token = uuid.uuid4().hex
        (_upload_dir() / token).write_bytes(data)
        name = (upload.name or "")[-100:]
        request.session[f"scores-import-{token}"] = {
            "period": period.year,
            "round": form.cleaned_data["round"],
            "name": name,
        }
        jobs.job_start(
            token=token, period=period, round=form.cleaned_data["round"], filename=name, apply=False
        )
        return redirect(reverse("scoring:scores_upload", args=[period.year]) + f"?job={token}")
    plan = importing.scores_plan(
        period=period, data=data, filename=upload.name, round=form.cleaned_data["round"]
    )
    token = ""
    if plan.ok and plan.changes:
        _forget_old_uploads()
        token = uuid.uuid4().hex
        (_upload_dir() / token).write_bytes(data)
        request.session[f"scores-import-{token}"] = {
            "period": period.year,
            "round": plan.round,
            "name": (upload.name or "")[-100:],
        }
    context.update({"plan": plan, "token": token, "filename": upload.name})
    return render(request, "scoring/import.html", context, status=200 if plan.ok else 400)


@login_required
@require_POST
def scores_apply(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Action.APPRAISE)
    period = _period(year)
    token = request.POST.get("token", "")
    info = request.session.get(f"scores-import-{token}") if token.isalnum() else None
    path = _upload_dir() / token if info else None
    if not info or info["period"] != period.year or not path.exists():
        messages.error(request, _("Không tìm thấy tệp đã kiểm tra; hãy tải tệp lên lại."))
        return redirect("scoring:scores_upload", year=period.year)
    if jobs.job_state(token) is not None:
        jobs.job_start(
            token=token,
            period=period,
            round=info["round"],
            filename=info["name"],
            apply=True,
            user_id=request.user.pk,
        )
        return redirect(reverse("scoring:scores_upload", args=[period.year]) + f"?job={token}")
    plan = importing.scores_plan(
        period=period, data=path.read_bytes(), filename=info["name"], round=info["round"]
    )
    try:
        n = importing.scores_apply(plan=plan, user=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("scoring:scores_upload", year=period.year)
    path.unlink(missing_ok=True)
    request.session.pop(f"scores-import-{token}", None)
    messages.success(request, _("Đã nhập điểm của %(n)s tiêu chí.") % {"n": n})
    return redirect(reverse("scoring:assessment_list") + f"?period={period.year}")
