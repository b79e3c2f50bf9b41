from django.contrib import admin

from core.admin_mixins import LocalizedDecimals

from .models import Survey, SurveyElement, SurveyPlan, SurveyQuestion, SurveyResult
from .services import survey_result_save, survey_results_changed, survey_results_delete


class SurveyResultInline(LocalizedDecimals, admin.TabularInline):
    model = SurveyResult
    extra = 0
    autocomplete_fields = ["unit"]


class SurveyElementInline(admin.TabularInline):
    model = SurveyElement
    extra = 0


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "element":
            survey_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = SurveyElement.objects.filter(survey_id=survey_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SurveyPlanInline(admin.TabularInline):
    model = SurveyPlan
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "year", "kind", "formula"]
    list_filter = ["year", "kind"]
    inlines = [SurveyElementInline, SurveyQuestionInline, SurveyPlanInline, SurveyResultInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The results inline saved itself; the survey's year may have changed too.
        survey_results_changed(survey=form.instance)


@admin.register(SurveyResult)
class SurveyResultAdmin(LocalizedDecimals, admin.ModelAdmin):
    list_display = ["survey", "unit", "criterion", "percent", "respondents"]
    list_filter = ["survey"]
    search_fields = ["unit__name"]

    def save_model(self, request, obj, form, change):
        survey_result_save(result=obj)

    def delete_model(self, request, obj):
        survey_results_delete(results=SurveyResult.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        survey_results_delete(results=queryset)
