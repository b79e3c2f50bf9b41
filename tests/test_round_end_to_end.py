"""A whole year's round from files, with the management commands only, in the order a province
runs it: units, framework (imported for 2024, copied to 2025), open the 2025 period with the 2024
groups, move the drafts to submitted, import the appraisal, move to appraised, recompute, export.
The export is compared with totals, percentages and ranks computed by hand below.

Framework (both kinds, scale 30): component 1 (18) = 1.1 (12) + 1.2 (6); component 2 (12) =
2.1 (12); step 0.25, no evidence required.

| unit | 1.1 | 1.2 | 2.1 | deduction | comp. 1 | comp. 2 | total | percent | rank |
|---|---|---|---|---|---|---|---|---|---|
| so-a | 12 | 6 | 10,5 | | 18 | 10,5 | 28,5 | 95,00 | 1 |
| so-b | 11 | 6 | 12 | 1 on 1.1 | 16 | 12 | 28 | 93,33 | 3 |
| so-c | 12 | 5,5 | 11 | | 17,5 | 11 | 28,5 | 95,00 | 1 (tie) |
| so-d | 7 | 3 | 9 | | 10 | 9 | 19 | 63,33 | 4 |
| huyen-a | 12 | 6 | 12 | | 18 | 12 | 30 | 100,00 | 1 |
| huyen-b | 11,75 | 1,5 | 6,75 | | 13,25 | 6,75 | 20 | 66,67 | 2 |

so-cu closes at the end of 2024: it is in the 2024 group, not copied to 2025, not assessed.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from scoring.models import Assessment, CriterionScore, Period, StateChange
from scoring.services.accounts import IMPORT_USERNAME

UNITS = """code,name,kind,active_from_year,active_to_year,group_code,group_name,group_year
so-a,Sở A,department,2015,,khoi-so,Khối sở,2024
so-b,Sở B,department,2015,,khoi-so,Khối sở,2024
so-c,Sở C,department,2015,,khoi-so,Khối sở,2024
so-d,Sở D,department,2015,,khoi-so,Khối sở,2024
so-cu,Sở cũ,department,2015,2024,khoi-so,Khối sở,2024
huyen-a,Huyện A,district,2015,,khoi-huyen,Khối huyện,2024
huyen-b,Huyện B,district,2015,,khoi-huyen,Khối huyện,2024
"""

FRAMEWORK = """code,name,max_points,method,step,evidence_required
1,Chỉ đạo điều hành,18,entered,,0
1.1,Kế hoạch cải cách hành chính,12,entered,"0,25",0
1.2,Báo cáo định kỳ,6,entered,"0,25",0
2,Thủ tục hành chính,12,entered,,0
2.1,Công khai thủ tục hành chính,12,entered,"0,25",0
"""

# unit: (1.1, 1.2, 2.1)
POINTS = {
    "so-a": ("12", "6", "10,5"),
    "so-b": ("11", "6", "12"),
    "so-c": ("12", "5,5", "11"),
    "so-d": ("7", "3", "9"),
    "huyen-a": ("12", "6", "12"),
    "huyen-b": ("11,75", "1,5", "6,75"),
}

DEDUCTIONS = {("so-b", "1.1"): ("1", "Kế hoạch ban hành chậm")}

# unit: (group, total, percent, rank, component 1, component 2)
EXPECTED = {
    "so-a": ("Khối sở", D("28.5"), D("95.00"), 1, D("18"), D("10.5")),
    "so-b": ("Khối sở", D("28"), D("93.33"), 3, D("16"), D("12")),
    "so-c": ("Khối sở", D("28.5"), D("95.00"), 1, D("17.5"), D("11")),
    "so-d": ("Khối sở", D("19"), D("63.33"), 4, D("10"), D("9")),
    "huyen-a": ("Khối huyện", D("30"), D("100.00"), 1, D("18"), D("12")),
    "huyen-b": ("Khối huyện", D("20"), D("66.67"), 2, D("13.25"), D("6.75")),
}


def scores_file(points: dict[str, tuple[str, ...]]) -> str:
    """The appraisal in the import's Vietnamese headers, decimal commas, semicolons."""
    lines = ["Mã đơn vị;Mã tiêu chí;Điểm thẩm định;Điểm bị trừ;Lý do trừ điểm"]
    for unit, values in points.items():
        for code, value in zip(("1.1", "1.2", "2.1"), values, strict=True):
            deduction, reason = DEDUCTIONS.get((unit, code), ("", ""))
            lines.append(f"{unit};{code};{value};{deduction};{reason}")
    return "\n".join(lines) + "\n"


