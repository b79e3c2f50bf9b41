"""What each dashboard shows, assembled from the selectors: shared by the pages, the exports, the
PDF reports and the API so that all of them show the same figures. Each page's function returns a
dataclass; the views add the Plotly figures and render.

- filters: the filter bar (`Filters`, `parse_filters`) and the cache of group aggregates;
- tables: the ranking and the heatmap;
- unit: a unit's profile;
- deductions: the deduction analysis;
- climbing: the climb analysis of one unit;
- comparing: this period against the previous one.
"""

from .climbing import PICKER_CAP, ClimbAnalysis, climb
from .comparing import ComparisonPage, comparison
from .deductions import ComponentLoss, DeductionAnalysis, Drill, deduction_analysis
from .filters import Filters, parse_filters, parse_int
from .tables import PAGE_SIZE, SORTS, Heatmap, HeatmapRow, RankingPage, heatmap, ranking
from .unit import ComponentVsGroup, UnitProfile, unit_profile

__all__ = [
    "PAGE_SIZE",
    "PICKER_CAP",
    "SORTS",
    "ClimbAnalysis",
    "ComparisonPage",
    "ComponentLoss",
    "ComponentVsGroup",
    "DeductionAnalysis",
    "Drill",
    "Filters",
    "Heatmap",
    "HeatmapRow",
    "RankingPage",
    "UnitProfile",
    "climb",
    "comparison",
    "deduction_analysis",
    "heatmap",
    "parse_filters",
    "parse_int",
    "ranking",
    "unit_profile",
]
