from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import HistoryAdmin, LocalizedDecimals

from .models import Criterion, Framework, RatingBand
from .services import framework_errors, framework_refresh_tree


class RatingBandInline(LocalizedDecimals, admin.TabularInline):
    model = RatingBand
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(LocalizedDecimals, HistoryAdmin):
    list_display = ["name", "year", "unit_kind", "max_points", "copied_from"]
    list_filter = ["year", "unit_kind"]
    inlines = [RatingBandInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for error in framework_errors(framework=form.instance):
            messages.warning(request, error)


@admin.register(Criterion)
class CriterionAdmin(LocalizedDecimals, HistoryAdmin):
    list_display = ["code", "name", "framework", "max_points", "method", "evidence_required"]
    list_filter = ["framework", "method", "level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "continues_from"]
    readonly_fields = ["component", "level", "is_leaf"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        framework_refresh_tree(framework=obj.framework)
        for error in framework_errors(framework=obj.framework):
            messages.warning(request, error)

    @admin.display(description=_("cấp"))
    def level_display(self, obj):
        return obj.level
