"""Stage one of the score import: read the file and check every cell against the period, the units,
the criteria and the reasons. Nothing is read from the scores yet and nothing is written."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import fmt_number, parse_decimal
from core.tabular import Problem, TableError, cell, nfc, read_tables
from indicators.computation import points_problem
from indicators.models import Criterion

from ..models import Assessment, DeductionReason
from .common import (
    COLUMNS,
    FLAG_FALSE,
    FLAG_TRUE,
    HEADERS,
    NOT_APPLICABLE_WORDS,
    PLACES,
    Row,
    ScoreImport,
    fold,
)

POINT_KEYS = ("points", "points_1", "points_2")


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for key, names in COLUMNS.items():
        for name in (key, *names):
            lookup[fold(name)] = key
    return lookup


def expected_headers() -> str:
    return ", ".join(f"{HEADERS[k]} ({k})" for k in COLUMNS)


def reason_lookup() -> dict[str, int]:
    """A reason's id by its folded code and its folded label."""
    lookup = {}
    for pk, code, label in DeductionReason.objects.values_list("pk", "code", "label"):
        lookup[fold(label)] = pk
        lookup[fold(code)] = pk
    return lookup


def resolve_reason(text: str, reasons: dict[str, int]) -> tuple[int | None, str | None]:
    """(reason id, note) of a reason cell: a reason's code or label alone (the note is kept as it
    is), "label — note", or free text (no reason, the text is the note)."""
    pk = reasons.get(fold(text))
    if pk is not None:
        return pk, None
    if " — " in text:
        head, tail = text.split(" — ", 1)
        pk = reasons.get(fold(head))
        if pk is not None:
            return pk, tail.strip()
    return None, text


def read_decimal(raw) -> Decimal | None:
    """A number as typed; a float from Excel is taken at Excel's 15 significant digits, so a raw
    0.25000000000000011 is 0.25. ValueError when it is not a number."""
    if isinstance(raw, float):
        raw = format(raw, ".15g")
    elif isinstance(raw, str) and raw.replace(".", "", 1).isdigit() and raw.isascii():
        return Decimal(raw)  # the common case, without the general parser's work
    return parse_decimal(raw)


def too_precise(value: Decimal) -> bool:
    return value != value.quantize(Decimal(1).scaleb(-PLACES)) if value.is_finite() else True


def _columns(plan: ScoreImport, sheet) -> dict[str, int] | None:
    """The position of each column of the sheet; None (with the errors added) when a header is
    not recognised, a required one is missing or one names the other round."""
    lookup = _header_lookup()
    cols: dict[str, int] = {}
    bad = []
    for i, label in enumerate(sheet.labels):
        if not fold(label):
            continue
        key = lookup.get(fold(label))
        if key is None or key in cols:
            bad.append(
                _("Cột “%(label)s” không được nhận ra. Các cột được nhận: %(expected)s.")
                % {"label": label, "expected": expected_headers()}
                if key is None
                else _("Cột “%(label)s” bị lặp.") % {"label": label}
            )
            continue
        cols[key] = i
    other = "points_2" if plan.round == 1 else "points_1"
    if other in cols:
        bad.append(
            _("Cột “%(label)s” là điểm thẩm định lần %(other)s, nhưng đang nhập lần %(round)s.")
            % {
                "label": sheet.labels[cols[other]],
                "other": 3 - plan.round,
                "round": plan.round,
            }
        )
    mine = [k for k in ("points", f"points_{plan.round}") if k in cols]
    if len(mine) == 2:
        bad.append(_("Tệp có hai cột điểm thẩm định; hãy giữ một cột."))
    missing = [HEADERS[k] for k in ("unit_code", "criterion_code") if k not in cols]
    if not mine and not {"deduction", "not_applicable"} & set(cols):
        missing.append(HEADERS["points"])
    if missing:
        plan.errors.append(
            Problem(
                sheet.name,
                1,
                ", ".join(missing),
                _("Thiếu cột bắt buộc. Các cột được nhận: %(expected)s.")
                % {"expected": expected_headers()},
            )
        )
    if bad or missing:
        plan.errors.extend(Problem(sheet.name, 1, "", message) for message in bad)
        return None
    if mine:
        cols["points"] = cols[mine[0]]
    return cols


