"""The framework import (indicators.services.framework_import through `import_framework`): every
value a column cannot keep is refused at its row and column before anything is written (no
`numeric field overflow`, no DataError), and the tree's sums name the parent's row."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from core.tabular import read_tables
from indicators.models import Criterion, Framework
from indicators.services import framework_import

GOOD = (
    "1,Chỉ đạo điều hành,6,,\n"
    '1.1,Kế hoạch,4,entered,"0,25"\n'
    "1.2,Báo cáo,2,yes_no,\n"
    "2,Thủ tục hành chính,4,,\n"
    "2.1,Hồ sơ đúng hạn,4,,\n"
)


def run(
    body: str, *, scale="10", name="Bộ chỉ số 2026", header="code,name,max_points,method,step\n"
):
    sheets = read_tables((header + body).encode(), "bo-chi-so.csv")
    return framework_import(
        year=2026, unit_kind="department", name=name, sheets=sheets, max_points=scale
    )


def places(problems) -> list[tuple[int | None, str]]:
    return [(p.row, p.column) for p in problems]


def nothing_written():
    return not Framework.objects.exists() and not Criterion.objects.exists()


def test_a_good_file_builds_the_tree(db):
    framework, problems = run(GOOD)
    assert problems == []
    assert sorted(framework.criteria.filter(is_leaf=True).values_list("code", flat=True)) == [
        "1.1",
        "1.2",
        "2.1",
    ]


@pytest.mark.parametrize(
    "row, place, message",
    [
        ("C" * 21 + ",Tên,4,,\n", "code", "quá 20 ký tự"),
        ("2.1," + "T" * 501 + ",4,,\n", "name", "quá 500 ký tự"),
        ("2.1,Tên,100000,,\n", "max_points", "dưới 100.000"),
        ("2.1,Tên,1e9,,\n", "max_points", "dưới 100.000"),
        ("2.1,Tên,-1,,\n", "max_points", "từ 0"),
        ("2.1,Tên,inf,,\n", "max_points", "Phải là số"),
        ('2.1,Tên,"4,125",,\n', "max_points", "nhiều hơn 2 chữ số thập phân"),
        ("2.1,Tên,4,,100\n", "step", "nhỏ hơn 100"),
        ("2.1,Tên,4,,-0.25\n", "step", "lớn hơn 0"),
        ("2.1,Tên,4,,0\n", "step", "lớn hơn 0"),
        ("2.1,Tên,4,,0.125\n", "step", "nhiều hơn 2 chữ số thập phân"),
        ("2.1,Tên,4,,NaN\n", "step", "Phải là số"),
        ("2.1,Tên,4,tự chấm,\n", "method", "không hợp lệ"),
    ],
)
def test_values_a_column_cannot_keep_are_refused_at_their_row_before_writing(
    db, row, place, message
):
    body = GOOD.replace("2.1,Hồ sơ đúng hạn,4,,\n", row)
    framework, problems = run(body)
    assert framework is None
    assert places(problems) == [(6, place)]
    assert message in problems[0].message
    assert nothing_written()


@pytest.mark.parametrize(
    "scale, name, place, message",
    [
        ("100000", "Bộ", "max_points", "nhỏ hơn 100.000"),
        ("0", "Bộ", "max_points", "lớn hơn 0"),
        ("10,001", "Bộ", "max_points", "chữ số thập phân"),
        ("mười", "Bộ", "max_points", "Phải là số"),
        ("10", "B" * 256, "name", "quá 255 ký tự"),
    ],
)
def test_the_framework_name_and_scale_are_checked_too(db, scale, name, place, message):
    framework, problems = run(GOOD, scale=scale, name=name)
    assert framework is None and [p.column for p in problems] == [place]
    assert message in problems[0].message and nothing_written()


def test_a_sum_error_names_the_row_of_the_parent(db):
    body = GOOD.replace("1.2,Báo cáo,2,yes_no,", "1.2,Báo cáo,3,yes_no,")
    framework, problems = run(body, scale="10")
    assert framework is None
    assert places(problems) == [(2, "max_points")]
    assert "Tiêu chí 1 có điểm tối đa 6" in problems[0].message
    assert "(1.1, 1.2) là 7" in problems[0].message
    assert "dòng 2, cột “max_points”" in str(problems[0])


def test_components_that_miss_the_scale_name_their_rows(db):
    framework, problems = run(GOOD, scale="12")
    assert framework is None and places(problems) == [(None, "max_points")]
    assert "dòng 2, 5" in problems[0].message and "thang điểm 12" in problems[0].message


def test_parent_loops_and_unknown_parents_are_refused_at_their_rows(db):
    header = "code,name,parent_code,max_points\n"
    framework, problems = run("A,Một,B,5\nB,Hai,A,5\nC,Ba,Z,5\n", header=header, scale="10")
    assert framework is None
    assert places(problems) == [(2, "parent_code"), (3, "parent_code"), (4, "parent_code")]
    assert "A → B → A" in problems[0].message
    assert "“Z”" in problems[2].message


def test_the_command_prints_every_overflow_without_a_traceback(db, tmp_path):
    path = tmp_path / "bo-chi-so.csv"
    path.write_text(
        "code,name,max_points,step\n"
        + "C" * 21
        + ",A,6,\n"
        + "1.1,"
        + "N" * 501
        + ",4,100\n"
        + "1.2,C,100000,-1\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="không có gì được ghi"):
        call_command(
            "import_framework",
            str(path),
            "--year",
            "2026",
            "--kind",
            "department",
            "--name",
            "Bộ",
            "--max-points",
            "10",
            stderr=err,
            stdout=io.StringIO(),
        )
    output = err.getvalue()
    for expected in ("dòng 2", "dòng 3", "dòng 4", "quá 20", "quá 500", "nhỏ hơn 100", "lớn hơn 0"):
        assert expected in output
    assert nothing_written()
