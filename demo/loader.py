"""Builds the demo province from demo.data: units, frameworks, three years of scores.

A seeding tool, run once by `manage.py load_demo`: it writes scores in bulk (computing each score's
points with the same pure function the services use) and then calls the recompute service once per
period, instead of saving each sheet through the services, which would queue thousands of recomputes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from indicators.computation import CriterionRule, criterion_points, quantize
from indicators.models import Criterion, Framework, RatingBand
from indicators.services import criterion_create, framework_copy_forward, framework_validate
from scoring.models import (
    Adjustment,
    Assessment,
    CriterionScore,
    Deduction,
    DeductionReason,
    Period,
    StateChange,
)
from scoring.recompute import recompute_now
from scoring.snapshots import period_publish
from scoring.workflow import State
from surveys.models import Survey, SurveyResult
from units.models import GroupMembership, RankingGroup, Unit, UnitHead, UnitKind

from . import data

Q = Decimal("0.25")


def _steps(value: float) -> Decimal:
    """Round to the nearest quarter point, as appraisers do."""
    return (Decimal(str(value)) / Q).quantize(Decimal("1")) * Q


def demo_loaded() -> bool:
    return Period.objects.exists()


@transaction.atomic
def load_demo(*, seed: int = 2024, log: Callable[[str], None] = print) -> None:
    rng = random.Random(seed)
    groups = _load_groups()
    units = _load_units(groups)
    log(f"Đơn vị: {Unit.objects.count()} ({len(units)} được chấm điểm)")
    frameworks = _load_frameworks()
    log(f"Bộ chỉ số: {Framework.objects.count()}, tiêu chí: {Criterion.objects.count()}")
    reasons = [
        DeductionReason.objects.get_or_create(code=code, defaults={"label": label})[0]
        for code, label in data.DEDUCTION_REASONS
    ]
    users = _load_users()
    today = timezone.localdate()
    for year in data.YEARS:
        is_open = year == data.YEARS[-1]
        period = Period.objects.create(
            year=year,
            name=f"Chỉ số CCHC năm {year}",
            status=Period.Status.OPEN if is_open else Period.Status.CLOSED,
            # The open round's deadlines count from the day the demo is loaded, so that its unit
            # heads can still self-assess and the pages show days left (the deadlines close edits).
            self_assessment_deadline=today + timedelta(days=21)
            if is_open
            else date(year + 1, 1, 15),
            appraisal_deadline=today + timedelta(days=60) if is_open else date(year + 1, 3, 15),
        )
        scored = [u for u in units if u.exists_in(year)]
        _load_year(rng, period, scored, frameworks[year], reasons, users["canbo.snv"])
        n = recompute_now(period).assessments
        if period.status == Period.Status.CLOSED:
            # Past rounds were published: their results are frozen as version 1.
            period_publish(period=period, user=users["canbo.snv"])
        log(f"Năm {year}: {n} bản đánh giá")


def _load_groups() -> dict[str, RankingGroup]:
    return {
        code: RankingGroup.objects.update_or_create(
            code=code, defaults={"name": name, "unit_kind": kind, "order": order}
        )[0]
        for code, name, kind, order in data.GROUPS
    }


def _load_units(groups: dict[str, RankingGroup]) -> list[Unit]:
    """Creates every unit and its memberships; returns the units that are scored (not communes)."""
    first, last = data.YEARS[0], data.YEARS[-1]
    scored: list[Unit] = []
    merged_away = set(data.MERGER["predecessors"])
    for code, name in data.DEPARTMENTS:
        scored.append(
            Unit.objects.create(
                code=code,
                name=name,
                kind=UnitKind.DEPARTMENT,
                active_from_year=first - 5,
                active_to_year=data.MERGER["year"] - 1 if code in merged_away else None,
            )
        )
    merged = Unit.objects.create(
        code=data.MERGER["code"],
        name=data.MERGER["name"],
        kind=UnitKind.DEPARTMENT,
        active_from_year=data.MERGER["year"],
    )
    merged.predecessors.set(Unit.objects.filter(code__in=merged_away))
    scored.append(merged)
    for code, name, ward_word, wards in data.DISTRICTS:
        district = Unit.objects.create(
            code=code,
            name=name,
            kind=UnitKind.DISTRICT,
            active_from_year=first - 5,
            # Districts were abolished on 1 July 2025.
            active_to_year=2025,
        )
        scored.append(district)
        for ward in wards:
            Unit.objects.create(
                code=f"{code}-{_slug(ward)}",
                name=f"{ward_word.capitalize()} {ward}",
                kind=UnitKind.COMMUNE,
                parent=district,
                active_from_year=first - 5,
            )
    memberships = []
    group_by_kind = {g.unit_kind: g for g in groups.values()}
    for unit in Unit.objects.all():
        for year in range(first, last + 1):
            if unit.exists_in(year):
                memberships.append(
                    GroupMembership(unit=unit, group=group_by_kind[unit.kind], year=year)
                )
    GroupMembership.objects.bulk_create(memberships)
    return scored


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text.replace("đ", "d").replace("Đ", "D"))


def _build_tree(framework: Framework, nodes, parent: Criterion | None = None) -> None:
    for node in nodes:
        code, name, max_points, rest = node[0], node[1], node[2], node[3]
        if isinstance(rest, list):
            criterion = criterion_create(
                framework=framework,
                code=code,
                name=name,
                max_points=max_points,
                parent=parent,
                order=_order(code),
                evidence_required=False,
            )
            _build_tree(framework, rest, criterion)
        else:
            criterion_create(
                framework=framework,
                code=code,
                name=name,
                max_points=max_points,
                parent=parent,
                order=_order(code),
                method=rest,
                bands=node[4] if len(node) > 4 else [],
                step=Decimal("0.25") if rest == "entered" else None,
                evidence_required=rest not in ("survey",),
            )


def _order(code: str) -> int:
    # "3.2.1" → 30201: document order whatever the depth.
    parts = [int(p) for p in code.split(".")] + [0, 0]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def _load_frameworks() -> dict[int, dict[str, Framework]]:
    """The 2022 frameworks are built; later years are copied forward and edited, as in real life."""
    by_year: dict[int, dict[str, Framework]] = {}
    first = data.YEARS[0]
    by_year[first] = {}
    for kind, label in (
        (UnitKind.DEPARTMENT, "sở, ban, ngành"),
        (UnitKind.DISTRICT, "UBND cấp huyện"),
    ):
        fw = Framework.objects.create(
            year=first,
            unit_kind=kind,
            name=f"Bộ chỉ số CCHC {label} năm {first}",
            max_bonus=Decimal("2"),
            max_penalty=Decimal("3"),
        )
        RatingBand.objects.bulk_create(
            RatingBand(framework=fw, label=label_, min_percent=m) for label_, m in data.BANDS
        )
        _build_tree(fw, data.FRAMEWORK)
        framework_validate(framework=fw)
        by_year[first][kind] = fw
    for year in data.YEARS[1:]:
        by_year[year] = {
            kind: framework_copy_forward(framework=fw, year=year)
            for kind, fw in by_year[year - 1].items()
        }
        if year == data.YEARS[-1]:
            # The 2024 frameworks renumber two criteria of component 7; continues_from keeps
            # their trends readable across the renumbering.
            for fw in by_year[year].values():
                iso = fw.criteria.get(code="7.3")
                security = fw.criteria.get(code="7.4")
                iso.code, security.code = "7.4-tmp", "7.3"
                iso.save(update_fields=["code"])
                security.save(update_fields=["code"])
                iso.code, iso.order = "7.4", _order("7.4")
                security.order = _order("7.3")
                iso.save(update_fields=["code", "order"])
                security.save(update_fields=["order"])
    return by_year


def _load_users() -> dict:
    User = get_user_model()
    users = {}
    for username, full_name, role, password, unit_code in data.USERS:
        # Vietnamese names read family name first: the whole name goes in first_name so that
        # get_full_name() gives "Nguyễn Thị Lan", not "Lan Nguyễn Thị".
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=full_name,
            is_staff=role in ("admin", "interior_staff", "leadership"),
            is_superuser=role == "admin",
        )
        user.groups.add(Group.objects.get(name=role))
        if unit_code:
            UnitHead.objects.create(user=user, unit=Unit.objects.get(code=unit_code))
        users[username] = user
    return users


# 2024 is the open round: most units are appraised, a few are still in earlier states.
_OPEN_ROUND_STATES = {
    "so-tu-phap": State.DRAFT,
    "so-y-te": State.SELF_ASSESSED,
    "so-giao-duc": State.SUBMITTED,
    "huyen-kim-boi": State.SUBMITTED,
    "huyen-an-lac": State.APPRAISED,
}


def _load_year(rng, period, units, frameworks, reasons, appraiser) -> None:
    year = period.year
    closed = period.status != Period.Status.OPEN
    sipas = Survey.objects.create(year=year, kind=Survey.Kind.SIPAS, name=f"Khảo sát SIPAS {year}")
    social = Survey.objects.create(
        year=year, kind=Survey.Kind.SOCIOLOGICAL, name=f"Điều tra xã hội học {year}"
    )
    leaves = {kind: list(fw.criteria.filter(is_leaf=True)) for kind, fw in frameworks.items()}
    scores, deductions, survey_results, adjustments, changes = [], [], [], [], []
    for unit in units:
        fw = frameworks[unit.kind]
        state = State.LOCKED if closed else _OPEN_ROUND_STATES.get(unit.code, State.APPRAISED)
        appraised = state in (State.APPRAISED, State.PUBLISHED, State.LOCKED)
        assessment = Assessment.objects.create(period=period, unit=unit, framework=fw, state=state)
        if state != State.DRAFT:
            changes.append(
                StateChange(
                    assessment=assessment,
                    from_state=State.DRAFT,
                    to_state=state,
                    by=appraiser,
                    reason="Dữ liệu minh họa",
                )
            )
        # Each unit has its own level, drifting up a little each year, as the province improves.
        quality = (
            _unit_quality(unit.code) + 0.012 * (year - data.YEARS[0]) + rng.uniform(-0.03, 0.03)
        )
        sipas_pct = quantize(Decimal(str(min(99.0, 100 * quality + rng.uniform(-4, 6)))))
        social_pct = quantize(Decimal(str(min(99.0, 100 * quality + rng.uniform(-6, 4)))))
        for survey, pct in ((sipas, sipas_pct), (social, social_pct)):
            survey_results.append(
                SurveyResult(
                    survey=survey, unit=unit, percent=pct, respondents=rng.randint(120, 450)
                )
            )
        for criterion in leaves[unit.kind]:
            if state == State.DRAFT and rng.random() < 0.4:
                continue  # self-assessment still in progress
            score, new_deductions = _score(
                rng,
                assessment,
                criterion,
                quality,
                appraised,
                reasons,
                appraiser,
                sipas_pct,
                social_pct,
            )
            scores.append(score)
            deductions.extend(new_deductions)
        if appraised and rng.random() < 0.25:
            adjustments.append(
                Adjustment(
                    assessment=assessment,
                    kind=Adjustment.Kind.BONUS,
                    points=Decimal("1"),
                    reason="Có sáng kiến CCHC được UBND tỉnh công nhận",
                )
            )
        if appraised and rng.random() < 0.1:
            adjustments.append(
                Adjustment(
                    assessment=assessment,
                    kind=Adjustment.Kind.PENALTY,
                    points=Decimal("1.5"),
                    reason="Để xảy ra vi phạm trong giải quyết TTHC bị báo chí phản ánh",
                )
            )
    CriterionScore.objects.bulk_create(scores, batch_size=2000)
    for deduction in deductions:
        deduction.score_id = deduction.score.pk
    Deduction.objects.bulk_create(deductions, batch_size=2000)
    SurveyResult.objects.bulk_create(survey_results)
    Adjustment.objects.bulk_create(adjustments)
    StateChange.objects.bulk_create(changes)


def _unit_quality(code: str) -> float:
    # Stable per unit (not per run): between 0.765 and 0.905.
    return 0.765 + (sum(ord(c) * (i + 1) for i, c in enumerate(code)) % 140) / 1000


def _score(rng, assessment, criterion, quality, appraised, reasons, appraiser, sipas, social):
    rule = CriterionRule.of(criterion)
    score = CriterionScore(
        assessment=assessment,
        criterion=criterion,
        component_id=criterion.component_id,
        max_points=criterion.max_points,
    )
    deductions: list[Deduction] = []
    loses = rng.random() < (1 - quality) * 2.0
    if criterion.method == "survey":
        pct = sipas if criterion.code.startswith("8.1") else social
        value = quantize(criterion.max_points * pct / 100)
        # Survey-derived points come from the survey whatever the state of the appraisal, and are
        # stored where scoring.survey_points.survey_points_apply puts them.
        score.appraised_points = value
        score.points = criterion_points(rule, entered=value)
        score.self_explanation = ""
        return score, deductions
    # Units tend to give themselves full marks; the appraisal is stricter.
    score.self_points = criterion.max_points
    if criterion.method == "entered" and rng.random() < 0.15:
        score.self_points = criterion.max_points - Q
    if criterion.method in ("bands", "proportional"):
        base = 100 if not loses else rng.uniform(70, 99.5)
        score.measured_value = quantize(Decimal(str(base)))
        score.self_points = criterion_points(rule, entered=None, measured=score.measured_value)
    elif appraised and loses:
        if criterion.method == "yes_no":
            lost = criterion.max_points
        else:
            lost = min(
                criterion.max_points,
                max(Q, _steps(rng.uniform(0.2, 0.6) * float(criterion.max_points))),
            )
        reason = rng.choice(reasons)
        deductions.append(
            Deduction(
                score=score,
                points=lost,
                reason=reason,
                note=rng.choice(data.DEDUCTION_NOTES),
                created_by=appraiser,
            )
        )
    if not appraised:
        score.points = criterion_points(
            rule, entered=score.self_points, measured=score.measured_value
        )
        return score, deductions
    deducted = sum((d.points for d in deductions), Decimal(0))
    # As scoring.services computes it: with no appraised value typed, the appraisal keeps the
    # self-assessed points and takes the deductions off them.
    score.points = criterion_points(
        rule, entered=score.self_points, measured=score.measured_value, deducted=deducted
    )
    if not criterion.evidence_required or rng.random() < 0.05:
        score.self_explanation = "Đơn vị tự chấm căn cứ báo cáo tổng kết năm."
    return score, deductions
