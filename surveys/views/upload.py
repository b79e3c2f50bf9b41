"""Staff upload an answers file: it is checked by a job (the preview: errors with their row and
column, or what would be written), then applied by another job; the page polls the job's progress
and links to the overview once done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.permissions import Action, require

from ..forms import AnswersUploadForm
from ..jobs import APPLY_TASK, job_send, job_start
from ..models import Survey, SurveyImport
from ..selectors import import_job, import_progress

POLL_SECONDS = 1
S = SurveyImport.Status
RUNNING = {S.QUEUED, S.CHECKING, S.APPLYING}


def _job(job_id: int) -> SurveyImport:
    job = import_job(job_id)
    if job is None:
        raise Http404
    return job


def _context(job: SurveyImport, *, waiting: bool = False) -> dict:
    # After "apply" the job stays "checked" until a worker takes it: the page keeps polling.
    running = job.status in RUNNING or (waiting and job.status == S.CHECKED)
    # A running job's worker reports its progress in the cache (not in the row it writes under).
    percent, message = import_progress(job)
    return {
        "job": job,
        "percent": percent,
        "progress_message": message,
        "survey": job.survey,
        "running": running,
        "waiting": waiting,
        "poll_seconds": POLL_SECONDS,
        "preview": job.preview or {},
    }


@login_required
def answers_upload(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.MANAGE_SURVEYS)
    form = AnswersUploadForm(request.POST or None, request.FILES or None)
    if request.GET.get("survey"):
        chosen = Survey.objects.filter(code=request.GET["survey"][:40]).first()
        if chosen is not None and request.method != "POST":
            form = AnswersUploadForm(initial={"survey": chosen})
    if request.method == "POST" and form.is_valid():
        job = job_start(
            survey=form.cleaned_data["survey"], upload=form.cleaned_data["file"], user=request.user
        )
        return redirect("surveys:job", job_id=job.pk)
    recent = SurveyImport.objects.select_related("survey", "created_by")[:10]
    return render(
        request,
        "surveys/upload.html",
        {"form": form, "recent": recent, "tab": "upload"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def answers_job(request: HttpRequest, job_id: int) -> HttpResponse:
    require(request.user, Action.MANAGE_SURVEYS)
    context = _context(_job(job_id), waiting=request.GET.get("applying") == "1")
    return render(request, "surveys/job.html", {**context, "tab": "upload"})


@login_required
@require_GET
def answers_job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress and outcome, the fragment the page polls while it runs."""
    require(request.user, Action.MANAGE_SURVEYS)
    context = _context(_job(job_id), waiting=request.GET.get("applying") == "1")
    response = render(request, "surveys/_job.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def answers_apply(request: HttpRequest, job_id: int) -> HttpResponse:
    require(request.user, Action.MANAGE_SURVEYS)
    job = _job(job_id)
    if job.status != S.CHECKED:
        messages.error(
            request, _("Tệp này không thể áp dụng: chỉ áp dụng được tệp đã kiểm tra, không có lỗi.")
        )
        return redirect("surveys:job", job_id=job.pk)
    job_send(APPLY_TASK, job)
    return redirect(reverse("surveys:job", args=[job.pk]) + "?applying=1")
