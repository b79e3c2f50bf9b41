from django.urls import path

from .views import plans, search, targets, trends

app_name = "targets"

urlpatterns = [
    path("", targets.target_list, name="list"),
    path("<int:year>/dat/", targets.target_save, name="save"),
    path("<int:year>/nhap/", targets.target_import, name="import"),
    path("<int:year>/de-xuat/", targets.target_propose, name="propose"),
    path("<int:year>/ke-hoach/", plans.plan, name="plan"),
    path("<int:year>/ke-hoach/tao/", plans.plan_create, name="plan_create"),
    path("<int:year>/ke-hoach.xlsx", plans.plan_export, name="plan_export"),
    path("nhiem-vu/<int:task_id>/", plans.task, name="task"),
    path("nhiem-vu/<int:task_id>/minh-chung/", plans.task_evidence, name="task_evidence"),
    path("nhiem-vu/<int:task_id>/nghiem-thu/", plans.task_close_view, name="task_close"),
    path("xu-huong/", trends.trends, name="trends"),
    path("tim-don-vi/", search.search, name="search"),
]
