"""Reads for the home page and the dashboards, by topic:

- snapshots: which published version of a period the pages show (`Edition`);
- filters: the filter bar's choices;
- results: the stored (or published) results, the one reader of every dashboard, export, PDF and
  API answer (`source` decides between a period's snapshot and the live results);
- components: the component results of the heatmap and the unit profile;
- unit: a unit's lineage and its criterion scores;
- deductions: points lost per criterion, component and reason;
- climb: the unit, the units above it and a window of the ranking;
- comparison: this period against the period before, in the database;
- home: what each role needs first.

Callers import from the topic's module; the names below are re-exported for convenience.
"""

from .climb import ClimbRows, climb_rows, count_higher, unit_losses_for_climb
from .comparison import ComparisonRead, compare_with_previous
from .components import (
    ComponentCell,
    GroupComponents,
    component_averages,
    component_cells,
    group_components,
)
from .deductions import (
    criterion_losses,
    lost_points_by_component,
    lost_points_by_criterion,
    reasons_summary,
)
from .filters import FilterChoices, default_group_id, periods_and_groups
from .home import HomeSummary, home_summary
from .results import (
    RankingTotals,
    ResultRow,
    group_result_count,
    group_rows,
    history_rows,
    period_rows,
    ranking_page,
    ranking_totals,
)
from .snapshots import LATEST, Edition, choose_version, latest_edition
from .unit import (
    CriterionLine,
    predecessor_map,
    scores_visible,
    unit_lineage,
    unit_scores,
    visible_assessment,
)

__all__ = [
    "LATEST",
    "ClimbRows",
    "ComparisonRead",
    "ComponentCell",
    "CriterionLine",
    "Edition",
    "FilterChoices",
    "GroupComponents",
    "HomeSummary",
    "RankingTotals",
    "ResultRow",
    "choose_version",
    "climb_rows",
    "compare_with_previous",
    "component_averages",
    "component_cells",
    "count_higher",
    "criterion_losses",
    "default_group_id",
    "group_components",
    "group_result_count",
    "group_rows",
    "history_rows",
    "home_summary",
    "latest_edition",
    "lost_points_by_component",
    "lost_points_by_criterion",
    "period_rows",
    "periods_and_groups",
    "predecessor_map",
    "ranking_page",
    "ranking_totals",
    "reasons_summary",
    "scores_visible",
    "unit_lineage",
    "unit_losses_for_climb",
    "unit_scores",
    "visible_assessment",
]
