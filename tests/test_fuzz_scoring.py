"""The scoring rules, fuzzed with hypothesis (issue 16, "bad input, fuzzed").

tests/test_engine_property.py holds the SQL engine to the Python reference on five seeded worlds
from a hand-rolled generator. This module adds what that one does not:

- the rules of indicators.computation alone, on any input (typed values out of range, huge
  deductions, measures far past 100 %): a criterion's points stay within [0, maximum], more
  deduction never raises them (once the criterion is appraised by deduction), a higher typed value
  never lowers them, not applicable stores 0 and leaves the maximum, a percent of a share stays
  within 0..100, a value the sheet accepts counts exactly as typed, and the competition ranks of
  README.md "Scoring rules in the code" (equal percents share a rank, the next rank skips:
  1, 2, 2, 4);
- the engine on worlds drawn by hypothesis (so a disagreement shrinks to a minimal sheet), built
  with test_engine_property's own builder and reference: the stored results equal the reference,
  and they keep the bounds, the bonus and penalty caps and the ranking rule by themselves.

Example counts are bounded for the suite; `FUZZ_EXAMPLES=500` runs more of them to hunt bugs.
"""

from __future__ import annotations

import os
from decimal import Decimal as D

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indicators.computation import (
    ZERO,
    CriterionRule,
    applicable_maximum,
    band_points,
    competition_ranks,
    criterion_points,
    percent,
    points_problem,
    quantize,
)

