"""The units import (units.importing through `import_units`): every length, range and reference
checked before writing, with sheet, row and column; several group years in one file; the
memberships it moves re-rank their groups in every year they touch."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from core.tabular import read_tables
from scoring.models import Adjustment, AssessmentResult
from scoring.recompute import recompute_now
from units.importing import units_import
from units.models import GroupMembership, RankingGroup, Unit, UnitKind
from units.signals import memberships_changed

from .factories import PeriodFactory, RankingGroupFactory, UnitFactory, make_assessment

HEADER = "code,name,kind,parent_code,active_from_year,active_to_year,predecessors,group_code,group_name,group_year\n"


def run(text: str, dry_run: bool = False):
    return units_import(sheets=read_tables((HEADER + text).encode(), "don-vi.csv"), dry_run=dry_run)


def places(result) -> list[tuple[int | None, str]]:
    return [(p.row, p.column) for p in result.errors]


def snapshot():
    return (
        sorted(Unit.objects.values_list("code", "name", "parent__code")),
        sorted(GroupMembership.objects.values_list("unit__code", "year", "group__code")),
        sorted(RankingGroup.objects.values_list("code", flat=True)),
        sorted(Unit.predecessors.through.objects.values_list("from_unit__code", "to_unit__code")),
    )


@pytest.fixture
def stored(db):
    """huyen-a ─ xa-1, xa-2 (xa-2 formed from xa-1); a department group."""
    huyen = UnitFactory(code="huyen-a", name="Huyện A", kind=UnitKind.DISTRICT)
    xa1 = UnitFactory(code="xa-1", name="Xã 1", kind=UnitKind.COMMUNE, parent=huyen)
    xa2 = UnitFactory(code="xa-2", name="Xã 2", kind=UnitKind.COMMUNE, parent=huyen)
    xa2.predecessors.add(xa1)
    RankingGroupFactory(code="khoi-so", name="Khối sở", unit_kind=UnitKind.DEPARTMENT)
    return huyen


@pytest.mark.parametrize(
    "line, place, message",  # the bad line is row 3 of the file
    [
        ("x" * 41 + ",Sở X,department,,2020,,,,,\n", "code", "quá 40 ký tự"),
        ("so-x," + "T" * 256 + ",department,,2020,,,,,\n", "name", "quá 255 ký tự"),
        ("so-x,Sở X,department,,inf,,,,,\n", "active_from_year", "không phải là năm"),
        ("so-x,Sở X,department,,NaN,,,,,\n", "active_from_year", "không phải là năm"),
        ("so-x,Sở X,department,,1e9,,,,,\n", "active_from_year", "không hợp lệ"),
        ("so-x,Sở X,department,,2020.5,,,,,\n", "active_from_year", "không hợp lệ"),
        (
            "so-x,Sở X,department,,2020,99999999999999999999,,,,\n",
            "active_to_year",
            "không hợp lệ",
        ),
        ("so-x,Sở X,department,,2020,,,khoi-so,,inf\n", "group_year", "không phải là năm"),
        ("so-x,Sở X,department,,2020,,,k" + "x" * 30 + ",Khối,2024\n", "group_code", "quá 30"),
        (
            "so-x,Sở X,department,,2020,,,khoi-moi," + "K" * 201 + ",2024\n",
            "group_name",
            "quá 200",
        ),
        (
            "so-x,Sở X,department,,2020,2022,,khoi-so,,2024\n",
            "group_year",
            "không tồn tại năm 2024",
        ),
        ("so-x,Sở X,department,,2020,,,,,2024\n", "group_code", "thiếu mã khối"),
    ],
)
def test_values_out_of_range_are_refused_at_their_cell_and_nothing_is_written(
    stored, line, place, message
):
    before = snapshot()
    result = run("so-ok,Sở OK,department,,2020,,,,,\n" + line)
    assert places(result) == [(3, place)]
    assert message in result.errors[0].message
    assert snapshot() == before


def test_the_command_prints_no_traceback_for_overflowing_values(stored, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_text(
        HEADER
        + "x" * 41
        + ",Sở X,department,,2020,,,,,\n"
        + "so-y,"
        + "T" * 256
        + ",department,,inf,,,,,\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="không có gì được ghi"):
        call_command("import_units", str(path), stderr=err, stdout=io.StringIO())
    assert "dòng 2" in err.getvalue() and "dòng 3" in err.getvalue()
    assert not Unit.objects.filter(code="so-y").exists()


def test_a_unit_cannot_be_its_own_parent_or_predecessor(stored):
    before = snapshot()
    result = run("xa-3,Xã 3,commune,xa-3,2020,,,,,\nxa-4,Xã 4,commune,huyen-a,2020,,xa-4,,,\n")
    assert places(result) == [(2, "parent_code"), (3, "predecessors")]
    assert "chính nó" in result.errors[0].message
    assert snapshot() == before


def test_parent_cycles_are_refused_within_the_file_and_with_stored_units(stored):
    before = snapshot()
    in_file = run("xa-5,Xã 5,commune,xa-6,2020,,,,,\nxa-6,Xã 6,commune,xa-5,2020,,,,,\n")
    assert places(in_file) == [(2, "parent_code"), (3, "parent_code")]
    assert "xa-5 → xa-6 → xa-5" in in_file.errors[0].message
    # The stored district made a child of its own commune: huyen-a → xa-1 → huyen-a.
    with_stored = run("huyen-a,Huyện A,district,xa-1,2020,,,,,\n")
    assert places(with_stored) == [(2, "parent_code")]
    assert "huyen-a → xa-1 → huyen-a" in with_stored.errors[0].message
    assert snapshot() == before


def test_predecessor_cycles_are_refused_with_stored_units(stored):
    before = snapshot()
    # Stored: xa-2 was formed from xa-1. Now xa-1 claims to come from xa-2.
    result = run("xa-1,Xã 1,commune,huyen-a,2020,,xa-2,,,\n")
    assert places(result) == [(2, "predecessors")]
    assert "xa-1 → xa-2 → xa-1" in result.errors[0].message
    assert snapshot() == before


def test_a_commune_in_a_department_group_is_refused(stored):
    before = snapshot()
    result = run(
        "xa-1,Xã 1,commune,huyen-a,2020,,,khoi-so,,2024\n"
        "so-m,Sở M,department,,2020,,,khoi-xa,Khối xã,2024\n"
        "xa-2,Xã 2,commune,huyen-a,2020,,xa-1,khoi-xa,,2024\n"
    )
    assert places(result) == [(2, "group_code"), (4, "group_code")]
    assert "dành cho sở, ban, ngành" in result.errors[0].message
    assert snapshot() == before


def test_unknown_references_are_refused(stored):
    result = run("xa-9,Xã 9,commune,huyen-z,2020,,xa-0,,,\n")
    assert places(result) == [(2, "parent_code"), (2, "predecessors")]


def test_several_group_years_in_one_file(stored):
    result = run(
        "so-a,Sở A,department,,2015,,,khoi-so,,2023\n"
        "so-a,Sở A,department,,2015,,,khoi-so,,2024\n"
        "so-a,Sở A,department,,2015,,,khoi-b,Khối B,2025\n"
    )
    assert result.errors == []
    assert (result.created, result.memberships) == (1, 3)
    assert sorted(
        GroupMembership.objects.filter(unit__code="so-a").values_list("year", "group__code")
    ) == [(2023, "khoi-so"), (2024, "khoi-so"), (2025, "khoi-b")]


def test_the_same_code_and_year_twice_or_rows_that_disagree_are_refused(stored):
    before = snapshot()
    result = run(
        "so-a,Sở A,department,,2015,,,khoi-so,,2024\n"
        "so-a,Sở A,department,,2015,,,khoi-so,,2024\n"
        "so-a,Sở A mới,department,,2015,,,khoi-so,,2025\n"
    )
    assert places(result) == [(3, "code"), (4, "name")]
    assert "năm 2024 trùng với dòng 2" in result.errors[0].message
    assert "Khác với dòng 2" in result.errors[1].message
    assert snapshot() == before


def test_a_dry_run_writes_nothing(stored):
    before = snapshot()
    result = run("so-a,Sở A,department,,2015,,,khoi-so,,2024\n", dry_run=True)
    assert result.errors == [] and snapshot() == before


def test_a_multi_year_import_re_ranks_the_groups_it_changes_in_each_year(
    db, tmp_path, django_capture_on_commit_callbacks
):
    khoi_so = RankingGroupFactory(code="khoi-so", name="Khối sở", unit_kind=UnitKind.DEPARTMENT)
    RankingGroupFactory(code="khoi-b", name="Khối B", unit_kind=UnitKind.DEPARTMENT)
    from .factories import small_framework

    periods = {}
    units = {code: UnitFactory(code=code, name=f"Sở {code}") for code in ("so-a", "so-b")}
    for year in (2024, 2025):
        periods[year] = PeriodFactory(year=year)
        framework = small_framework(year=year)
        framework.max_bonus = D(3)
        framework.save()
        for code, bonus in (("so-a", D(3)), ("so-b", D(1))):
            assessment = make_assessment(units[code], periods[year], framework, khoi_so)
            Adjustment.objects.create(assessment=assessment, kind="bonus", points=bonus, reason="x")
        recompute_now(periods[year])
    sent = []

    def listener(sender, *, year, unit_ids, **kwargs):
        sent.append((year, unit_ids))

    memberships_changed.connect(listener, dispatch_uid="test-multi-year")
    path = tmp_path / "don-vi.csv"
    path.write_text(
        "code,name,kind,active_from_year,group_code,group_year\n"
        "so-a,Sở so-a,department,2015,khoi-b,2024\n"
        "so-a,Sở so-a,department,2015,khoi-b,2025\n"
        "so-b,Sở so-b,department,2015,khoi-so,2024\n"  # unchanged: not announced
        "so-b,Sở so-b,department,2015,khoi-so,2025\n"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("import_units", str(path), stdout=io.StringIO())
    finally:
        memberships_changed.disconnect(dispatch_uid="test-multi-year")

    assert sent == [(2024, [units["so-a"].pk]), (2025, [units["so-a"].pk])]
    for year in (2024, 2025):
        ranks = {
            r.assessment.unit.code: (r.group.code, r.rank)
            for r in AssessmentResult.objects.filter(period=periods[year]).select_related(
                "assessment__unit", "group"
            )
        }
        assert ranks == {"so-a": ("khoi-b", 1), "so-b": ("khoi-so", 1)}, year