def check_file(plan: ScoreImport, data: bytes, filename: str) -> None:
    """Fill plan.rows with the file's checked rows and plan.errors with everything wrong."""
    try:
        sheets = read_tables(data, filename)
    except TableError as exc:
        plan.errors.append(Problem("", None, "", str(exc)))
        return
    assessments = {
        code.lower(): (pk, code, name, framework_id, state)
        for pk, code, name, framework_id, state in Assessment.objects.filter(
            period=plan.period
        ).values_list("pk", "unit__code", "unit__name", "framework_id", "state")
    }
    leaves: dict[tuple[int, str], Criterion] = {}
    non_leaves: set[tuple[int, str]] = set()
    for c in Criterion.objects.filter(framework_id__in={a[3] for a in assessments.values()}):
        key = (c.framework_id, nfc(c.code).lower())
        (leaves.__setitem__(key, c) if c.is_leaf else non_leaves.add(key))
    from units.models import Unit

    known_units = {code.lower() for code in Unit.objects.values_list("code", flat=True)}
    reasons = reason_lookup()
    seen: dict[tuple[int, int], tuple[str, int]] = {}
    for sheet in sheets:
        if not sheet.header and not sheet.rows:
            continue
        cols = _columns(plan, sheet)
        if cols is None:
            continue
        label = {k: sheet.labels[i] for k, i in cols.items()}
        for number, values in sheet.rows:
            plan.checked_rows += 1
            problems: list[Problem] = []

            def problem(
                key: str, message: str, number=number, sheet=sheet, problems=problems, label=label
            ):
                problems.append(Problem(sheet.name, number, label.get(key, HEADERS[key]), message))

            unit_code = nfc(cell(values, cols["unit_code"]))
            crit_code = nfc(cell(values, cols["criterion_code"]))
            assessment = assessments.get(unit_code.lower())
            criterion = None
            if not unit_code:
                problem("unit_code", _("Thiếu mã đơn vị."))
            elif assessment is None:
                if unit_code.lower() in known_units:
                    problem(
                        "unit_code",
                        _("Đơn vị “%(code)s” không có bản đánh giá trong kỳ %(year)s.")
                        % {"code": unit_code, "year": plan.period.year},
                    )
                else:
                    problem("unit_code", _("Không có đơn vị mã “%(code)s”.") % {"code": unit_code})
            else:
                key = (assessment[3], crit_code.lower())
                criterion = leaves.get(key)
                if not crit_code:
                    problem("criterion_code", _("Thiếu mã tiêu chí."))
                elif criterion is None and key in non_leaves:
                    problem(
                        "criterion_code",
                        _("Tiêu chí “%(code)s” có tiêu chí con: hãy nhập điểm ở các tiêu chí con.")
                        % {"code": crit_code},
                    )
                elif criterion is None:
                    problem(
                        "criterion_code",
                        _("Không có tiêu chí mã “%(code)s” trong bộ chỉ số của đơn vị.")
                        % {"code": crit_code},
                    )
            # Not applicable: a word in the points cell, or the flag column.
            not_applicable = None
            raw_points = cell(values, cols.get("points"))
            if (
                isinstance(raw_points, str)
                and not raw_points.strip()[:1].isdigit()
                and fold(raw_points) in NOT_APPLICABLE_WORDS
            ):
                not_applicable, raw_points = True, None
            if "not_applicable" in cols:
                flag = fold(nfc(cell(values, cols["not_applicable"])))
                if flag in FLAG_TRUE:
                    not_applicable = True
                elif flag in FLAG_FALSE:
                    if not_applicable:
                        problem(
                            "not_applicable",
                            _("Ô điểm ghi “không áp dụng” nhưng cột Không áp dụng ghi không."),
                        )
                    not_applicable = False
                else:
                    problem(
                        "not_applicable",
                        _(
                            "“%(value)s” không hiểu được: ghi 1 hoặc 0, có hoặc không, x hoặc để trống."
                        )
                        % {"value": nfc(cell(values, cols["not_applicable"]))},
                    )
            parsed: dict[str, Decimal | None] = {}
            for key, raw in (
                ("points", raw_points),
                ("deduction", cell(values, cols.get("deduction"))),
            ):
                try:
                    parsed[key] = read_decimal(raw)
                except ValueError:
                    parsed[key] = None
                    problem(key, _("“%(value)s” không phải là số.") % {"value": nfc(raw)})
                    continue
                if parsed[key] is not None and too_precise(parsed[key]):
                    problem(
                        key,
                        _("%(value)s có quá %(places)s chữ số thập phân.")
                        % {"value": nfc(raw), "places": PLACES},
                    )
                    parsed[key] = None
            reason = nfc(cell(values, cols.get("reason")))
            pts, ded = parsed["points"], parsed["deduction"]
            if reason and not nfc(cell(values, cols.get("deduction"))):
                problem("reason", _("Có lý do trừ điểm nhưng không có điểm bị trừ."))
            if criterion is not None:
                _check_values(problem, criterion, pts, ded, reason, not_applicable, number)
                key = (assessment[0], criterion.pk)
                if key in seen:
                    first_sheet, first_row = seen[key]
                    problem(
                        "criterion_code",
                        _(
                            "Dòng trùng: đơn vị %(unit)s, tiêu chí %(code)s đã có ở trang “%(sheet)s” dòng %(row)s."
                        )
                        % {
                            "unit": unit_code,
                            "code": crit_code,
                            "sheet": first_sheet,
                            "row": first_row,
                        },
                    )
                else:
                    seen[key] = (sheet.name, number)
            if problems:
                plan.errors.extend(problems)
                continue
            reason_id, note = resolve_reason(reason, reasons) if reason else (None, None)
            plan.rows.append(
                Row(
                    sheet.name,
                    number,
                    assessment[0],
                    assessment[1],
                    assessment[2],
                    assessment[4],
                    criterion,
                    pts,
                    not_applicable,
                    ded,
                    reason,
                    reason_id,
                    note,
                    label.get("unit_code", HEADERS["unit_code"]),
                    label.get("points", HEADERS["points"]),
                )
            )
    if not plan.checked_rows and not plan.errors:
        plan.errors.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))


