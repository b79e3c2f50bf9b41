"""Evidence files: upload, download (only through here, never from /media/) and removal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError

from ..forms import (
    EvidenceForm,
)
from ..models import Evidence
from ..services.evidence import (
    evidence_add,
    evidence_delete,
)
from .common import (
    error_text,
    leaf_criterion,
    sheet_assessment,
    sheet_url,
    submit,
)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    criterion = leaf_criterion(assessment, criterion_id)
    submit(
        request,
        EvidenceForm(request.POST, request.FILES),
        lambda data: evidence_add(
            assessment=assessment,
            criterion=criterion,
            upload=data["file"],
            user=request.user,
            note=data["note"],
        ),
        lambda evidence: _("Đã tải lên “%(name)s”.") % {"name": evidence.original_name},
    )
    return redirect(sheet_url(assessment, criterion))


def _evidence(request: HttpRequest, assessment_id: int, evidence_id: int) -> Evidence:
    assessment = sheet_assessment(request, assessment_id)
    return get_object_or_404(
        Evidence.objects.select_related("score__criterion", "score__assessment"),
        pk=evidence_id,
        score__assessment=assessment,
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    """Evidence only through here (never from /media/): the sheet's access rule, then the file as an
    attachment that the browser may not sniff into something else."""
    evidence = _evidence(request, assessment_id, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def evidence_remove(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    evidence = _evidence(request, assessment_id, evidence_id)
    criterion = evidence.score.criterion
    try:
        evidence_delete(evidence=evidence, user=request.user)
        messages.success(request, _("Đã xóa tài liệu."))
    except DomainError as exc:
        messages.error(request, error_text(exc))
    return redirect(sheet_url(evidence.score.assessment, criterion))
