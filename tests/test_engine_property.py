"""The SQL recompute engine held to a pure Python computation, on random data (seeded).

Each seed builds a framework (components, criteria and sub-criteria with various maxima, steps and
scoring methods), two ranking groups, 10-30 units (some of them exact copies of another, so that
ties happen) and their sheets, written through the services the users' paths use: the sheet's save
(self-assessment, first and second appraisal, measured values, criteria marked not applicable, rows
left empty: a note only, or a value typed then erased), the workflow transitions, deductions (some
withdrawn after an accepted explanation) and bonus / penalty adjustments (capped by the framework).
Some criteria are not applicable by their framework method, and many are left unscored. The engine then runs once on the period, and every stored
AssessmentResult and ComponentResult is compared, field by field, with what `expected_results`
computes from the same generated inputs with indicators.computation alone.

The expected side is the README's "Scoring rules in the code", written out plainly:
- a criterion's points: `criterion_points` of the value that counts (second appraisal, else first,
  else self-assessment), the measured value and the active deductions (a deduction ever recorded,
  even withdrawn, makes it appraised by deduction); a criterion with no score row is computed as a
  row with nothing typed, and an unscored one (nothing typed, measured or deducted) has 0 points
  whether its row is missing or empty; a criterion not applicable (flagged on the score, or by its framework
  method) leaves both the points and the maximum (`applicable_maximum`);
- a component: the sum of its leaves' points over its applicable maximum, `percent` of the two;
- total = sum of the components + bonus (capped) − penalty (capped), never below zero; percent =
  total ÷ applicable maximum × 100, two decimals, at most 100 (a bonus cannot lift it past 100);
- the band: the framework's highest rating band whose minimum the percent reaches ('' if none);
- rank: `competition_ranks` of the percents within the unit's ranking group of the year (1, 2, 2, 4),
  none without a group; no previous period here, so no rank change.

`make test` runs this module a second time on SQLite (the demo's database), where the engine's SQL
takes its other branches (floating-point sums, no FILTER, no GREATEST).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.db import connection

from indicators.computation import (
    ZERO,
    CriterionRule,
    applicable_maximum,
    competition_ranks,
    criterion_points,
    entered_points,
    percent,
    quantize,
)
from indicators.models import Criterion, RatingBand
from indicators.services import criterion_create
from scoring.models import Adjustment, AssessmentResult, ComponentResult
from scoring.services import (
    assessment_create,
    assessment_transition,
    deduction_add,
    explanation_decide,
    explanation_submit,
    sheet_save,
)
from scoring.workflow import State
from units.models import GroupMembership, UnitKind

from .factories import (
    FrameworkFactory,
    PeriodFactory,
    RankingGroupFactory,
    UnitFactory,
    make_user,
)

SEEDS = [3, 17, 2024, 40_961, 987_654_321]
YEAR = 2024
HUNDRED = D(100)


def run_engine(period) -> None:
    """The one call into the engine under test (a full recompute of the period)."""
    from scoring.recompute import recompute_now

    recompute_now(period)


# --- What is generated ----------------------------------------------------------------------------


@dataclass
class Leaf:
    code: str
    component: str
    max_points: D
    method: str
    step: D | None = None
    bands: list = field(default_factory=list)

    def rule(self) -> CriterionRule:
        return CriterionRule(
            max_points=self.max_points, method=self.method, bands=tuple(self.bands)
        )


@dataclass
class Entry:
    """What is typed for one criterion of one assessment (None: never typed)."""

    self_points: D | None = None
    appraised: D | None = None
    final: D | None = None
    measured: D | None = None
    not_applicable: bool = False
    deductions: list[tuple[D, bool]] = field(default_factory=list)  # (points, withdrawn)
    # A row with no typed value: "note" (only the unit's explanation written), "cleared" (a self
    # score typed, then erased) or None (no such row).
    empty: str | None = None

    def typed(self) -> bool:
        values = (self.self_points, self.appraised, self.final, self.measured)
        return any(v is not None for v in values)

    def has_row(self) -> bool:
        return (
            self.typed() or self.not_applicable or bool(self.deductions) or self.empty is not None
        )


@dataclass
class Sheet:
    """One unit's assessment: how far it went and what was typed."""

    stage: str  # "draft" (self-assessment only), "round1" or "round2" (second appraisal)
    entries: dict[str, Entry]
    bonuses: list[D]
    penalties: list[D]


