"""The role groups and the Django model permissions that the admin pages need for each role."""

from __future__ import annotations

from .roles import Role

# App labels whose models interior staff maintain in the admin.
STAFF_APPS = ("units", "indicators", "scoring", "surveys", "targets")


def ensure_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    # Linking users to units is part of managing users and roles: admins only.
    staff_perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS).exclude(
        content_type__model="unithead"
    )
    view_perms = staff_perms.filter(codename__startswith="view_")
    groups[Role.INTERIOR_STAFF].permissions.set(staff_perms)
    groups[Role.LEADERSHIP].permissions.set(view_perms)
    groups[Role.ADMIN].permissions.set(
        Permission.objects.filter(content_type__app_label__in=(*STAFF_APPS, "auth"))
    )
