from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import LocalizedDecimals

from .models import (
    Adjustment,
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Deduction,
    DeductionReason,
    Evidence,
    Explanation,
    Period,
    RecomputeRun,
    ReopenRequest,
    ResultSnapshot,
    ResultSnapshotRow,
    StateChange,
)
from .recompute import recompute_on_commit


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["year", "name", "status", "self_assessment_deadline", "appraisal_deadline"]


class StateChangeInline(admin.TabularInline):
    model = StateChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "by", "at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "period", "framework", "state"]
    list_filter = ["period", "state", "unit__kind"]
    search_fields = ["unit__name", "unit__code"]
    # The state moves only through scoring.services.assessment_transition.
    readonly_fields = ["state", "version"]
    inlines = [StateChangeInline]


class DeductionInline(admin.TabularInline):
    model = Deduction
    extra = 0
    readonly_fields = ["points", "reason", "note", "created_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CriterionScore)
class CriterionScoreAdmin(SimpleHistoryAdmin):
    """Read-only here: scores change through the scoring sheet so that bounds, the workflow and the
    recompute are respected."""

    list_display = ["assessment", "criterion", "self_points", "appraised_points", "points"]
    list_filter = ["assessment__period", "component"]
    search_fields = ["assessment__unit__name", "criterion__code"]
    inlines = [DeductionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(DeductionReason)
class DeductionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_active"]


@admin.register(Deduction)
class DeductionAdmin(SimpleHistoryAdmin):
    list_display = ["score", "points", "reason", "created_by", "created_at"]
    list_filter = ["reason", "score__assessment__period"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(LocalizedDecimals, SimpleHistoryAdmin):
    """Bonuses and penalties are entered here; the assessment's results follow at once."""

    list_display = ["assessment", "kind", "points", "reason"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recompute_on_commit(obj.assessment.period_id, [obj.assessment.unit_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        recompute_on_commit(obj.assessment.period_id, [obj.assessment.unit_id])

    def delete_queryset(self, request, queryset):
        touched = {
            (a.period_id, a.unit_id) for a in Assessment.objects.filter(adjustments__in=queryset)
        }
        super().delete_queryset(request, queryset)
        for period_id, unit_id in touched:
            recompute_on_commit(period_id, [unit_id])


@admin.register(StateChange)
class StateChangeAdmin(admin.ModelAdmin):
    list_display = ["assessment", "from_state", "to_state", "by", "at"]
    list_filter = ["to_state"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class _ReadOnly(admin.ModelAdmin):
    """Computed by the recompute service; never edited by hand."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentResult)
class AssessmentResultAdmin(_ReadOnly):
    list_display = ["assessment", "group", "total_points", "percent", "rank", "rank_change", "band"]
    list_filter = ["period", "group"]


@admin.register(ComponentResult)
class ComponentResultAdmin(_ReadOnly):
    list_display = ["assessment", "component", "points", "max_points", "percent"]


@admin.register(Evidence)
class EvidenceAdmin(_ReadOnly):
    """Listed for audit; files are downloaded from the scoring sheet, which checks access."""

    list_display = ["original_name", "score", "content_type", "size", "uploaded_by", "created_at"]
    list_filter = ["content_type", "score__assessment__period"]
    search_fields = ["original_name", "score__assessment__unit__name"]
    exclude = ["file"]


@admin.register(Explanation)
class ExplanationAdmin(_ReadOnly):
    list_display = ["deduction", "author", "status", "decided_by", "decided_at"]
    list_filter = ["status"]


@admin.register(ReopenRequest)
class ReopenRequestAdmin(_ReadOnly):
    list_display = ["assessment", "requested_by", "status", "decided_by", "decided_at"]
    list_filter = ["status"]


@admin.register(RecomputeRun)
class RecomputeRunAdmin(_ReadOnly):
    list_display = ["period", "status", "trigger", "created_at", "duration_ms", "results_changed"]
    list_filter = ["status", "period"]


class ResultSnapshotRowInline(admin.TabularInline):
    model = ResultSnapshotRow
    extra = 0
    can_delete = False
    fields = ["unit_name", "group_name", "total_points", "percent", "rank", "rank_change", "band"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ResultSnapshot)
class ResultSnapshotAdmin(_ReadOnly):
    """Published versions are immutable: publishing and corrections go through the services."""

    list_display = ["period", "version", "kind", "created_by", "created_at", "reason"]
    list_filter = ["period", "kind"]
    inlines = [ResultSnapshotRowInline]
