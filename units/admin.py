from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import GroupMembership, RankingGroup, Unit, UnitHead, UnitKind
from .selectors import unit_kind_used
from .services import membership_save, memberships_changed_send, memberships_delete


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    """Kinds are added and renamed here, with no code change; a kind's code is what units, groups,
    frameworks and files store, so it is fixed once created, and a kind in use is not deleted."""

    list_display = ["code", "name", "name_en", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name", "name_en"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and unit_kind_used(code=obj.code):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk action: only the kinds nothing refers to.
        unused = [k.pk for k in queryset if not unit_kind_used(code=k.code)]
        super().delete_queryset(request, queryset.filter(pk__in=unused))


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

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not GroupMembership:
            return
        # The inline saved the unit's memberships itself: announce the years it wrote, before
        # and after the edit (a membership moved to another year leaves a group to re-rank).
        unit_id = form.instance.pk
        changes = set()
        for membership_form in formset.forms:
            if membership_form.has_changed() or membership_form in formset.deleted_forms:
                for year in (membership_form.initial.get("year"), membership_form.instance.year):
                    if year is not None:
                        changes.add((year, unit_id))
        memberships_changed_send(changes=changes)


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["unit", "group", "year"]
    list_filter = ["year", "group"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]

    def save_model(self, request, obj, form, change):
        membership_save(membership=obj)

    def delete_model(self, request, obj):
        memberships_delete(memberships=GroupMembership.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        memberships_delete(memberships=queryset)


@admin.register(UnitHead)
class UnitHeadAdmin(admin.ModelAdmin):
    list_display = ["user", "unit"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]


User = get_user_model()


class UnitHeadInline(admin.StackedInline):
    """A unit head's unit, edited on the user's page beside the role groups."""

    model = UnitHead
    can_delete = True
    extra = 0
    max_num = 1
    autocomplete_fields = ["unit"]


admin.site.unregister(User)


@admin.register(User)
class RoleAwareUserAdmin(UserAdmin):
    inlines = [UnitHeadInline]
    list_display = ["username", "get_full_name", "email", "role_names", "is_active"]
    list_filter = ["groups", "is_active"]

    @admin.display(description=_("vai trò"))
    def role_names(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")
