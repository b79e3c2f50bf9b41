from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.http import private_no_store
from core.permissions import Action, require
from scoring.services.evidence import EVIDENCE_TYPES

from ..exporting import plan_xlsx
from ..forms import PlanCreateForm, TaskForm
from ..models import TaskStatus
from ..permissions import get_task_for_user, may_manage, may_update
from ..selectors.plans import plan_by_unit, plan_tasks
from ..services.plans import plan_create_from_deductions, task_close, task_update
from .common import error_text, form_errors, period_of


@login_required
def plan(request: HttpRequest, year: int) -> HttpResponse:
    """The period's improvement plan: tasks by unit and status, overdue first."""
    require(request.user, Action.VIEW_DASHBOARDS)
    period = period_of(year)
    status = request.GET.get("status", "")
    if status not in TaskStatus.values:
        status = ""
    return render(
        request,
        "targets/plan.html",
        {
            "period": period,
            "by_unit": plan_by_unit(request.user, period),
            "tasks": plan_tasks(request.user, period, status=status)[:500],
            "status": status,
            "statuses": TaskStatus.choices,
            "manage": may_manage(request.user),
            "create_form": PlanCreateForm() if may_manage(request.user) else None,
        },
    )


@login_required
@require_POST
def plan_create(request: HttpRequest, year: int) -> HttpResponse:
    """Staff create the tasks from last period's deductions in one action (again: adds none)."""
    if not may_manage(request.user):
        raise PermissionDenied
    period = period_of(year)
    form = PlanCreateForm(request.POST)
    if form.is_valid():
        try:
            n = plan_create_from_deductions(period=period, deadline=form.cleaned_data["deadline"])
        except DomainError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Đã tạo %(n)s nhiệm vụ khắc phục mới.") % {"n": n})
    else:
        form_errors(request, form)
    return redirect("targets:plan", year=year)


@private_no_store
@login_required
def plan_export(request: HttpRequest, year: int) -> HttpResponse:
    """The plan as XLSX, the tasks the user may see."""
    require(request.user, Action.VIEW_DASHBOARDS)
    period = period_of(year)
    body = plan_xlsx(period, plan_tasks(request.user, period))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="ke-hoach-khac-phuc-{year}.xlsx"'
    return response


@login_required
def task(request: HttpRequest, task_id: int) -> HttpResponse:
    """One task: its unit head reports progress and evidence; staff also move the deadline."""
    require(request.user, Action.VIEW_DASHBOARDS)
    item = get_task_for_user(request.user, task_id)
    editable = may_update(request.user, item) and item.closed_at is None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = TaskForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task_update(
                    task=item,
                    user=request.user,
                    status=data["status"],
                    progress_note=data["progress_note"],
                    evidence=data["evidence"],
                    deadline=data["deadline"] if may_manage(request.user) else None,
                    upload=data["evidence_file"],
                )
            except DomainError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("Đã cập nhật nhiệm vụ."))
                return redirect("targets:task", task_id=item.pk)
        else:
            form_errors(request, form)
    status = item.status if item.status != TaskStatus.OVERDUE else TaskStatus.IN_PROGRESS
    form = TaskForm(
        initial={
            "status": status,
            "progress_note": item.progress_note,
            "evidence": item.evidence,
            "deadline": item.deadline.strftime("%d/%m/%Y"),
        }
    )
    return render(
        request,
        "targets/task.html",
        {
            "task": item,
            "form": form if editable else None,
            "manage": may_manage(request.user),
            "unit_url": reverse("reports:unit", args=[item.unit_id]),
        },
    )


@login_required
@require_POST
def task_close_view(request: HttpRequest, task_id: int) -> HttpResponse:
    """Staff review a task and close it."""
    if not may_manage(request.user):
        raise PermissionDenied
    item = get_task_for_user(request.user, task_id)
    try:
        task_close(task=item, user=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Đã nghiệm thu nhiệm vụ."))
    return redirect("targets:task", task_id=item.pk)


@private_no_store
@login_required
def task_evidence(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task's evidence file, only through here: the task's access rule, then an attachment the
    browser may not sniff into something else."""
    require(request.user, Action.VIEW_DASHBOARDS)
    item = get_task_for_user(request.user, task_id)
    if not item.evidence_file:
        raise Http404
    try:
        handle = item.evidence_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    ext = item.evidence_file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.evidence_file_name or f"minh-chung.{ext}",
        content_type=EVIDENCE_TYPES.get(ext, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
