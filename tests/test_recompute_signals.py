"""Every writer of group memberships and survey results re-ranks: units and surveys announce their
writes (units.signals, surveys.signals) and scoring recomputes after the commit; the request
reaches the queue in one on-commit hop and replaces the results generation once."""

from __future__ import annotations

import ast
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from scoring import generation
from scoring.models import Adjustment, AssessmentResult, RecomputeRun
from scoring.recompute import jobs, recompute_now, recompute_on_commit
from surveys.models import Survey, SurveyResult
from surveys.services import survey_result_save, survey_results_delete
from units.models import GroupMembership, UnitKind
from units.services import memberships_delete

from .factories import RankingGroupFactory, UnitFactory, make_assessment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_groups(period, framework, group):
    """Khối sở: so-a 30 %, so-b 20 %, so-c 10 %. Khối B: so-d 25 %. (Bonuses only, out of 10.)"""
    framework.max_bonus = D(3)
    framework.save()
    other = RankingGroupFactory(code="khoi-b", name="Khối B", unit_kind=UnitKind.DEPARTMENT)
    units = {}
    for code, g, bonus in (
        ("so-a", group, D(3)),
        ("so-b", group, D(2)),
        ("so-c", group, D(1)),
        ("so-d", other, D("2.5")),
    ):
        units[code] = UnitFactory(code=code, name=f"Sở {code}")
        assessment = make_assessment(units[code], period, framework, g)
        Adjustment.objects.create(assessment=assessment, kind="bonus", points=bonus, reason="x")
    recompute_now(period)
    return units


def ranking(period) -> dict[str, tuple[str | None, int | None]]:
    return {
        r.assessment.unit.code: (r.group.code if r.group else None, r.rank)
        for r in AssessmentResult.objects.filter(period=period).select_related(
            "assessment__unit", "group"
        )
    }


def test_import_units_moving_a_unit_to_another_group_re_ranks_both_groups(
    period, two_groups, tmp_path, django_capture_on_commit_callbacks
):
    assert ranking(period) == {
        "so-a": ("khoi-so", 1),
        "so-b": ("khoi-so", 2),
        "so-c": ("khoi-so", 3),
        "so-d": ("khoi-b", 1),
    }
    path = tmp_path / "don-vi.csv"
    path.write_text(
        "code,name,kind,active_from_year,group_code,group_year\n"
        "so-a,Sở so-a,department,2015,khoi-b,2024\n"
        "so-b,Sở so-b,department,2015,khoi-so,2024\n"  # unchanged: not announced
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_units", str(path), stdout=io.StringIO())

    assert ranking(period) == {
        "so-a": ("khoi-b", 1),
        "so-b": ("khoi-so", 1),
        "so-c": ("khoi-so", 2),
        "so-d": ("khoi-b", 2),
    }
    run = RecomputeRun.objects.latest("pk")
    assert (run.status, run.unit_ids) == ("done", [two_groups["so-a"].pk])


def test_a_deleted_membership_takes_the_unit_out_of_its_group(
    period, two_groups, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        memberships_delete(memberships=GroupMembership.objects.filter(unit__code="so-b"))

    assert ranking(period) == {
        "so-a": ("khoi-so", 1),
        "so-b": (None, None),
        "so-c": ("khoi-so", 2),
        "so-d": ("khoi-b", 1),
    }


def test_survey_results_written_or_deleted_through_the_service_set_the_points(
    period, framework, group, unit, django_capture_on_commit_callbacks
):
    criterion = framework.criteria.get(code="2.1")
    criterion.method = "survey"
    criterion.save()
    assessment = make_assessment(unit, period, framework, group)
    survey = Survey.objects.create(year=2024, kind="sipas", name="SIPAS 2024")

    with django_capture_on_commit_callbacks(execute=True):
        result = survey_result_save(
            result=SurveyResult(survey=survey, unit=unit, criterion=criterion, percent=D(50))
        )

    assert AssessmentResult.objects.get(assessment=assessment).total_points == D(2)  # 4 × 50 %
    with django_capture_on_commit_callbacks(execute=True):
        result.percent = D(100)
        survey_result_save(result=result)
    assert AssessmentResult.objects.get(assessment=assessment).total_points == D(4)
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_results_delete(results=SurveyResult.objects.filter(pk=result.pk)) == 1
    assert not SurveyResult.objects.exists()


def test_a_transaction_asks_once_per_period_and_replaces_the_generation_once(
    period, two_groups, monkeypatch, django_capture_on_commit_callbacks
):
    bumps = []
    monkeypatch.setattr(generation, "bump", lambda: bumps.append(1))
    a, c = two_groups["so-a"].pk, two_groups["so-c"].pk

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        recompute_on_commit(period.pk, [c])
        recompute_on_commit(period.pk, [a, c])

    recompute_requests = [c for c in callbacks if hasattr(c, "recompute_period_id")]
    assert [c.unit_ids for c in recompute_requests] == [sorted([a, c])]
    run = RecomputeRun.objects.latest("pk")
    assert (run.status, run.trigger, run.unit_ids) == ("done", "edit", sorted([a, c]))
    assert len(bumps) == 1


@pytest.mark.django_db(transaction=True)
def test_the_commit_sends_the_queued_run_in_one_hop(period, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "_send", sent.append)

    with transaction.atomic():
        recompute_on_commit(period.pk, [2])
        recompute_on_commit(period.pk, [1])
        # The request is part of the transaction: the queued run is written, not yet sent.
        run = RecomputeRun.objects.get()
        assert (run.status, run.unit_ids, sent) == ("queued", [1, 2], [])

    # Committed: the run was sent once, and nothing is left to run later.
    assert [(r.pk, r.period_id) for r in sent] == [(run.pk, period.pk)]
    assert RecomputeRun.objects.get().status == "queued"
    assert connection.run_on_commit == []


def test_units_and_surveys_never_import_scoring():
    """The lower apps announce; only scoring listens (the dependency points one way)."""
    for app in ("units", "surveys"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                assert not any(n.split(".")[0] in ("scoring", "reports") for n in names), path


def test_moving_a_unit_in_the_units_admin_inline_re_ranks_both_groups(
    client, admin_user, period, two_groups, django_capture_on_commit_callbacks
):
    unit = two_groups["so-a"]
    membership = GroupMembership.objects.get(unit=unit, year=2024)
    other = GroupMembership.objects.get(unit__code="so-d").group
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:units_unit_change", args=[unit.pk]),
            {
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "active_from_year": unit.active_from_year,
                "memberships-TOTAL_FORMS": 1,
                "memberships-INITIAL_FORMS": 1,
                "memberships-0-id": membership.pk,
                "memberships-0-unit": unit.pk,
                "memberships-0-group": other.pk,
                "memberships-0-year": 2024,
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ranking(period) == {
        "so-a": ("khoi-b", 1),
        "so-b": ("khoi-so", 1),
        "so-c": ("khoi-so", 2),
        "so-d": ("khoi-b", 2),
    }
