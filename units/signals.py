"""What the units app announces to the apps above it. Units imports none of its listeners: the
scoring app connects to these in its AppConfig.ready().

memberships_changed(sender, year: int, unit_ids: list[int])
    Sent inside the writing transaction when the ranking groups of these units for that year were
    written (a membership created, moved to another group or deleted), by units.services and the
    units admin. Every writer of GroupMembership sends it.
"""

from django.dispatch import Signal

memberships_changed = Signal()
