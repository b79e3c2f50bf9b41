"""The states of an assessment and who may move it from one to the next. Pure: no ORM."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.roles import Role


class State(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SELF_ASSESSED = "self_assessed", _("Đã tự đánh giá")
    SUBMITTED = "submitted", _("Đã gửi thẩm định")
    APPRAISED = "appraised", _("Đã thẩm định")
    PUBLISHED = "published", _("Đã công bố")
    LOCKED = "locked", _("Đã khóa")


_STAFF = frozenset({Role.INTERIOR_STAFF, Role.ADMIN})
_UNIT = frozenset({Role.UNIT_HEAD})

# (from, to) → the roles allowed to make that move. Anything not listed is refused.
TRANSITIONS: dict[tuple[State, State], frozenset[Role]] = {
    (State.DRAFT, State.SELF_ASSESSED): _UNIT | _STAFF,
    (State.SELF_ASSESSED, State.DRAFT): _UNIT | _STAFF,
    (State.SELF_ASSESSED, State.SUBMITTED): _UNIT | _STAFF,
    # Returned to the unit for explanation (giải trình) before appraisal.
    (State.SUBMITTED, State.SELF_ASSESSED): _STAFF,
    (State.SUBMITTED, State.APPRAISED): _STAFF,
    # A second appraisal round after the unit's explanations.
    (State.APPRAISED, State.SUBMITTED): _STAFF,
    (State.APPRAISED, State.PUBLISHED): _STAFF,
    (State.PUBLISHED, State.LOCKED): _STAFF,
}

# States in which the unit may still change its self-assessment, and staff their appraisal.
SELF_EDITABLE = frozenset({State.DRAFT})
APPRAISAL_EDITABLE = frozenset({State.SUBMITTED, State.APPRAISED})
FROZEN = frozenset({State.PUBLISHED, State.LOCKED})
# Figures that are the appraisal's: ranked among themselves, and publishable.
APPRAISED_STATES = (State.APPRAISED, State.PUBLISHED, State.LOCKED)


def allowed_targets(current: State, roles: set[Role]) -> list[State]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == current and who & roles]


def may_transition(current: State, target: State, roles: set[Role]) -> bool:
    return bool(TRANSITIONS.get((State(current), State(target)), frozenset()) & roles)


# Moves backwards need a reason the unit will read (the sheet's buttons and the bulk moves alike).
REASON_REQUIRED = frozenset(
    {
        (State.SUBMITTED, State.SELF_ASSESSED),
        (State.APPRAISED, State.SUBMITTED),
    }
)
