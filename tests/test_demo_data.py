"""The demo reads as true to the civil servants it is shown to: each deduction's note was written
for its reason, every group of every year has results (the communes too), and the history of a
demo score starts from its loaded values."""

import io
import time

import pytest
from django.core.management import call_command

from demo import data
from scoring.models import AssessmentResult, CriterionScore, Deduction, Period
from units.models import RankingGroup


@pytest.fixture
def demo(db):
    started = time.perf_counter()
    call_command("load_demo", stdout=io.StringIO())
    print(f"load_demo: {time.perf_counter() - started:.1f} s")


def test_every_demo_deduction_note_belongs_to_its_reason(demo):
    deductions = list(Deduction.objects.select_related("reason"))
    assert len(deductions) > 100
    for d in deductions:
        assert d.note in data.DEDUCTION_NOTES[d.reason.code], (d.reason.label, d.note)
    # Every reason has notes of its own, and no note serves two reasons.
    assert set(data.DEDUCTION_NOTES) == {code for code, _label in data.DEDUCTION_REASONS}
    notes = [n for ns in data.DEDUCTION_NOTES.values() for n in ns]
    assert len(notes) == len(set(notes))


def test_every_group_has_results_in_every_year_communes_included(demo):
    for period in Period.objects.all():
        for group in RankingGroup.objects.all():
            members = group.memberships.filter(year=period.year).count()
            results = AssessmentResult.objects.filter(period=period, group=group).count()
            assert members > 0
            assert results == members, (period.year, group.code)
    latest = Period.objects.order_by("-year").first()
    communes = AssessmentResult.objects.filter(period=latest, group__code="khoi-xa")
    assert communes.count() >= 40
    assert len(set(communes.values_list("percent", flat=True))) > 10  # scored, not all alike


def test_demo_scores_start_their_history_when_loaded(demo):
    score = CriterionScore.objects.filter(deductions__isnull=False).first()
    records = list(score.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+"]
    assert records[0].self_points == score.self_points
    deduction = score.deductions.first()
    assert deduction.history.first().history_type == "+"
