"""Stage one of the score import: read the file and check every cell against the period, the units,
the criteria and the reasons. Nothing is read from the scores yet and nothing is written."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import decimal_places, fmt_number, parse_decimal
from core.tabular import Problem, TableError, nfc, read_tables
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
    gc_paused,
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
    # Not quantize(): it raises InvalidOperation past 28 digits (1e309, thirty nines), which
    # the range check refuses at their cell instead.
    return decimal_places(value) > PLACES if value.is_finite() else True


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


def _key(raw):
    """A memo key for a cell: its text, or its type and value (1, 1.0 and True are equal keys)."""
    return raw if raw.__class__ is str else (raw.__class__, raw)


class _Cells:
    """What a cell means, worked out once per distinct cell: a province's file repeats the same
    few thousand unit codes, a hundred criterion codes and a handful of values and reasons."""

    def __init__(self, plan: ScoreImport):
        self.plan = plan
        self.assessments = {
            code.lower(): (pk, code, name, framework_id, state)
            for pk, code, name, framework_id, state in Assessment.objects.filter(
                period=plan.period
            ).values_list("pk", "unit__code", "unit__name", "framework_id", "state")
        }
        self.leaves: dict[tuple[int, str], Criterion] = {}
        self.non_leaves: set[tuple[int, str]] = set()
        frameworks = {a[3] for a in self.assessments.values()}
        for c in Criterion.objects.filter(framework_id__in=frameworks):
            key = (c.framework_id, nfc(c.code).lower())
            (self.leaves.__setitem__(key, c) if c.is_leaf else self.non_leaves.add(key))
        self.known_units: set[str] | None = None  # read on the first unknown unit code
        self.reasons = reason_lookup()
        self.memo: dict[str, dict] = {
            name: {}
            for name in ("unit", "criterion", "points", "number", "flag", "text", "reason", "range")
        }

    def unit(self, raw) -> tuple[str, tuple | None, str | None]:
        """(code, assessment, problem) of a unit code cell."""
        unit_code = nfc(raw)
        assessment = self.assessments.get(unit_code.lower())
        if not unit_code:
            return unit_code, None, _("Thiếu mã đơn vị.")
        if assessment is not None:
            return unit_code, assessment, None
        if self.known_units is None:
            from units.models import Unit

            self.known_units = {c.lower() for c in Unit.objects.values_list("code", flat=True)}
        if unit_code.lower() in self.known_units:
            return (
                unit_code,
                None,
                _("Đơn vị “%(code)s” không có bản đánh giá trong kỳ %(year)s.")
                % {"code": unit_code, "year": self.plan.period.year},
            )
        return unit_code, None, _("Không có đơn vị mã “%(code)s”.") % {"code": unit_code}

    def criterion(self, framework_id: int, raw) -> tuple[str, Criterion | None, str | None]:
        """(code, leaf criterion, problem) of a criterion code cell in a unit's framework."""
        crit_code = nfc(raw)
        key = (framework_id, crit_code.lower())
        criterion = self.leaves.get(key)
        if not crit_code:
            return crit_code, criterion, _("Thiếu mã tiêu chí.")
        if criterion is None and key in self.non_leaves:
            return (
                crit_code,
                None,
                _("Tiêu chí “%(code)s” có tiêu chí con: hãy nhập điểm ở các tiêu chí con.")
                % {"code": crit_code},
            )
        if criterion is None:
            return (
                crit_code,
                None,
                _("Không có tiêu chí mã “%(code)s” trong bộ chỉ số của đơn vị.")
                % {"code": crit_code},
            )
        return crit_code, criterion, None

    def points(self, raw) -> tuple[bool, Decimal | None, str | None]:
        """(says not applicable, number, problem) of a points cell."""
        if (
            isinstance(raw, str)
            and not raw.strip()[:1].isdigit()
            and fold(raw) in NOT_APPLICABLE_WORDS
        ):
            return True, None, None
        return (False, *self.number(raw))

    def number(self, raw) -> tuple[Decimal | None, str | None]:
        """(number, problem) of a points or deduction cell: None and no problem when empty."""
        try:
            value = read_decimal(raw)
        except ValueError:
            return None, _("“%(value)s” không phải là số.") % {"value": nfc(raw)}
        if value is not None and too_precise(value):
            return None, _("%(value)s có quá %(places)s chữ số thập phân.") % {
                "value": nfc(raw),
                "places": PLACES,
            }
        return value, None

    def flag(self, raw) -> tuple[bool | None, str | None]:
        """(flag, problem) of a not_applicable cell: True, False, or None with the problem."""
        flag = fold(nfc(raw))
        if flag in FLAG_TRUE:
            return True, None
        if flag in FLAG_FALSE:
            return False, None
        return None, _(
            "“%(value)s” không hiểu được: ghi 1 hoặc 0, có hoặc không, x hoặc để trống."
        ) % {"value": nfc(raw)}

    def bounds(self, criterion: Criterion, pts: Decimal) -> str | None:
        problem = points_problem(pts, max_points=criterion.max_points, step=criterion.step)
        if problem == "range":
            return _(
                "Điểm %(value)s ngoài khoảng 0 đến %(max)s (điểm tối đa của tiêu chí %(code)s)."
            ) % {
                "value": fmt_number(pts),
                "max": fmt_number(criterion.max_points),
                "code": criterion.code,
            }
        if problem == "step":
            return _("Điểm %(value)s không là bội số của %(step)s.") % {
                "value": fmt_number(pts),
                "step": fmt_number(criterion.step),
            }
        return None

    def deduction_range(self, criterion: Criterion, ded: Decimal) -> str | None:
        if ded < 0 or ded > criterion.max_points:
            return _("Điểm bị trừ %(value)s ngoài khoảng 0 đến %(max)s.") % {
                "value": fmt_number(ded),
                "max": fmt_number(criterion.max_points),
            }
        return None

    def get(self, name: str, key, compute, *args):
        memo = self.memo[name]
        try:
            return memo[key]
        except KeyError:
            memo[key] = value = compute(*args)
            return value


