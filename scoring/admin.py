"""The admin lets staff look at everything and change only what the services would let them change.

Audit records (the workflow's state changes, the history of every model) are never deleted here;
scores and deductions change only through the scoring sheet; bonuses and penalties go through
scoring.services.adjustments, which refuses published or locked assessments and queues the
recompute. An old version on a history page is shown, never saved back (core.admin_mixins.HistoryAdmin):
a revert would write the old values around the services.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin_mixins import HistoryAdmin, LocalizedDecimals
from core.errors import DomainError

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
from .services.adjustments import adjustment_problem, adjustment_save, adjustments_delete
from .services.assessments import assessment_check


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


class AssessmentAddForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["period", "unit", "framework"]

    def clean(self):
        data = super().clean()
        if all(data.get(k) for k in ("period", "unit", "framework")):
            try:
                assessment_check(
                    period=data["period"], unit=data["unit"], framework=data["framework"]
                )
            except DomainError as exc:
                raise ValidationError(str(exc)) from None
        return data


@admin.register(Assessment)
class AssessmentAdmin(HistoryAdmin):
    """Added here (checked as scoring.services.assessment_create checks); never changed here: the
    state moves only through scoring.services.assessment_transition and the deadline through its
    own page. Never deleted here: the delete would take its audit trail with it."""

    list_display = ["unit", "period", "framework", "state"]
    list_filter = ["period", "state", "unit__kind"]
    search_fields = ["unit__name", "unit__code"]
    readonly_fields = ["state", "version"]
    inlines = [StateChangeInline]
    add_form = AssessmentAddForm

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recompute_on_commit(obj.period_id, [obj.unit_id])


class DeductionInline(admin.TabularInline):
    model = Deduction
    extra = 0
    can_delete = False
    readonly_fields = ["points", "reason", "note", "created_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CriterionScore)
class CriterionScoreAdmin(HistoryAdmin):
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

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeductionReason)
class DeductionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_active"]


@admin.register(Deduction)
class DeductionAdmin(HistoryAdmin):
    """Read-only here: deductions are added, edited and withdrawn on the scoring sheet, which
    keeps the criterion's points and the results in step and keeps the withdrawn ones."""

    list_display = ["score", "points", "reason", "created_by", "created_at"]
    list_filter = ["reason", "score__assessment__period"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = Adjustment
        fields = ["assessment", "kind", "points", "reason"]

    def clean_assessment(self):
        assessment = self.cleaned_data["assessment"]
        problem = adjustment_problem(assessment)
        if problem:
            raise ValidationError(problem)
        return assessment


@admin.register(Adjustment)
class AdjustmentAdmin(LocalizedDecimals, HistoryAdmin):
    """Bonuses and penalties are entered here, through scoring.services.adjustments: refused for a
    published or locked assessment, and the results follow at once."""

    list_display = ["assessment", "kind", "points", "reason"]
    form = AdjustmentForm

    def has_change_permission(self, request, obj=None):
        if obj is not None and adjustment_problem(obj.assessment):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and adjustment_problem(obj.assessment):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        adjustment_save(adjustment=obj)

    def delete_model(self, request, obj):
        adjustments_delete(adjustments=Adjustment.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        try:
            adjustments_delete(adjustments=queryset)
        except DomainError as exc:
            messages.error(request, str(exc))


@admin.register(StateChange)
class StateChangeAdmin(admin.ModelAdmin):
    """The workflow's audit trail: read, never changed or deleted."""

    list_display = ["assessment", "from_state", "to_state", "by", "at"]
    list_filter = ["to_state"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
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
