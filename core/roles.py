"""The four roles, as Django groups, and what each means. The one place that says who is who.

- interior_staff (Sở Nội vụ): maintains units and frameworks, enters and appraises every unit's scores
  and deductions in open periods, imports surveys, publishes and locks results.
- unit_head (thủ trưởng đơn vị): linked to exactly one unit (units.UnitHead); reads that unit's
  assessments in every state, self-assesses and answers deductions while the period allows; sees other
  units only once published, and then only the published figures.
- leadership (lãnh đạo UBND tỉnh / Sở): reads everything, writes nothing.
- admin: everything, plus users and roles (a Django superuser is treated as admin).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"
    INTERIOR_STAFF = "interior_staff"
    LEADERSHIP = "leadership"
    UNIT_HEAD = "unit_head"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _("Quản trị hệ thống"),
    Role.INTERIOR_STAFF: _("Cán bộ Sở Nội vụ"),
    Role.LEADERSHIP: _("Lãnh đạo"),
    Role.UNIT_HEAD: _("Thủ trưởng đơn vị"),
}

# Highest first: a person in several groups acts with the strongest role.
ROLE_PRECEDENCE = [Role.ADMIN, Role.INTERIOR_STAFF, Role.LEADERSHIP, Role.UNIT_HEAD]


def roles_of(user) -> set[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    roles = {role for role in Role if role.value in names}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    user._roles_cache = roles
    return roles


def primary_role(user) -> Role | None:
    roles = roles_of(user)
    return next((role for role in ROLE_PRECEDENCE if role in roles), None)


def unit_id_of(user) -> int | None:
    """The unit a unit head answers for, or None."""
    if Role.UNIT_HEAD not in roles_of(user):
        return None
    link = getattr(user, "unit_head", None)
    return link.unit_id if link is not None else None
