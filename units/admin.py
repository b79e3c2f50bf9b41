from django.contrib import admin

from .models import GroupMembership, RankingGroup, Unit, UnitHead


@admin.register(RankingGroup)
class RankingGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit_kind", "order"]
    search_fields = ["code", "name"]


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    extra = 0


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "active_from_year", "active_to_year"]
    list_filter = ["kind", "active_to_year"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "predecessors"]
    inlines = [GroupMembershipInline]


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["unit", "group", "year"]
    list_filter = ["year", "group"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]


@admin.register(UnitHead)
class UnitHeadAdmin(admin.ModelAdmin):
    list_display = ["user", "unit"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]
