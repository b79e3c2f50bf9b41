"""The score template keeps formula payloads inert and still reads back unchanged; the reader takes
off only the protective quote our exports add."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from core.safe_cells import csv_cell, unquote
from scoring.exporting import scores_csv, scores_xlsx, template_rows
from scoring.importing import scores_apply, scores_plan
from scoring.models import Deduction
from scoring.workflow import State

from .factories import make_assessment
from .test_export_formulas import PAYLOADS, _xlsx_texts


@pytest.fixture
def payload_deductions(period, framework, group, unit, other_unit):
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    rows = [
        ["so-tu-phap", "1.1", "3,5", "0,5", PAYLOADS[0]],
        ["so-tu-phap", "1.2", "1", "1", PAYLOADS[1]],
        ["so-y-te", "1.1", "4", "0,25", "-1+2 chậm"],
        ["so-y-te", "1.2", "2", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["unit_code", "criterion_code", "points", "deduction", "reason"])
    writer.writerows(rows)
    plan = scores_plan(period=a.period, data=out.getvalue().encode(), filename="d.csv")
    assert plan.ok, [str(p) for p in plan.errors]
    scores_apply(plan=plan)
    return a


def _notes():
    return sorted(Deduction.objects.values_list("note", flat=True))


def test_the_csv_template_quotes_formulas_and_reads_back_unchanged(payload_deductions):
    period = payload_deductions.period
    assert _notes() == sorted([PAYLOADS[0], PAYLOADS[1], "-1+2 chậm"])
    first = scores_csv(period)
    reasons = [row[4] for row in csv.reader(io.StringIO(first.decode("utf-8-sig")))]
    assert "'=1+41" in reasons and "'-1+2 chậm" in reasons
    points = [row[2] for row in csv.reader(io.StringIO(first.decode("utf-8-sig")))]
    assert "3.5" in points  # numbers are not quoted
    plan = scores_plan(period=period, data=first, filename="xuat.csv")
    assert plan.ok and plan.changes == []
    assert scores_csv(period) == first
    assert _notes() == sorted([PAYLOADS[0], PAYLOADS[1], "-1+2 chậm"])


def test_the_xlsx_template_holds_formulas_as_text_and_reads_back_unchanged(payload_deductions):
    period = payload_deductions.period
    before = template_rows(period)
    data = scores_xlsx(period)
    texts = _xlsx_texts(data, "template")
    assert PAYLOADS[1] in texts
    plan = scores_plan(period=period, data=data, filename="mau.xlsx")
    assert plan.ok and plan.changes == []
    assert template_rows(period) == before
    ws = load_workbook(io.BytesIO(data)).active
    cell = next(c for c in ws["I"] if c.value == PAYLOADS[0])
    assert cell.data_type == "s" and cell.quotePrefix
    points = next(c for c in ws["G"] if c.row > 1 and c.value is not None)
    assert points.data_type == "n"


def test_only_the_quote_before_a_formula_character_is_taken_off():
    assert unquote("'=1+41") == "=1+41"
    assert unquote("'\t=1") == "\t=1"
    assert unquote("'tên riêng") == "'tên riêng"
    assert unquote("'") == "'"
    assert unquote(D("1.5")) == D("1.5")
    assert csv_cell(D("-1.5")) == D("-1.5") and csv_cell(-2) == -2
    assert csv_cell("-1+2") == "'-1+2"