def command(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def run_round(tmp_path: Path, points: dict[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """Every step of the round by its command; returns the export's rows by unit code."""
    units = tmp_path / "don-vi.csv"
    units.write_text(UNITS, encoding="utf-8")
    framework = tmp_path / "bo-chi-so.csv"
    framework.write_text(FRAMEWORK, encoding="utf-8")
    scores = tmp_path / "diem-tham-dinh.csv"
    scores.write_text(scores_file(points), encoding="utf-8-sig")
    export = tmp_path / "ket-qua.csv"

    assert "Đã tạo 7 đơn vị" in command("import_units", str(units))
    for kind in ("department", "district"):
        command(
            "import_framework", str(framework), "--year", "2024", "--kind", kind,
            "--name", f"Bộ chỉ số 2024 ({kind})", "--max-points", "30",
        )  # fmt: skip
    assert command("copy_framework", "--from", "2024", "--to", "2025").count("đã sao chép") == 2
    opened = command(
        "open_period", "--year", "2025", "--copy-groups-from", "2024",
        "--self-deadline", "31/10/2025", "--appraisal-deadline", "30/11/2025",
    )  # fmt: skip
    assert "6 bản đánh giá mới" in opened and "so-cu" in opened
    assert "không có gì mới để tạo" in command("open_period", "--year", "2025")
    assert "Đã chuyển 6" in command("transition", "--period", "2025", "--to", "self_assessed")
    assert "Đã chuyển 6" in command("transition", "--period", "2025", "--to", "submitted")
    assert "ghi 18 tiêu chí" in command("import_scores", str(scores), "--period", "2025")
    assert "Đã chuyển 6" in command("transition", "--period", "2025", "--to", "appraised")
    assert "đã tính lại 6 bản đánh giá" in command("recompute", "--period", "2025")
    command("export_results", "--period", "2025", "--format", "csv", "--output", str(export))
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8-sig"))))
    return {row["unit_code"]: row for row in rows}


def as_expected(row: dict[str, str]) -> tuple:
    return (
        row["group"],
        D(row["total"]),
        D(row["percent"]),
        int(row["rank"]),
        D(row["component_1"]),
        D(row["component_2"]),
    )


@pytest.mark.django_db
def test_a_whole_round_from_files_by_commands_matches_the_hand_computed_export(tmp_path):
    assert connection.vendor == "postgresql"
    rows = run_round(tmp_path, POINTS)
    assert {code: as_expected(row) for code, row in rows.items()} == EXPECTED
    period = Period.objects.get(year=2025)
    assert not Assessment.objects.filter(period=period, unit__code="so-cu").exists()
    assert set(Assessment.objects.filter(period=period).values_list("state", flat=True)) == {
        "appraised"
    }
    # Three moves per unit, each recorded with the account the commands act as.
    moves = StateChange.objects.filter(assessment__period=period)
    assert moves.count() == 18
    assert set(moves.values_list("by__username", flat=True)) == {IMPORT_USERNAME}


@pytest.mark.django_db
def test_a_not_applicable_criterion_leaves_the_maximum_in_the_whole_round(tmp_path):
    """so-d's 1.2 is not applicable (KAD in the points cell): its total is 7 + 9 = 16 of a maximum
    of 30 − 6 = 24, 66,67 %, and component 1 holds 7 of 12; the other units are as in the round
    above."""
    assert connection.vendor == "postgresql"
    points = {**POINTS, "so-d": ("7", "KAD", "9")}
    rows = run_round(tmp_path, points)
    expected = {**EXPECTED, "so-d": ("Khối sở", D("16"), D("66.67"), 4, D("7"), D("9"))}
    assert {code: as_expected(row) for code, row in rows.items()} == expected
    score = CriterionScore.objects.get(
        assessment__period__year=2025, assessment__unit__code="so-d", criterion__code="1.2"
    )
    assert score.not_applicable and score.points == 0