@dataclass
class World:
    components: dict[str, list[Leaf]]
    max_bonus: D
    max_penalty: D
    bands: list[tuple[str, D]]
    # unit code → (group index or None, sheet)
    units: dict[str, tuple[int | None, Sheet]]


def _points(rng: random.Random, leaf: Leaf) -> D:
    """A value allowed by the criterion's maximum and step (often the bounds themselves)."""
    roll = rng.random()
    if roll < 0.15:
        return leaf.max_points
    if roll < 0.25:
        return ZERO
    if leaf.step:
        return leaf.step * rng.randint(0, int(leaf.max_points / leaf.step))
    return D(rng.randint(0, int(leaf.max_points * 100))) / 100


def _measured(rng: random.Random) -> D:
    return rng.choice(
        [D(100), D("99.99"), D(95), D("94.99"), D(80), D(0), D(rng.randint(0, 10_000)) / 100]
    )


def _framework(rng: random.Random) -> tuple[dict[str, list[Leaf]], dict[str, list]]:
    """Components 1..n, each with leaves (1.1, 1.2 or a level-3 1.2.1 ...) or a leaf itself.

    Returns the leaves by component and the tree to create: code → (parent code, max, fields)."""
    methods = ["entered", "entered", "yes_no", "bands", "proportional", "survey", "not_applicable"]
    components: dict[str, list[Leaf]] = {}
    tree: dict[str, list] = {}
    for c in range(1, rng.randint(2, 4) + 1):
        code = str(c)
        leaves: list[Leaf] = []
        children: list[tuple[str, str | None]] = []  # (leaf code, level-2 parent or None)
        shape = rng.random()
        if shape < 0.15:
            children = [(code, None)]  # the component is itself the scored leaf
        else:
            for k in range(1, rng.randint(1, 4) + 1):
                if rng.random() < 0.25:
                    middle = f"{code}.{k}"
                    for j in range(1, rng.randint(1, 3) + 1):
                        children.append((f"{middle}.{j}", middle))
                else:
                    children.append((f"{code}.{k}", None))
        for leaf_code, _middle in children:
            method = rng.choice(methods)
            max_points = rng.choice([D("0.5"), D(1), D("1.5"), D(2), D(3), D("4.5"), D(5), D(10)])
            step = rng.choice([None, None, D("0.25"), D("0.5")]) if method == "entered" else None
            if step and (max_points / step) % 1:
                step = None
            if method == "yes_no":
                step = max_points
            bands = []
            if method == "bands":
                top = max_points
                bands = [
                    {"min": 100, "points": float(top)},
                    {"min": 95, "points": float(quantize(top / 2))},
                    {"min": 80, "points": float(quantize(top / 4))},
                ]
            leaves.append(Leaf(leaf_code, code, max_points, method, step, bands))
        components[code] = leaves
        by_code = {leaf.code: leaf for leaf in leaves}
        if children == [(code, None)]:
            leaf = leaves[0]
            tree[code] = [None, leaf.max_points, _fields(leaf)]
            continue
        tree[code] = [None, sum((leaf.max_points for leaf in leaves), ZERO), {}]
        for leaf_code, middle in children:
            if middle is not None and middle not in tree:
                members = [by_code[lc] for lc, m in children if m == middle]
                tree[middle] = [code, sum((leaf.max_points for leaf in members), ZERO), {}]
            leaf = by_code[leaf_code]
            tree[leaf_code] = [middle or code, leaf.max_points, _fields(leaf)]
    return components, tree


def _fields(leaf: Leaf) -> dict:
    fields = {"method": leaf.method, "bands": leaf.bands}
    if leaf.step is not None:
        fields["step"] = leaf.step
    return fields


def _perfect(rng: random.Random, leaves: list[Leaf]) -> Sheet:
    """Every criterion appraised at its maximum, plus a bonus: the percent is capped at 100."""
    entries = {
        leaf.code: Entry(appraised=leaf.max_points)
        for leaf in leaves
        if leaf.method != "not_applicable"
    }
    return Sheet("round1", entries, [D(rng.randint(1, 300)) / 100], [])


