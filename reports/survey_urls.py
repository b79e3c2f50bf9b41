from django.urls import path

from surveys.views import upload

from .surveys.views import overview, trend

# The survey pages keep their own namespace: the upload views are surveys', the reading ones ours.
app_name = "surveys"

urlpatterns = [
    path("", overview.survey_overview, name="overview"),
    path("<slug:code>/don-vi/<int:unit_id>/", overview.survey_unit, name="unit"),
    path("<slug:code>/xuat.<slug:fmt>", overview.survey_export, name="export"),
    path("xu-huong/", trend.survey_trend, name="trend"),
    path("nhap-phieu/", upload.answers_upload, name="upload"),
    path("nhap-phieu/<int:job_id>/", upload.answers_job, name="job"),
    path("nhap-phieu/<int:job_id>/tien-do/", upload.answers_job_status, name="job_status"),
    path("nhap-phieu/<int:job_id>/ap-dung/", upload.answers_apply, name="apply"),
]
