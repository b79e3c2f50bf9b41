"""Writes to units, ranking groups and group memberships.

Every write of a group membership announces units.signals.memberships_changed (the scoring app
re-ranks the groups the units left and joined). The import from a file is units.importing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from .models import GroupMembership
from .signals import memberships_changed


def memberships_changed_send(*, changes: Iterable[tuple[int, int]]) -> None:
    """Announce that the ranking groups of these (year, unit id) pairs were written (created,
    moved or deleted): one memberships_changed signal per year. For writers that saved the rows
    themselves (the units admin's inline); the functions below call it."""
    by_year: dict[int, set[int]] = defaultdict(set)
    for year, unit_id in changes:
        by_year[year].add(unit_id)
    for year, unit_ids in sorted(by_year.items()):
        memberships_changed.send(sender=GroupMembership, year=year, unit_ids=sorted(unit_ids))


@transaction.atomic
def membership_save(*, membership: GroupMembership) -> GroupMembership:
    """Create or change a unit's ranking group of a year. A changed row announces its old (year,
    unit) too: the group the unit left is re-ranked."""
    before = (
        GroupMembership.objects.filter(pk=membership.pk).values_list("year", "unit_id").first()
        if membership.pk
        else None
    )
    membership.save()
    changes = [(membership.year, membership.unit_id)]
    if before is not None:
        changes.append(before)
    memberships_changed_send(changes=changes)
    return membership


@transaction.atomic
def memberships_delete(*, memberships: QuerySet[GroupMembership]) -> int:
    """Delete group memberships; returns how many."""
    changes = list(memberships.values_list("year", "unit_id"))
    deleted, _per_model = memberships.delete()
    memberships_changed_send(changes=changes)
    return deleted