def _sheet(rng: random.Random, leaves: list[Leaf]) -> Sheet:
    if rng.random() < 0.08:
        return _perfect(rng, leaves)
    stage = rng.choice(["draft", "round1", "round1", "round2"])
    entries: dict[str, Entry] = {}
    for leaf in leaves:
        e = Entry()
        # Nothing can be typed into a criterion the framework drops (the sheet refuses it); it can
        # still carry a measure, a flag or a deduction, which must count for nothing.
        typeable = leaf.method != "not_applicable"
        if typeable and leaf.method != "survey" and rng.random() < 0.7:
            e.self_points = _points(rng, leaf)
        if stage != "draft":
            if typeable and rng.random() < 0.6:
                e.appraised = _points(rng, leaf)
            if typeable and stage == "round2" and rng.random() < 0.5:
                e.final = _points(rng, leaf)
            if rng.random() < 0.4:
                e.measured = _measured(rng)
            if rng.random() < 0.1:
                e.not_applicable = True
            for _ in range(rng.choice([0, 0, 0, 1, 2])):
                points = rng.choice([D("0.25"), D("0.5"), D(1), D("1.75"), D(3), D(20)])
                e.deductions.append((points, rng.random() < 0.35))
        if not e.typed() and typeable and rng.random() < 0.5:
            # An unscored criterion whose row exists anyway: worth what a missing row is worth.
            # (A unit never self-scores a survey criterion: nothing to erase there.)
            e.empty = rng.choice(["note", "cleared"] if leaf.method != "survey" else ["note"])
        if e.has_row():
            entries[leaf.code] = e
    adjust = stage != "draft"
    bonuses = [D(rng.randint(1, 300)) / 100 for _ in range(rng.choice([0, 1, 2]) if adjust else 0)]
    penalties = [
        D(rng.randint(1, 300)) / 100 for _ in range(rng.choice([0, 0, 1, 2]) if adjust else 0)
    ]
    return Sheet(stage, entries, bonuses, penalties)


def generate(seed: int) -> tuple[World, dict[str, list]]:
    rng = random.Random(seed)
    components, tree = _framework(rng)
    leaves = [leaf for group in components.values() for leaf in group]
    units: dict[str, tuple[int | None, Sheet]] = {}
    for n in range(rng.randint(10, 30)):
        code = f"dv-{seed}-{n:02d}"
        if units and rng.random() < 0.25:
            # A twin: the same sheet as an earlier unit, in the same group, to tie with it.
            group, sheet = units[rng.choice(sorted(units))]
        else:
            group = rng.choice([0, 1, 0, 1, 0, 1, None] if n else [0])
            sheet = _sheet(rng, leaves)
        units[code] = (group, sheet)
    world = World(
        components=components,
        max_bonus=rng.choice([ZERO, D(1), D("2.5"), D(5)]),
        max_penalty=rng.choice([ZERO, D(1), D(2), D("3.5")]),
        bands=[("Tốt", D(90)), ("Khá", D("70.5")), ("Trung bình", D(50))][: rng.randint(0, 3)],
        units=units,
    )
    return world, tree


# --- The expected results, in pure Python --------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    assessments: dict[
        str, tuple
    ]  # unit code → (group, total, maximum, percent, rank, change, band)
    components: dict[tuple[str, str], tuple]  # (unit code, component) → (points, maximum, percent)


