"""The account that management commands act as: history written from the command line names a
user, the one given with --user or the named import account."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role

IMPORT_USERNAME = "nhap-lieu"


@transaction.atomic
def import_account():
    """The import account ("nhap-lieu"), created on first use: interior staff (so that it may make
    the moves staff make), never a superuser, with no password anyone can log in with."""
    user, created = get_user_model().objects.get_or_create(
        username=IMPORT_USERNAME,
        defaults={"first_name": "Nhập liệu", "last_name": "(tài khoản dòng lệnh)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group, _created = Group.objects.get_or_create(name=Role.INTERIOR_STAFF.value)
    user.groups.add(group)
    return user


def command_user(username: str | None = None):
    """The user a command acts as: `username` (it must exist and be active), else the import
    account."""
    if not username:
        return import_account()
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise DomainError(
            _("Không có người dùng “%(username)s” đang hoạt động.") % {"username": username}
        )
    return user
