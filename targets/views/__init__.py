"""Views of the targets app, by topic: targets (list, set, import, propose), plans (overview,
creation, export, a task), search (units), trends (the group's average across years)."""
