from django.contrib import admin

from core.admin_mixins import LocalizedDecimals

from .models import Survey, SurveyResult


class SurveyResultInline(LocalizedDecimals, admin.TabularInline):
    model = SurveyResult
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "kind"]
    list_filter = ["year", "kind"]
    inlines = [SurveyResultInline]


@admin.register(SurveyResult)
class SurveyResultAdmin(LocalizedDecimals, admin.ModelAdmin):
    list_display = ["survey", "unit", "criterion", "percent", "respondents"]
    list_filter = ["survey"]
    search_fields = ["unit__name"]
