from django.urls import path

from . import views, views_publish, views_recompute

app_name = "scoring"

urlpatterns: list = [
    # The scoring sheet, appraisal, deductions, evidence, imports and exports, then publishing and
    # the recompute status.
    # --- The scoring sheet and its round trip through a spreadsheet ---
    path("", views.assessment_list, name="assessment_list"),
    path("chenh-lech/", views.gap_report, name="gap_report"),
    path("<int:assessment_id>/", views.sheet, name="sheet"),
    path("<int:assessment_id>/chuyen-trang-thai/", views.transition, name="transition"),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/",
        views.criterion_detail,
        name="criterion",
    ),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/tru-diem/",
        views.deduction_create,
        name="deduction_add",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/sua/",
        views.deduction_update,
        name="deduction_edit",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/xoa/",
        views.deduction_remove,
        name="deduction_delete",
    ),
    path(
        "<int:assessment_id>/tru-diem/<int:deduction_id>/giai-trinh/",
        views.explanation_create,
        name="explanation_add",
    ),
    path(
        "<int:assessment_id>/giai-trinh/<int:explanation_id>/xem-xet/",
        views.explanation_decision,
        name="explanation_decide",
    ),
    path(
        "<int:assessment_id>/tieu-chi/<int:criterion_id>/tai-lieu/",
        views.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "<int:assessment_id>/tai-lieu/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "<int:assessment_id>/tai-lieu/<int:evidence_id>/xoa/",
        views.evidence_remove,
        name="evidence_delete",
    ),
    path("<int:assessment_id>/mo-lai/", views.reopen_create, name="reopen_request"),
    path(
        "<int:assessment_id>/mo-lai/<int:request_id>/",
        views.reopen_decision,
        name="reopen_decide",
    ),
    path("ky/<int:year>/mau-nhap.<str:fmt>", views.scores_template, name="scores_template"),
    path("ky/<int:year>/ket-qua.<str:fmt>", views.results_export, name="results_export"),
    path("ky/<int:year>/nhap-diem/", views.scores_upload, name="scores_upload"),
    path("ky/<int:year>/nhap-diem/ap-dung/", views.scores_apply, name="scores_apply"),
    path("ky/<int:year>/cong-bo/", views_publish.publish, name="period_publish"),
    path("ky/<int:year>/dinh-chinh/", views_publish.correct, name="snapshot_correct"),
    # --- Recompute status and request ---
    path(
        "ky/<int:year>/tinh-lai/trang-thai/",
        views_recompute.recompute_status,
        name="recompute_status",
    ),
    path(
        "ky/<int:year>/tinh-lai/",
        views_recompute.recompute_request_view,
        name="recompute_request",
    ),
]
