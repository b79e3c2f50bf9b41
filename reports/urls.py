from django.urls import path

from . import api, views

app_name = "reports"

urlpatterns: list = [
    path("xep-hang/", views.ranking, name="ranking"),
    path("chi-so-thanh-phan/", views.heatmap, name="heatmap"),
    path("don-vi/<int:unit_id>/", views.unit_profile, name="unit"),
    path("don-vi/<int:unit_id>/pdf/", views.unit_pdf, name="unit_pdf"),
    path("tru-diem/", views.deductions, name="deductions"),
    path("nang-hang/", views.climb, name="climb"),
    path("so-sanh/", views.comparison, name="comparison"),
    path("bao-cao-phan-tich.pdf", views.period_pdf, name="period_pdf"),
    path("xuat/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("api/v1/periods/", api.periods, name="api_periods"),
    path("api/v1/results/", api.results, name="api_results"),
    path("api/v1/units/<int:unit_id>/history/", api.unit_history, name="api_unit_history"),
]
