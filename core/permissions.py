"""Who may do what: the one table every view, export, API endpoint and admin page consults.

Object-level rules (which assessment, which unit) live in each app's permissions.py and build on
`can` and `core.roles.unit_id_of`; nothing else in the project looks at group names.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .roles import Role, roles_of


class Action(StrEnum):
    VIEW_HOME = "view_home"
    VIEW_ALL_UNITS = "view_all_units"  # any unit's assessment, in any state
    VIEW_OWN_UNIT = "view_own_unit"
    VIEW_PUBLISHED = "view_published"
    VIEW_DASHBOARDS = "view_dashboards"
    SELF_ASSESS = "self_assess"
    ANSWER_DEDUCTION = "answer_deduction"
    APPRAISE = "appraise"
    PUBLISH = "publish"
    MANAGE_FRAMEWORKS = "manage_frameworks"
    MANAGE_UNITS = "manage_units"
    MANAGE_SURVEYS = "manage_surveys"
    RECOMPUTE = "recompute"
    OPEN_PERIOD = "open_period"  # open a year's round: period, groups, draft assessments
    BULK_TRANSITION = "bulk_transition"  # move many assessments along the workflow at once
    MANAGE_USERS = "manage_users"
    USE_ADMIN = "use_admin"
    MANAGE_TARGETS = "manage_targets"  # targets and improvement plans


_ALL = {Role.ADMIN, Role.INTERIOR_STAFF, Role.LEADERSHIP, Role.UNIT_HEAD}
_STAFF = {Role.ADMIN, Role.INTERIOR_STAFF}

RULES: dict[Action, set[Role]] = {
    Action.VIEW_HOME: _ALL,
    Action.VIEW_ALL_UNITS: {Role.ADMIN, Role.INTERIOR_STAFF, Role.LEADERSHIP},
    Action.VIEW_OWN_UNIT: {Role.UNIT_HEAD},
    Action.VIEW_PUBLISHED: _ALL,
    Action.VIEW_DASHBOARDS: _ALL,
    Action.SELF_ASSESS: {Role.UNIT_HEAD},
    Action.ANSWER_DEDUCTION: {Role.UNIT_HEAD},
    Action.APPRAISE: _STAFF,
    Action.PUBLISH: _STAFF,
    Action.MANAGE_FRAMEWORKS: _STAFF,
    Action.MANAGE_UNITS: _STAFF,
    Action.MANAGE_SURVEYS: _STAFF,
    Action.RECOMPUTE: _STAFF,
    Action.OPEN_PERIOD: _STAFF,
    Action.BULK_TRANSITION: _STAFF,
    Action.MANAGE_USERS: {Role.ADMIN},
    # The Django admin: staff maintain data there, leadership browses it read-only (their groups
    # hold only view permissions); unit heads never enter it, whatever their is_staff flag says.
    Action.USE_ADMIN: {Role.ADMIN, Role.INTERIOR_STAFF, Role.LEADERSHIP},
    Action.MANAGE_TARGETS: _STAFF,
}


def can(user, action: Action) -> bool:
    return bool(roles_of(user) & RULES[action])


def require(user, action: Action) -> None:
    if not can(user, action):
        raise PermissionDenied