from .test_engine_property import (
    Entry,
    Leaf,
    Sheet,
    World,
    _fields,
    build,
    expected_results,
    run_engine,
    stored_results,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def fuzz(n: int):
    """Bounded examples for the suite (FUZZ_EXAMPLES overrides), reproducible, no deadline."""
    return settings(
        max_examples=EXAMPLES or n,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


MAXIMA = [D("0.5"), D(1), D("1.5"), D(2), D(3), D("4.5"), D(5), D(10)]
METHODS = ["entered", "yes_no", "bands", "proportional", "survey", "not_applicable"]
HUNDRED = D(100)


def amounts(low=0, high=1000, places=2):
    return st.decimals(
        min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False
    )


@st.composite
def rules(draw) -> CriterionRule:
    max_points = draw(st.sampled_from(MAXIMA))
    method = draw(st.sampled_from(METHODS))
    bands = ()
    if method == "bands":
        mins = draw(st.lists(st.integers(0, 120), min_size=1, max_size=4, unique=True))
        bands = tuple(
            {"min": m, "points": float(draw(amounts(0, max_points)))} for m in sorted(mins)
        )
    return CriterionRule(max_points=max_points, method=method, bands=bands)


any_value = st.none() | amounts(-1000, 1000)


# --- One criterion ---------------------------------------------------------------------------------


@fuzz(300)
@given(
    rule=rules(),
    entered=any_value,
    measured=any_value,
    deducted=amounts(0, 1000),
    flagged=st.booleans(),
    recorded=st.booleans(),
)
def test_a_criterion_s_points_stay_within_zero_and_its_maximum(
    rule, entered, measured, deducted, flagged, recorded
):
    points = criterion_points(
        rule,
        entered=entered,
        measured=measured,
        deducted=deducted,
        not_applicable=flagged,
        deduction_recorded=recorded,
    )
    assert ZERO <= points <= rule.max_points
    assert points == quantize(points)
    if flagged or rule.method == "not_applicable":
        assert points == ZERO
        assert applicable_maximum(rule, not_applicable=flagged) == ZERO
    else:
        assert applicable_maximum(rule, not_applicable=flagged) == rule.max_points


@fuzz(300)
@given(
    rule=rules(),
    entered=any_value,
    measured=any_value,
    less=amounts(0, 50),
    more=amounts(0, 50),
)
def test_more_deduction_never_raises_a_criterion_s_points(rule, entered, measured, less, more):
    less, more = sorted((less, more))
    # Appraised by deduction (README): once a deduction was recorded the base is fixed, and each
    # further point deducted can only take points away.
    before, after = (
        criterion_points(
            rule, entered=entered, measured=measured, deducted=d, deduction_recorded=True
        )
        for d in (less, more)
    )
    assert after <= before


@fuzz(200)
@given(rule=rules(), low=amounts(-20, 20), high=amounts(-20, 20), deducted=amounts(0, 20))
def test_a_higher_typed_value_never_lowers_a_criterion_s_points(rule, low, high, deducted):
    low, high = sorted((low, high))
    got = [criterion_points(rule, entered=v, deducted=deducted) for v in (low, high)]
    assert got[0] <= got[1]


@fuzz(200)
@given(
    max_points=st.sampled_from(MAXIMA),
    step=st.sampled_from([None, D("0.25"), D("0.5"), D(1)]),
    value=amounts(-20, 20, places=4),
)
@example(max_points=D(1), step=D("0.25"), value=D("-0.00"))
def test_a_value_the_sheet_accepts_counts_exactly_as_typed(max_points, step, value):
    problem = points_problem(value, max_points=max_points, step=step)
    in_range = ZERO <= value <= max_points
    on_step = step is None or value % step == 0
    assert problem == ("" if in_range and on_step else "range" if not in_range else "step")
    if not problem and value == quantize(value):
        rule = CriterionRule(max_points=max_points, method="entered")
        assert criterion_points(rule, entered=value) == value


def test_the_first_deduction_on_an_unscored_criterion_appraises_it_from_its_maximum():
    """The one documented case where a deduction raises the points: an entered criterion nobody
    scored counts 0, and the appraiser's first deduction starts it from the maximum (README)."""
    rule = CriterionRule(max_points=D(2), method="entered")
    assert criterion_points(rule, entered=None) == ZERO
    assert criterion_points(rule, entered=None, deducted=D("0.5")) == D("1.5")
    withdrawn = criterion_points(rule, entered=None, deduction_recorded=True)
    assert withdrawn == D(2)


@fuzz(200)
@given(
    bands=st.lists(
        st.tuples(st.integers(0, 120), amounts(0, 10)),
        min_size=1,
        max_size=5,
        unique_by=lambda b: b[0],
    ),
    low=amounts(-50, 200),
    high=amounts(-50, 200),
)
def test_a_band_reached_is_one_of_the_bands_and_climbs_with_the_measure(bands, low, high):
    # Bands whose points grow with their minimum, as every real framework writes them.
    ordered = sorted(bands)
    points = sorted(p for _m, p in ordered)
    table = [{"min": m, "points": float(p)} for (m, _p), p in zip(ordered, points, strict=True)]
    low, high = sorted((low, high))
    got = [band_points(table, v) for v in (low, high)]
    allowed = {ZERO} | {D(str(b["points"])) for b in table}
    assert set(got) <= allowed
    assert got[0] <= got[1]


@fuzz(200)
@given(maximum=amounts(0, 2000), share=st.fractions(0, 1), other=amounts(0, 2000))
@example(maximum=D(0), share=0, other=D(0))
def test_a_percent_of_a_share_stays_within_0_and_100_and_climbs_with_the_points(
    maximum, share, other
):
    points = quantize(maximum * D(share.numerator) / D(share.denominator))
    pct = percent(points, maximum)
    assert ZERO <= pct <= HUNDRED
    if maximum == 0:
        assert pct == ZERO
    low, high = sorted((points, min(other, maximum)))
    assert percent(low, maximum) <= percent(high, maximum)


# --- Ranks -----------------------------------------------------------------------------------------


@fuzz(300)
@given(st.lists(amounts(0, 100), max_size=30), st.randoms(use_true_random=False))
@example([D(90), D(80), D(80), D(70)], None)
def test_ranks_share_ties_and_skip_the_next_rank(values, rng):
    ranks = competition_ranks(values)
    for value, rank in zip(values, ranks, strict=True):
        assert rank == 1 + sum(1 for v in values if v > value)
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if a > b:
                assert ranks[i] < ranks[j]  # a better percent never ranks lower
            if a == b:
                assert ranks[i] == ranks[j]
    if values == [D(90), D(80), D(80), D(70)]:
        assert ranks == [1, 2, 2, 4]
    if rng is not None:  # the order of the rows changes nothing
        shuffled = list(zip(values, ranks, strict=True))
        rng.shuffle(shuffled)
        assert competition_ranks([v for v, _r in shuffled]) == [r for _v, r in shuffled]


# --- The engine on drawn worlds --------------------------------------------------------------------


@st.composite
def leaves_of(draw, component: str) -> list[Leaf]:
    leaves = []
    for k in range(1, draw(st.integers(1, 3)) + 1):
        method = draw(st.sampled_from(METHODS))
        max_points = draw(st.sampled_from(MAXIMA))
        step = None
        if method == "entered":
            step = draw(st.sampled_from([None, D("0.25"), D("0.5")]))
            if step and (max_points / step) % 1:
                step = None
        if method == "yes_no":
            step = max_points
        bands = []
        if method == "bands":
            bands = [
                {"min": 100, "points": float(max_points)},
                {"min": 80, "points": float(quantize(max_points / 2))},
            ]
        leaves.append(Leaf(f"{component}.{k}", component, max_points, method, step, bands))
    return leaves


def _typed(draw, leaf: Leaf) -> D:
    if leaf.step:
        return leaf.step * draw(st.integers(0, int(leaf.max_points / leaf.step)))
    return D(draw(st.integers(0, int(leaf.max_points * 100)))) / 100


@st.composite
def sheets(draw, leaves: list[Leaf]) -> Sheet:
    stage = draw(st.sampled_from(["draft", "round1", "round2"]))
    entries = {}
    for leaf in leaves:
        typeable = leaf.method not in ("not_applicable", "survey")
        e = Entry()
        if typeable and draw(st.booleans()):
            e.self_points = _typed(draw, leaf)
        if stage != "draft":
            if typeable and draw(st.booleans()):
                e.appraised = _typed(draw, leaf)
            if typeable and stage == "round2" and draw(st.booleans()):
                e.final = _typed(draw, leaf)
            if leaf.method in ("bands", "proportional") and draw(st.booleans()):
                e.measured = D(draw(st.integers(0, 12_000))) / 100
            e.not_applicable = draw(st.integers(0, 5)) == 0
            e.deductions = draw(
                st.lists(st.tuples(amounts(D("0.25"), 20), st.booleans()), max_size=2)
            )
        if e.has_row():
            entries[leaf.code] = e
    adjust = stage != "draft"
    bonuses = draw(st.lists(amounts(D("0.01"), 3), max_size=2)) if adjust else []
    penalties = draw(st.lists(amounts(D("0.01"), 3), max_size=2)) if adjust else []
    return Sheet(stage, entries, bonuses, penalties)


@st.composite
def worlds(draw) -> tuple[World, dict]:
    components = {str(c): draw(leaves_of(str(c))) for c in range(1, draw(st.integers(1, 3)) + 1)}
    tree: dict[str, list] = {}
    for code, leaves in components.items():
        tree[code] = [None, sum((leaf.max_points for leaf in leaves), ZERO), {}]
        for leaf in leaves:
            tree[leaf.code] = [code, leaf.max_points, _fields(leaf)]
    all_leaves = [leaf for leaves in components.values() for leaf in leaves]
    units: dict[str, tuple[int | None, Sheet]] = {}
    for n in range(draw(st.integers(1, 5))):
        if units and draw(st.integers(0, 3)) == 0:  # a twin, to tie
            group, sheet = units[draw(st.sampled_from(sorted(units)))]
        else:
            group = draw(st.sampled_from([0, 0, 1, None]))
            sheet = draw(sheets(all_leaves))
        units[f"dv-fz-{n}"] = (group, sheet)
    world = World(
        components=components,
        max_bonus=draw(st.sampled_from([ZERO, D(1), D("2.5")])),
        max_penalty=draw(st.sampled_from([ZERO, D(1), D("3.5")])),
        bands=[("Tốt", D(90)), ("Khá", D("70.5"))][: draw(st.integers(0, 2))],
        units=units,
    )
    return world, tree


@fuzz(20)
@given(drawn=worlds())
def test_the_engine_agrees_with_the_rules_and_keeps_bounds_caps_and_ranks(db, drawn):
    world, tree = drawn
    with transaction.atomic():  # each example starts from the empty test database
        period, groups = build(world, tree)
        run_engine(period)
        got = stored_results(period, groups)
        transaction.set_rollback(True)
    assert got == expected_results(world)

    leaves = {leaf.code: leaf for group in world.components.values() for leaf in group}
    for (unit, component), (points, maximum, pct) in got.components.items():
        entries = world.units[unit][1].entries
        applicable = sum(
            (
                applicable_maximum(
                    leaf.rule(), not_applicable=code in entries and entries[code].not_applicable
                )
                for code, leaf in leaves.items()
                if leaf.component == component
            ),
            ZERO,
        )
        assert maximum == applicable  # not applicable leaves the maximum
        assert ZERO <= points <= maximum
        assert ZERO <= pct <= HUNDRED
    for unit, (group, total, maximum, pct, rank, _change, _band) in got.assessments.items():
        summed = sum((c[0] for (u, _c), c in got.components.items() if u == unit), ZERO)
        assert max(ZERO, summed - world.max_penalty) <= total <= summed + world.max_bonus
        assert ZERO <= pct <= HUNDRED
        assert maximum == sum((c[1] for (u, _c), c in got.components.items() if u == unit), ZERO)
        if group is None:
            assert rank is None
            continue
        peers = [row[3] for row in got.assessments.values() if row[0] == group]
        assert rank == 1 + sum(1 for p in peers if p > pct)
