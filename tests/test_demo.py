import io
import os
import subprocess
import sys
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command

from indicators.models import Framework
from indicators.services import framework_errors
from scoring.models import AssessmentResult, Deduction, Period
from units.models import Unit, UnitKind


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_the_demo_is_a_plausible_province(demo):
    assert Unit.objects.filter(kind=UnitKind.DEPARTMENT).count() >= 20
    assert Unit.objects.filter(kind=UnitKind.DISTRICT).count() == 12
    assert Unit.objects.filter(kind=UnitKind.COMMUNE, parent__kind=UnitKind.DISTRICT).count() >= 40
    assert list(Period.objects.order_by("year").values_list("year", flat=True)) == [
        2022,
        2023,
        2024,
    ]
    for fw in Framework.objects.all():
        assert framework_errors(framework=fw) == []
        assert fw.criteria.filter(level=1).count() == 8
    percents = list(AssessmentResult.objects.values_list("percent", flat=True))
    plausible = [p for p in percents if D(75) <= p <= D(95)]
    assert len(plausible) / len(percents) > 0.7
    assert Deduction.objects.exclude(reason=None).exclude(note="").count() > 100


def test_the_merged_department_lists_its_predecessors(demo):
    merged = Unit.objects.get(code="so-tai-chinh-2024")
    assert set(merged.predecessors.values_list("code", flat=True)) == {
        "so-tai-chinh",
        "so-ke-hoach-dau-tu",
    }
    assert not merged.exists_in(2023) and merged.exists_in(2024)


def test_the_renumbered_criterion_continues_last_years(demo):
    fw = Framework.objects.get(year=2024, unit_kind=UnitKind.DEPARTMENT)
    iso = fw.criteria.get(code="7.4")
    assert iso.continues_from.code == "7.3"
    assert "ISO" in iso.continues_from.name


def test_each_role_can_log_in_with_the_documented_password(demo, rf):
    request = rf.post("/dang-nhap/")
    readme = (settings.BASE_DIR / "README.md").read_text()
    for username, password in [
        ("quantri", "quantri@2024"),
        ("canbo.snv", "canbo@2024"),
        ("lanhdao", "lanhdao@2024"),
        ("thutruong.stp", "thutruong@2024"),
    ]:
        assert authenticate(request, username=username, password=password) is not None
        assert username in readme and password in readme


def test_loading_twice_changes_nothing(demo):
    before = AssessmentResult.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert AssessmentResult.objects.count() == before


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-1234567890",
        "ALLOWED_HOSTS": "cchc.example.gov.vn",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_past_rounds_are_published_and_the_open_round_is_provisional(demo):
    from scoring.models import ResultSnapshot

    published = dict(ResultSnapshot.objects.values_list("period__year", "version"))
    assert published == {2022: 1, 2023: 1}
    assert Period.objects.get(year=2024).status == Period.Status.OPEN
    assert Period.objects.get(year=2023).status == Period.Status.PUBLISHED


def test_every_stored_score_follows_from_its_values_and_deductions(demo):
    """The demo's points are those the services would compute, so the sheet and the results agree."""
    from scoring.models import CriterionScore
    from scoring.services import score_refresh_points

    scores = CriterionScore.objects.select_related("criterion").prefetch_related("deductions")
    for score in scores:
        stored = score.points
        assert score_refresh_points(score=score).points == stored, score
