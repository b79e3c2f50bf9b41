"""Reads of the targets app, by topic: results (what the targets are measured against), targets
(their status), plans (the improvement tasks), search (units by name or code)."""
