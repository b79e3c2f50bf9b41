from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from core.accounts import PasswordResetView
from core.health import health
from reports import views as report_views

admin.site.site_header = _("Chỉ số CCHC — Quản trị")
admin.site.site_title = _("Chỉ số CCHC")

urlpatterns = [
    path("", report_views.home, name="home"),
    path("dang-nhap/", auth_views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "doi-mat-khau/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "doi-mat-khau/xong/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done_app.html"
        ),
        name="password_change_done",
    ),
    path(
        "quen-mat-khau/",
        PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "quen-mat-khau/da-gui/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_sent.html"
        ),
        name="password_reset_done",
    ),
    path(
        "dat-lai-mat-khau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_new.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "dat-lai-mat-khau/xong/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_finished.html"
        ),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cham-diem/", include("scoring.urls")),
    path("bao-cao/", include("reports.urls")),
    path("khao-sat/", include("reports.survey_urls")),
    path("muc-tieu/", include("targets.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
]

# A failed request: a translated page, 503 with Retry-After when the database cannot be reached.
handler500 = "core.error_pages.server_error"

# MEDIA_ROOT is never served as such, not even in the demo: evidence files are downloaded through a
# view that checks who may see the assessment, as an attachment.
