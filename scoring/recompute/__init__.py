"""The recompute: a period's stored results (AssessmentResult, ComponentResult), computed set-based
in the database. Nothing else writes them.

Three entry points, by when the work is done:

- `recompute_now(period, unit_ids=None)`: in this process, now (the publication, the operators'
  command, tests); returns RecomputeStats.
- `recompute_queue(period_id, unit_ids=None)`: by a Celery worker, a few seconds later, merged into
  the run already waiting for the period (the staff's button, the nightly job).
- `recompute_on_commit(period_id, unit_ids=None)`: queued when the current transaction commits,
  one request per period and transaction (every write to scores, deductions, adjustments, group
  memberships and survey points).

`unit_ids` limits the work to those units' assessments and their groups' ranks. Inside:
engine (the steps in one transaction: .results then .ranks, over a .scope), jobs (RecomputeRun rows:
queueing, coalescing, claiming, progress, pruning; scoring.tasks wraps them), locks (one recompute
per period at a time) and trigger (the on-commit request).
"""

from .engine import RecomputeStats
from .jobs import recompute_now, recompute_queue
from .locks import RecomputeBusy
from .trigger import recompute_on_commit

__all__ = [
    "RecomputeBusy",
    "RecomputeStats",
    "recompute_now",
    "recompute_on_commit",
    "recompute_queue",
]
