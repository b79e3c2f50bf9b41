"""The demo's surveys: each year a SIPAS survey (five elements, twenty questions) and a sociological
survey of leaders and officials (four elements, twelve questions), each unit with its sample plan and
generated answers, a few hundred per unit: tens of thousands of answer sheets in all, imported
through the same checked import as a real file (surveys.importing), so every survey page shows
real-looking figures and the survey-derived criteria 8.1 and 8.2 take their points from them.

The answers are invented: each unit answers around its own level of quality, the feedback element
is the weakest everywhere (as in the national SIPAS reports), and in the open year a few units are
still short of their sample."""

from __future__ import annotations

import io

import numpy as np

from surveys.importing import import_answers
from surveys.models import Survey, SurveyElement, SurveyPlan, SurveyQuestion, SurveyResult

SIPAS = [
    (
        "TC",
        "Tiếp cận dịch vụ",
        -0.01,
        [
            "Nơi ngồi chờ có đủ chỗ ngồi",
            "Trang thiết bị phục vụ đầy đủ",
            "Trang thiết bị dễ sử dụng",
            "Thông tin hướng dẫn dễ tìm",
        ],
    ),
    (
        "TT",
        "Thủ tục hành chính",
        -0.03,
        [
            "Thủ tục được niêm yết công khai đầy đủ",
            "Thành phần hồ sơ đúng quy định",
            "Phí, lệ phí đúng quy định",
            "Thời hạn giải quyết đúng quy định",
        ],
    ),
    (
        "CC",
        "Công chức trực tiếp giải quyết công việc",
        0.01,
        [
            "Công chức có thái độ giao tiếp lịch sự",
            "Công chức chú ý lắng nghe ý kiến",
            "Công chức trả lời, giải thích đầy đủ",
            "Công chức hướng dẫn kê khai dễ hiểu",
        ],
    ),
    (
        "KQ",
        "Kết quả giải quyết thủ tục hành chính",
        0.02,
        [
            "Kết quả đúng quy định",
            "Kết quả có thông tin đầy đủ",
            "Kết quả có thông tin chính xác",
            "Nhận kết quả đúng hẹn",
        ],
    ),
    (
        "PA",
        "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
        -0.08,
        [
            "Có bố trí hình thức tiếp nhận góp ý",
            "Dễ dàng thực hiện góp ý, phản ánh",
            "Góp ý được tiếp nhận, xử lý tích cực",
            "Được thông báo kết quả xử lý kịp thời",
        ],
    ),
]
SOCIOLOGICAL = [
    (
        "CD",
        "Chỉ đạo, điều hành CCHC",
        0.02,
        ["Kế hoạch CCHC sát thực tế", "Kiểm tra CCHC", "Tuyên truyền CCHC"],
    ),
    (
        "TT",
        "Cải cách thủ tục hành chính",
        -0.02,
        ["Rà soát thủ tục", "Một cửa liên thông", "Dịch vụ công trực tuyến"],
    ),
    (
        "CV",
        "Cải cách chế độ công vụ",
        -0.04,
        ["Tuyển dụng công khai", "Đánh giá công chức thực chất", "Kỷ luật, kỷ cương"],
    ),
    (
        "CQ",
        "Chính quyền điện tử, chính quyền số",
        0.0,
        ["Văn bản điện tử", "Hệ thống thông tin báo cáo", "Chữ ký số"],
    ),
]
# Units still collecting answers in the open year: the share of their sample received so far.
SHORT_IN_OPEN_YEAR = {"so-y-te": 0.62, "huyen-kim-boi": 0.8, "so-giao-duc": 0.9}


def _survey(year: int, kind: str, name: str, criterion: str, elements) -> Survey:
    survey = Survey.objects.create(year=year, kind=kind, name=name, criterion_code=criterion)
    questions = []
    order = 0
    for e_order, (code, label, _offset, texts) in enumerate(elements, start=1):
        element = SurveyElement.objects.create(survey=survey, code=code, name=label, order=e_order)
        for i, text in enumerate(texts, start=1):
            order += 1
            questions.append(
                SurveyQuestion(
                    survey=survey, element=element, code=f"{code}{i}", text=text, order=order
                )
            )
    SurveyQuestion.objects.bulk_create(questions)
    return survey


def _answers(rng, n: int, level: float, elements) -> np.ndarray:
    """n answer sheets (levels 1..5, 0 = blank) around `level`, the share satisfied."""
    columns = []
    for _code, _label, offset, texts in elements:
        for _text in texts:
            p = min(0.99, max(0.3, level + offset + rng.normal(0, 0.015)))
            u = rng.random(n)
            satisfied = u < p
            high = rng.random(n) < 0.45
            low = rng.choice([1, 2, 3], size=n, p=[0.15, 0.3, 0.55])
            column = np.where(satisfied, np.where(high, 5, 4), low)
            column[rng.random(n) < 0.03] = 0
            columns.append(column)
    return np.stack(columns, axis=1)


def _csv(
    survey: Survey, rows: list[tuple[str, np.ndarray]], codes: list[str], year: int, rng
) -> bytes:
    out = io.StringIO()
    out.write("ma phieu,ma don vi,ngay," + ",".join(codes) + "\n")
    for unit_code, matrix in rows:
        days = rng.integers(1, 28, size=len(matrix))
        months = rng.integers(3, 11, size=len(matrix))
        for i, answers in enumerate(matrix):
            cells = ",".join(str(a) if a else "" for a in answers)
            out.write(
                f"{survey.code}-{unit_code}-{i + 1:04d},{unit_code},"
                f"{days[i]:02d}/{months[i]:02d}/{year},{cells}\n"
            )
    return out.getvalue().encode()


def load_surveys(year: int, units, quality, *, open_year: bool, seed: int) -> dict:
    """The year's two surveys with plans and answers, imported; returns
    {(unit id, criterion code): percent} of the survey-derived criteria."""
    rng = np.random.default_rng(seed + year)
    found: dict[tuple[int, str], object] = {}
    for kind, name, criterion, elements, population in (
        (Survey.Kind.SIPAS, f"Khảo sát SIPAS {year}", "8.1", SIPAS, (900, 6000)),
        (Survey.Kind.SOCIOLOGICAL, f"Điều tra xã hội học {year}", "8.2", SOCIOLOGICAL, (90, 260)),
    ):
        survey = _survey(year, kind, name, criterion, elements)
        codes = list(survey.questions.order_by("order").values_list("code", flat=True))
        plans, rows = [], []
        for unit in units:
            n_pop = int(rng.integers(*population))
            plans.append(SurveyPlan(survey=survey, unit=unit, population=n_pop))
            needed = int(np.ceil(n_pop / (1 + n_pop * 0.0025)))
            share = SHORT_IN_OPEN_YEAR.get(unit.code, 1.0) if open_year else 1.0
            n = max(12, int(needed * share * (1 if share < 1 else rng.uniform(1.0, 1.08))))
            level = quality(unit) + (0.03 if kind == Survey.Kind.SIPAS else -0.01)
            rows.append((unit.code, _answers(rng, n, level, elements)))
        SurveyPlan.objects.bulk_create(plans)
        outcome = import_answers(survey=survey, data=_csv(survey, rows, codes, year, rng))
        if outcome.status != "applied":
            raise RuntimeError(f"demo survey {survey.code}: {outcome.errors[:3]}")
        for unit_id, code, percent in SurveyResult.objects.filter(
            survey=survey, criterion__isnull=False
        ).values_list("unit_id", "criterion__code", "percent"):
            found[(unit_id, code)] = percent
    return found
