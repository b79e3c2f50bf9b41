import pytest
from django.db import connection
from django.utils import translation

from scoring.workflow import State
from units.models import UnitKind

from .factories import (
    PeriodFactory,
    RankingGroupFactory,
    UnitFactory,
    make_assessment,
    make_user,
    small_framework,
)


@pytest.fixture(scope="session", autouse=True)
def no_connection_left_at_the_end(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the connections the live servers' request threads
    left idle (a browser test's server), which would keep PostgreSQL from dropping it."""
    yield
    settings = connection.settings_dict
    if connection.vendor != "postgresql" or settings["NAME"] != settings["TEST"]["NAME"]:
        return  # no test database was made (a run of tests that use none): nothing to end
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def vietnamese():
    """Every test starts in Vietnamese: a request made in English by an earlier test (the test
    client leaves the request's language active in the thread) must not leak into the next."""
    with translation.override("vi"):
        yield


@pytest.fixture
def period(db):
    return PeriodFactory(year=2024)


@pytest.fixture
def framework(db):
    return small_framework()


@pytest.fixture
def group(db):
    return RankingGroupFactory(code="khoi-so", name="Khối sở", unit_kind=UnitKind.DEPARTMENT)


@pytest.fixture
def unit(db):
    return UnitFactory(code="so-tu-phap", name="Sở Tư pháp")


@pytest.fixture
def other_unit(db):
    return UnitFactory(code="so-y-te", name="Sở Y tế")


@pytest.fixture
def assessment(unit, period, framework, group):
    return make_assessment(unit, period, framework, group)


@pytest.fixture
def submitted(assessment):
    """The assessment, submitted by its unit for appraisal."""
    assessment.state = State.SUBMITTED
    assessment.save()
    return assessment


@pytest.fixture
def staff(db):
    return make_user("interior_staff", username="canbo")


@pytest.fixture
def leader(db):
    return make_user("leadership", username="lanhdao")


@pytest.fixture
def admin_user(db):
    return make_user("admin", username="quantri", is_superuser=True, is_staff=True)


@pytest.fixture
def unit_head(unit):
    return make_user("unit_head", unit=unit, username="thutruong")


@pytest.fixture
def other_unit_head(other_unit):
    return make_user("unit_head", unit=other_unit, username="thutruong2")
