"""The climb analysis and the other pure arithmetic of reports/computation.py: no database."""

from decimal import Decimal as D

from reports.computation import (
    Loss,
    Standing,
    cheapest_recovery,
    climb,
    compare_periods,
    movers,
    page_bounds,
    pareto,
    points_to_pass,
    rank_losses,
    summarize,
)


def standing(unit_id, total, maximum="100", rank=None, name=None):
    total, maximum = D(total), D(maximum)
    pct = (total * 100 / maximum).quantize(D("0.01"))
    return Standing(unit_id, name or f"Đơn vị {unit_id}", total, maximum, pct, rank)


def test_points_to_pass_lifts_the_rounded_percent_strictly_above_the_target():
    # 80,00/100 must pass 82,50%: 2,51 points (82,51%), not 2,50 (a tie is not a pass).
    assert points_to_pass(D("80"), D("100"), D("82.50")) == D("2.51")
    # On a 96-point maximum, percent rounds: 79,20 → 82,50% needs total ≥ 79,21 (82,51%).
    assert points_to_pass(D("76"), D("96"), D("82.50")) == D("3.21")


def test_points_to_pass_is_none_when_even_full_marks_are_not_enough():
    assert points_to_pass(D("99"), D("100"), D("100")) is None


def test_climb_names_the_next_three_units_above_and_the_points_each_needs():
    group = [
        standing(1, "95", rank=1),
        standing(2, "90", rank=2),
        standing(3, "88", rank=3),
        standing(4, "87", rank=4),
        standing(5, "85", rank=5),
        standing(6, "80", rank=6),
    ]
    losses = [Loss("1.1", "Kế hoạch", D("2")), Loss("3.2", "Hồ sơ đúng hạn", D("4"))]
    targets = climb(group[4], group, losses)
    assert [t.target.unit_id for t in targets] == [4, 3, 2]
    assert [t.points_needed for t in targets] == [D("2.01"), D("3.01"), D("5.01")]
    assert [t.new_rank for t in targets] == [4, 3, 2]
    # 2,01 points: the 4-point criterion alone covers it (one recovery rather than two).
    assert [x.code for x in targets[0].plan] == ["3.2"]
    assert targets[0].reachable_by_recovery
    # 5,01 points: both criteria are needed (6 points).
    assert {x.code for x in targets[2].plan} == {"1.1", "3.2"}
    assert targets[2].plan_points == D("6")


def test_passing_one_of_two_tied_units_passes_both():
    group = [standing(1, "90", rank=1), standing(2, "90", rank=1), standing(3, "85", rank=3)]
    targets = climb(group[2], group, [Loss("1.1", "x", D("10"))])
    assert targets[0].new_rank == 1
    assert targets[0].points_needed == D("5.01")


def test_the_leader_has_nobody_to_climb_past():
    group = [standing(1, "95", rank=1), standing(2, "90", rank=2)]
    assert climb(group[0], group, []) == []


def test_a_gap_larger_than_every_lost_point_is_marked_unreachable():
    group = [standing(1, "99", rank=1), standing(2, "80", rank=2)]
    (target,) = climb(group[1], group, [Loss("1.1", "x", D("3"))])
    assert target.points_needed == D("19.01")
    assert not target.reachable_by_recovery
    assert target.plan_points == D("3")


def test_recoveries_rank_appraisal_deductions_before_survey_points_of_the_same_size():
    ranked = rank_losses(
        [
            Loss("8.1", "SIPAS", D("2"), method="survey"),
            Loss("1.2", "Báo cáo", D("2"), method="yes_no"),
            Loss("3.1", "Tỷ lệ", D("2"), method="bands"),
        ]
    )
    assert [x.code for x in ranked] == ["1.2", "3.1", "8.1"]


def test_equal_recoveries_prefer_the_criterion_most_peers_get_full_marks_on():
    ranked = rank_losses(
        [
            Loss("2.1", "a", D("1"), peers_full_share=D("0.2")),
            Loss("2.2", "b", D("1"), peers_full_share=D("0.9")),
        ]
    )
    assert [x.code for x in ranked] == ["2.2", "2.1"]


def test_cheapest_recovery_drops_a_criterion_the_others_already_cover():
    ranked = rank_losses([Loss("a", "a", D("3")), Loss("b", "b", D("2")), Loss("c", "c", D("1"))])
    plan, total = cheapest_recovery(ranked, D("3"))
    assert [x.code for x in plan] == ["a"]
    assert total == D("3")


def test_pareto_adds_share_and_cumulative_share():
    rows = pareto(
        [
            {"code": "a", "lost": D("6")},
            {"code": "b", "lost": D("3")},
            {"code": "c", "lost": D("1")},
        ]
    )
    assert [r["code"] for r in rows] == ["a", "b", "c"]
    assert [r["share"] for r in rows] == [D("60.00"), D("30.00"), D("10.00")]
    assert [r["cumulative"] for r in rows] == [D("60.00"), D("90.00"), D("100.00")]


class Row:
    def __init__(self, unit_id, percent, rank, rank_change=None, published=True):
        self.unit_id, self.unit_name = unit_id, f"Đơn vị {unit_id}"
        self.percent, self.rank, self.rank_change = D(percent), rank, rank_change
        self.published, self.band = published, "A"


def test_a_merged_unit_is_compared_with_its_predecessors_average():
    current = [Row(10, "88.00", 1), Row(2, "80.00", 2, rank_change=1)]
    previous = [Row(1, "84.00", 1), Row(3, "86.00", 2), Row(2, "82.00", 3)]
    rows = compare_periods(current, previous, {10: [1, 3]})
    merged, other = rows
    assert merged.previous_percent == D("85.00") and merged.via_predecessors
    assert merged.delta == D("3.00")
    assert other.previous_percent == D("82.00") and other.delta == D("-2.00")
    rose, fell = movers(rows)
    assert [r.unit_id for r in rose] == [2] and fell == []


def test_summary_counts_bands_and_provisional_results():
    s = summarize([Row(1, "90", 1), Row(2, "80", 2, published=False), Row(3, "70.01", 3)])
    assert s.average == D("80.00") and s.median == D("80.00")
    assert (s.best, s.worst) == (D("90"), D("70.01"))
    assert (s.published, s.provisional) == (2, 1)


def test_page_bounds_clamp_to_existing_pages():
    assert page_bounds(130, 1, 60) == (0, 60, 3)
    assert page_bounds(130, 9, 60) == (120, 130, 3)
    assert page_bounds(0, 1, 60) == (0, 0, 1)


def test_the_last_recovery_is_the_smallest_that_still_closes_the_gap():
    ranked = rank_losses(
        [Loss("3.2.2", "a", D("2")), Loss("7.4", "b", D("2")), Loss("1.5", "c", D("0.75"))]
    )
    plan, total = cheapest_recovery(ranked, D("2.11"))
    assert sorted(x.code for x in plan) == ["1.5", "3.2.2"]
    assert total == D("2.75")