def expected_results(world: World) -> Expected:
    components: dict[tuple[str, str], tuple] = {}
    totals: dict[str, tuple] = {}
    for unit, (group, sheet) in world.units.items():
        points_sum, maximum_sum = ZERO, ZERO
        for component, leaves in world.components.items():
            points, maximum = ZERO, ZERO
            for leaf in leaves:
                entry = sheet.entries.get(leaf.code)
                flagged = entry is not None and entry.not_applicable
                maximum += applicable_maximum(leaf.rule(), not_applicable=flagged)
                # No score row: nothing typed, measured or deducted, as an empty row.
                entry = entry or Entry()
                entered = entered_points(
                    SimpleNamespace(
                        final_points=entry.final,
                        appraised_points=entry.appraised,
                        self_points=entry.self_points,
                    )
                )
                deducted = sum((p for p, withdrawn in entry.deductions if not withdrawn), ZERO)
                points += criterion_points(
                    leaf.rule(),
                    entered=entered,
                    measured=entry.measured,
                    deducted=deducted,
                    not_applicable=flagged,
                    deduction_recorded=bool(entry.deductions),
                )
            components[(unit, component)] = (points, maximum, percent(points, maximum))
            points_sum += points
            maximum_sum += maximum
        bonus = min(sum(sheet.bonuses, ZERO), world.max_bonus)
        penalty = min(sum(sheet.penalties, ZERO), world.max_penalty)
        total = quantize(max(ZERO, points_sum + bonus - penalty))
        pct = min(HUNDRED, percent(total, maximum_sum))
        band = next((label for label, low in world.bands if pct >= low), "")
        totals[unit] = (group, total, maximum_sum, pct, band)
    ranks: dict[str, int | None] = dict.fromkeys(totals)
    for group in {g for g, *_rest in totals.values() if g is not None}:
        members = [unit for unit, row in totals.items() if row[0] == group]
        for unit, rank in zip(
            members, competition_ranks([totals[u][3] for u in members]), strict=True
        ):
            ranks[unit] = rank
    assessments = {
        unit: (group, total, maximum, pct, ranks[unit], None, band)
        for unit, (group, total, maximum, pct, band) in totals.items()
    }
    return Expected(assessments, components)


# --- Writing the generated data through the services ----------------------------------------------


def build(world: World, tree: dict[str, list]):
    """Create everything in the database the way the app's users would (the framework, rating
    bands, memberships and adjustments the way the admin does); returns the period and the ranking
    groups' ids by index."""
    period = PeriodFactory(year=YEAR)
    leaf_max = sum(
        (leaf.max_points for leaves in world.components.values() for leaf in leaves), ZERO
    )
    framework = FrameworkFactory(
        year=YEAR,
        max_points=leaf_max,
        max_bonus=world.max_bonus,
        max_penalty=world.max_penalty,
    )
    for label, low in world.bands:
        RatingBand.objects.create(framework=framework, label=label, min_percent=low)
    created: dict[str, Criterion] = {}
    for order, (code, (parent, max_points, fields)) in enumerate(tree.items()):
        created[code] = criterion_create(
            framework=framework,
            code=code,
            name=f"Tiêu chí {code}",
            max_points=max_points,
            parent=created[parent] if parent else None,
            order=order,
            **fields,
        )
    groups = [
        RankingGroupFactory(code=f"khoi-{i}", name=f"Khối {i}", unit_kind=UnitKind.DEPARTMENT)
        for i in range(2)
    ]
    staff = make_user("interior_staff", username="can-bo-tham-dinh")
    for unit_code, (group, sheet) in world.units.items():
        unit = UnitFactory(code=unit_code)
        if group is not None:
            GroupMembership.objects.create(unit=unit, group=groups[group], year=YEAR)
        assessment = assessment_create(period=period, unit=unit, framework=framework)
        _fill(assessment, sheet, created, staff)
    return period, {i: g.pk for i, g in enumerate(groups)}


def _save(assessment, staff, created, values: dict[str, dict]) -> None:
    rows = {created[code].pk: v for code, v in values.items() if v}
    if rows:
        sheet_save(assessment=assessment, user=staff, version=assessment.version, rows=rows)


