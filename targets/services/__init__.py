"""Writes of the targets app, by topic: targets (set, propose), target_import (from a file),
plans (create from deductions, update, close, mark overdue)."""
