from django.contrib import admin

from core.admin_mixins import LocalizedDecimals

from .models import PlanTask, Target


@admin.register(Target)
class TargetAdmin(LocalizedDecimals, admin.ModelAdmin):
    list_display = ["period", "unit", "metric", "component_code", "value"]
    list_filter = ["period", "metric"]
    search_fields = ["unit__name", "unit__code"]
    raw_id_fields = ["unit"]
    readonly_fields = ["set_by"]


@admin.register(PlanTask)
class PlanTaskAdmin(LocalizedDecimals, admin.ModelAdmin):
    list_display = ["period", "unit", "title", "deadline", "status"]
    list_filter = ["period", "status"]
    search_fields = ["unit__name", "title"]
    raw_id_fields = ["unit", "criterion"]
    readonly_fields = ["closed_by", "closed_at", "overdue_notified_at"]