def _fill(assessment, sheet: Sheet, created: dict[str, Criterion], staff) -> None:
    entries = sheet.entries
    # Self-assessment (staff on the unit's behalf), with the explanation submission asks for; a
    # row to be "cleared" gets a self score, erased right after.
    _save(
        assessment,
        staff,
        created,
        {
            code: {"self_points": e.self_points, "self_explanation": "Tự chấm theo hướng dẫn"}
            for code, e in entries.items()
            if e.self_points is not None
        }
        | {
            code: {"self_explanation": "Chưa đủ tài liệu để tự chấm"}
            for code, e in entries.items()
            if e.empty == "note"
        }
        | {code: {"self_points": D(0)} for code, e in entries.items() if e.empty == "cleared"},
    )
    _save(
        assessment,
        staff,
        created,
        {code: {"self_points": None} for code, e in entries.items() if e.empty == "cleared"},
    )
    if sheet.stage == "draft":
        return
    for target in (State.SELF_ASSESSED, State.SUBMITTED):
        assessment = assessment_transition(assessment=assessment, to_state=target, user=staff)
    first = {}
    for code, e in entries.items():
        row = {}
        if e.appraised is not None:
            row["appraised_points"] = e.appraised
        if e.measured is not None:
            row["measured_value"] = e.measured
        if e.not_applicable:
            row["not_applicable"] = True
        first[code] = row
    _save(assessment, staff, created, first)
    head = None
    for code, e in entries.items():
        for points, withdrawn in e.deductions:
            deduction = deduction_add(
                assessment=assessment,
                criterion=created[code],
                points=points,
                user=staff,
                note="Thiếu tài liệu",
            )
            if withdrawn:
                head = head or make_user("unit_head", unit=assessment.unit)
                explanation = explanation_submit(deduction=deduction, user=head, text="Đã bổ sung")
                explanation_decide(explanation=explanation, user=staff, accept=True, withdraw=True)
    for kind, amounts in (
        (Adjustment.Kind.BONUS, sheet.bonuses),
        (Adjustment.Kind.PENALTY, sheet.penalties),
    ):
        for amount in amounts:
            Adjustment.objects.create(
                assessment=assessment, kind=kind, points=amount, reason="Theo quyết định"
            )
    if sheet.stage != "round2":
        return
    for target in (State.APPRAISED, State.SUBMITTED):  # sent back for a second appraisal
        assessment = assessment_transition(assessment=assessment, to_state=target, user=staff)
    _save(
        assessment,
        staff,
        created,
        {code: {"final_points": e.final} for code, e in entries.items() if e.final is not None},
    )


# --- The test ------------------------------------------------------------------------------------


def stored_results(period, groups: dict[int, int]) -> Expected:
    group_index = {pk: i for i, pk in groups.items()}
    assessments = {
        r.assessment.unit.code: (
            group_index.get(r.group_id) if r.group_id is not None else None,
            r.total_points,
            r.max_points,
            r.percent,
            r.rank,
            r.rank_change,
            r.band,
        )
        for r in AssessmentResult.objects.filter(period=period).select_related("assessment__unit")
    }
    components = {
        (c.assessment.unit.code, c.component.code): (c.points, c.max_points, c.percent)
        for c in ComponentResult.objects.filter(assessment__period=period).select_related(
            "assessment__unit", "component"
        )
    }
    return Expected(assessments, components)


def test_the_database_really_is_the_one_asked_for(db):
    """`make test` runs this module on SQLite too: make sure that run is not PostgreSQL again."""
    url = os.environ.get("DATABASE_URL", "")
    wanted = "sqlite" if url.startswith("sqlite") else "postgresql"
    print(f"engine property test on {connection.vendor}")
    assert connection.vendor == wanted


@pytest.mark.parametrize("seed", SEEDS)
def test_the_engine_stores_what_the_rules_compute(db, seed):
    world, tree = generate(seed)
    period, groups = build(world, tree)

    run_engine(period)

    expected = expected_results(world)
    got = stored_results(period, groups)
    # Field by field, unit by unit: pytest shows the differing entries.
    assert got.components == expected.components
    assert got.assessments == expected.assessments
    # The data really exercised the rules (a generator drifting to trivial data would pass).
    ranks = [row[4] for row in expected.assessments.values() if row[4] is not None]
    assert len(ranks) > len(set(ranks)), "no tie in this seed"
    leaves = [leaf.code for group in world.components.values() for leaf in group]
    sheets = [sheet for _group, sheet in world.units.values()]
    assert any(code not in sheet.entries for sheet in sheets for code in leaves), "no missing row"
    unscored = [e for sheet in sheets for e in sheet.entries.values() if e.empty]
    assert any(not e.deductions and not e.not_applicable for e in unscored), "no empty row"