def check_file(plan: ScoreImport, data: bytes, filename: str) -> None:
    """Fill plan.rows with the file's checked rows and plan.errors with everything wrong."""
    with gc_paused():
        _check_file(plan, data, filename)


def _check_file(plan: ScoreImport, data: bytes, filename: str) -> None:
    try:
        sheets = read_tables(data, filename)
    except TableError as exc:
        plan.errors.append(Problem("", None, "", str(exc)))
        return
    cells = _Cells(plan)
    seen: dict[tuple[int, int], tuple[str, int]] = {}
    for sheet in sheets:
        if not sheet.header and not sheet.rows:
            continue
        cols = _columns(plan, sheet)
        if cols is None:
            continue
        _check_rows(plan, cells, sheet, cols, seen)
    if not plan.checked_rows and not plan.errors:
        plan.errors.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))


def _check_rows(plan: ScoreImport, cells: _Cells, sheet, cols: dict[str, int], seen: dict) -> None:
    """Check the rows of one sheet; the memos make a repeated cell cost one dictionary lookup."""
    label = {k: sheet.labels[i] for k, i in cols.items()}
    column = {k: label.get(k, HEADERS[k]) for k in HEADERS}
    iu, ic = cols["unit_code"], cols["criterion_code"]
    ip, idd, ir, ina = (cols.get(k) for k in ("points", "deduction", "reason", "not_applicable"))
    width = max(cols.values()) + 1
    pad = [None] * width
    units, crits = cells.memo["unit"], cells.memo["criterion"]
    points_memo, numbers, flags = cells.memo["points"], cells.memo["number"], cells.memo["flag"]
    texts, reasons, ranges = cells.memo["text"], cells.memo["reason"], cells.memo["range"]
    get = cells.get
    rows, errors = plan.rows, plan.errors
    no_value = (False, None, None)
    for number, values in sheet.rows:
        plan.checked_rows += 1
        if len(values) < width:
            values = values + pad[len(values) :]
        problems: list[tuple[str, str]] = []
        raw = values[iu]
        key = raw if raw.__class__ is str else _key(raw)
        unit = units.get(key) or get("unit", key, cells.unit, raw)
        unit_code, assessment, message = unit
        criterion = crit_code = None
        if message:
            problems.append(("unit_code", message))
        else:
            raw = values[ic]
            key = (assessment[3], raw if raw.__class__ is str else _key(raw))
            crit_code, criterion, message = crits.get(key) or get(
                "criterion", key, cells.criterion, assessment[3], raw
            )
            if message:
                problems.append(("criterion_code", message))
        # Not applicable: a word in the points cell, or the flag column.
        if ip is None:
            says_na, pts, points_problem_ = no_value
        else:
            raw = values[ip]
            key = raw if raw.__class__ is str else _key(raw)
            says_na, pts, points_problem_ = points_memo.get(key) or get(
                "points", key, cells.points, raw
            )
        not_applicable = True if says_na else None
        if ina is not None:
            raw = values[ina]
            key = raw if raw.__class__ is str else _key(raw)
            flag, message = flags.get(key) or get("flag", key, cells.flag, raw)
            if flag:
                not_applicable = True
            elif flag is False:
                if not_applicable:
                    problems.append(
                        (
                            "not_applicable",
                            _("Ô điểm ghi “không áp dụng” nhưng cột Không áp dụng ghi không."),
                        )
                    )
                not_applicable = False
            else:
                problems.append(("not_applicable", message))
        if points_problem_:
            problems.append(("points", points_problem_))
        raw_deduction = None if idd is None else values[idd]
        if raw_deduction is None:
            ded = None
        else:
            key = raw_deduction if raw_deduction.__class__ is str else _key(raw_deduction)
            ded, message = numbers.get(key) or get("number", key, cells.number, raw_deduction)
            if message:
                problems.append(("deduction", message))
        reason = ""
        if ir is not None:
            raw = values[ir]
            key = raw if raw.__class__ is str else _key(raw)
            reason = texts.get(key)
            if reason is None:
                reason = texts[key] = nfc(raw)
        if reason and not nfc(raw_deduction):
            problems.append(("reason", _("Có lý do trừ điểm nhưng không có điểm bị trừ.")))
        if criterion is not None:
            if pts is not None and (not_applicable or criterion.method == "not_applicable"):
                problems.append(
                    (
                        "points",
                        _(
                            "Dòng %(row)s: tiêu chí %(code)s không áp dụng, không nhận điểm %(value)s."
                        )
                        % {"row": number, "code": criterion.code, "value": fmt_number(pts)},
                    )
                )
            else:
                if pts is not None:
                    key = (criterion.id, pts)
                    message = ranges.get(key, 0)
                    if message == 0:
                        message = ranges[key] = cells.bounds(criterion, pts)
                    if message:
                        problems.append(("points", message))
                if ded is not None:
                    key = (criterion.id, None, ded)
                    message = ranges.get(key, 0)
                    if message == 0:
                        message = ranges[key] = cells.deduction_range(criterion, ded)
                    if message:
                        problems.append(("deduction", message))
                    elif ded > 0 and not reason:
                        problems.append(("reason", _("Cần nêu lý do trừ điểm.")))
            key = (assessment[0], criterion.id)
            first = seen.get(key)
            if first is not None:
                problems.append(
                    (
                        "criterion_code",
                        _(
                            "Dòng trùng: đơn vị %(unit)s, tiêu chí %(code)s đã có ở trang “%(sheet)s” dòng %(row)s."
                        )
                        % {
                            "unit": unit_code,
                            "code": crit_code,
                            "sheet": first[0],
                            "row": first[1],
                        },
                    )
                )
            else:
                seen[key] = (sheet.name, number)
        if problems:
            errors.extend(Problem(sheet.name, number, column[k], m) for k, m in problems)
            continue
        reason_id, note = (
            (reasons.get(reason) or get("reason", reason, resolve_reason, reason, cells.reasons))
            if reason
            else (None, None)
        )
        rows.append(
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
                column["unit_code"],
                column["points"],
            )
        )
