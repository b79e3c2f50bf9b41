from django.urls import path

from .views import (
    criterion,
    deadlines,
    deductions,
    evidence,
    explanations,
    lists,
    progress,
    publish,
    recompute,
    reopen,
    rounds,
    sheet,
    transfer,
)

app_name = "scoring"

urlpatterns: list = [
    path("", lists.assessment_list, name="assessment_list"),
    path("chenh-lech/", lists.gap_report, name="gap_report"),
    path("<int:assessment_id>/", sheet.sheet, name="sheet"),
    path("<int:assessment_id>/chuyen-trang-thai/", sheet.transition, name="transition"),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/",
        criterion.criterion_detail,
        name="criterion",
    ),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/tru-diem/",
        deductions.deduction_create,
        name="deduction_add",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/sua/",
        deductions.deduction_update,
        name="deduction_edit",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/xoa/",
        deductions.deduction_remove,
        name="deduction_delete",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/giai-trinh/",
        explanations.explanation_create,
        name="explanation_add",
    ),
    path(
        "<int:assessment_id>/giai-trinh/<int:explanation_id>/xem-xet/",
        explanations.explanation_decision,
        name="explanation_decide",
    ),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/tai-lieu/",
        evidence.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "<int:assessment_id>/tai-lieu/<int:evidence_id>/",
        evidence.evidence_download,
        name="evidence_download",
    ),
    path(
        "<int:assessment_id>/tai-lieu/<int:evidence_id>/xoa/",
        evidence.evidence_remove,
        name="evidence_delete",
    ),
    path("<int:assessment_id>/mo-lai/", reopen.reopen_create, name="reopen_request"),
    path("<int:assessment_id>/gia-han/", deadlines.extend, name="deadline_extend"),
    path(
        "<int:assessment_id>/mo-lai/<int:request_id>/",
        reopen.reopen_decision,
        name="reopen_decide",
    ),
    path("ky/mo/", rounds.round_open_view, name="round_open"),
    path("ky/mo/sao-chep-bo-chi-so/", rounds.framework_copy, name="framework_copy"),
    path("ky/<int:year>/chuyen-trang-thai/", rounds.bulk_transition, name="bulk_transition"),
    path("ky/<int:year>/mau-nhap.<str:fmt>", transfer.scores_template, name="scores_template"),
    path("ky/<int:year>/ket-qua.<str:fmt>", transfer.results_export, name="results_export"),
    path("ky/<int:year>/nhap-diem/", transfer.scores_upload, name="scores_upload"),
    path("ky/<int:year>/nhap-diem/ap-dung/", transfer.scores_apply, name="scores_apply"),
    path("ky/<int:year>/nhap-diem/tien-do/<str:token>/", transfer.scores_job, name="scores_job"),
    path("ky/<int:year>/cong-bo/", publish.publish, name="period_publish"),
    path("ky/<int:year>/tien-do/", progress.progress, name="round_progress"),
    path("ky/<int:year>/dinh-chinh/", publish.correct, name="snapshot_correct"),
    path(
        "ky/<int:year>/tinh-lai/trang-thai/",
        recompute.recompute_status,
        name="recompute_status",
    ),
    path(
        "ky/<int:year>/tinh-lai/",
        recompute.recompute_request_view,
        name="recompute_request",
    ),
]