def _check_values(problem, criterion, pts, ded, reason, not_applicable, number) -> None:
    if pts is not None:
        if not_applicable or criterion.method == "not_applicable":
            problem(
                "points",
                _("Dòng %(row)s: tiêu chí %(code)s không áp dụng, không nhận điểm %(value)s.")
                % {"row": number, "code": criterion.code, "value": fmt_number(pts)},
            )
            return
        bounds = points_problem(pts, max_points=criterion.max_points, step=criterion.step)
        if bounds == "range":
            problem(
                "points",
                _("Điểm %(value)s ngoài khoảng 0 đến %(max)s (điểm tối đa của tiêu chí %(code)s).")
                % {
                    "value": fmt_number(pts),
                    "max": fmt_number(criterion.max_points),
                    "code": criterion.code,
                },
            )
        elif bounds == "step":
            problem(
                "points",
                _("Điểm %(value)s không là bội số của %(step)s.")
                % {"value": fmt_number(pts), "step": fmt_number(criterion.step)},
            )
    if ded is not None:
        if ded < 0 or ded > criterion.max_points:
            problem(
                "deduction",
                _("Điểm bị trừ %(value)s ngoài khoảng 0 đến %(max)s.")
                % {"value": fmt_number(ded), "max": fmt_number(criterion.max_points)},
            )
        elif ded > 0 and not reason:
            problem("reason", _("Cần nêu lý do trừ điểm."))
