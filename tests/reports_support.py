"""Shared by the dashboard tests: the demo province loaded once per test module, and helpers that
read the expected figures straight from the stored results.

The demo is loaded inside a module-wide transaction that is rolled back at the end, so each test
still runs in its own savepoint and the database is left as it was.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction

from scoring.models import AssessmentResult, Period
from scoring.permissions import PUBLISHED_STATES
from units.models import RankingGroup, Unit


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        if connection.vendor == "postgresql":
            # Check the demo's deferred foreign keys once, not at every test's teardown.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        transaction.set_rollback(True)


def vn(value: Decimal) -> str:
    """84.64 → "84,64", the way the pages print it."""
    return f"{value:.2f}".replace(".", ",")


def user(username: str):
    return get_user_model().objects.get(username=username)


def stored(year: int, group_code: str):
    return list(
        AssessmentResult.objects.filter(period__year=year, group__code=group_code)
        .select_related("assessment__unit")
        .order_by("rank", "assessment__unit__name")
    )


def is_published(result: AssessmentResult) -> bool:
    return result.assessment.state in PUBLISHED_STATES


def most_deducted_criterion(year: int, group_code: str) -> str:
    """The code of the criterion with the most deductions (reasons and notes) in a group."""
    from django.db.models import Count

    from scoring.models import Deduction

    return (
        Deduction.objects.filter(
            score__assessment__period__year=year,
            score__assessment__result__group__code=group_code,
        )
        .values_list("score__criterion__code", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n", "score__criterion__code")
        .first()
    )


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def period(year: int) -> Period:
    return Period.objects.get(year=year)


def group(code: str) -> RankingGroup:
    return RankingGroup.objects.get(code=code)
