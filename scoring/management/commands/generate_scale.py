"""Make a synthetic province or country for benchmarks and load tests.

    python manage.py generate_scale --units 10000 --criteria 100 --years 1

creates ranking groups (one per ~160 units, like the communes of one province), units (communes),
their group memberships per year, one framework per year with M leaf criteria under the eight
components of the 2022 method, the periods, one appraised assessment per unit and year, every
criterion score (some not applicable, some with deductions, a few deducted beyond the maximum and
clamped at zero), then recomputes the stored results (unless --no-recompute).

Scores and deductions go in with COPY on PostgreSQL (about a million rows in a few seconds) and
bulk_create elsewhere. The data is deterministic for a given --seed. Nothing is overwritten: years
that already have a period, or unit codes already taken, are refused with a clear message.
"""

from __future__ import annotations

import io
import random
import time
from decimal import ROUND_DOWN, Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from indicators.models import Criterion, Framework, RatingBand
from scoring.models import Assessment, CriterionScore, Deduction, Period
from scoring.workflow import State
from units.models import GroupMembership, RankingGroup, Unit, UnitKind

COMPONENTS = [
    "Công tác chỉ đạo, điều hành cải cách hành chính",
    "Cải cách thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính nhà nước",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
    "Tác động của cải cách hành chính đến người dân, tổ chức",
]
BANDS = [("A", 90), ("B", 80), ("C", 70), ("D", 0)]
UNITS_PER_GROUP = 160
QUARTER = Decimal("0.25")
CENT = Decimal("0.01")


def period_name(year: int) -> str:
    """The name of the periods this command makes (how the benchmarks tell them from real ones)."""
    return f"Chỉ số CCHC năm {year} (dữ liệu tổng hợp)"


class Command(BaseCommand):
    help = "Tạo dữ liệu tổng hợp quy mô lớn (đơn vị, bộ chỉ số, điểm) để đo hiệu năng."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True, help="số đơn vị")
        parser.add_argument("--criteria", type=int, required=True, help="số tiêu chí lá")
        parser.add_argument("--years", type=int, default=1, help="số năm (kỳ đánh giá)")
        parser.add_argument(
            "--first-year", type=int, default=None, help="năm đầu tiên (mặc định: 2025 − số năm)"
        )
        parser.add_argument(
            "--groups",
            type=int,
            default=None,
            help="số khối xếp hạng (mặc định: 1 khối/160 đơn vị)",
        )
        parser.add_argument("--prefix", default="scale", help="tiền tố mã đơn vị và mã khối")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--no-recompute", action="store_true", help="không tính kết quả sau khi tạo điểm"
        )

    def handle(self, *args, **opts):
        n_units, n_criteria, n_years = opts["units"], opts["criteria"], opts["years"]
        if n_units < 1 or n_criteria < len(COMPONENTS) or n_years < 1:
            raise CommandError(
                f"Cần ít nhất 1 đơn vị, {len(COMPONENTS)} tiêu chí (một cho mỗi chỉ số thành "
                "phần) và 1 năm."
            )
        first_year = opts["first_year"] or 2025 - n_years
        years = list(range(first_year, first_year + n_years))
        n_groups = opts["groups"] or max(1, round(n_units / UNITS_PER_GROUP))
        prefix = opts["prefix"]
        taken = sorted(Period.objects.filter(year__in=years).values_list("year", flat=True))
        if taken:
            raise CommandError(
                f"Năm {', '.join(map(str, taken))} đã có kỳ đánh giá; chọn --first-year khác "
                "hoặc dùng một cơ sở dữ liệu trống."
            )
        if Framework.objects.filter(year__in=years, unit_kind=UnitKind.COMMUNE).exists():
            raise CommandError("Đã có bộ chỉ số cấp xã cho các năm này; chọn --first-year khác.")
        if Unit.objects.filter(code__startswith=f"{prefix}-").exists():
            raise CommandError(f"Đã có đơn vị mã “{prefix}-…”; chọn --prefix khác.")

        rng = random.Random(opts["seed"])
        started = time.perf_counter()
        with transaction.atomic():
            groups = self._groups(prefix, n_groups)
            units = self._units(prefix, n_units, first_year)
            self._memberships(units, groups, years)
            periods = []
            for year in years:
                framework, leaves = self._framework(year, n_criteria)
                period = Period.objects.create(
                    year=year,
                    name=period_name(year),
                    status=Period.Status.OPEN if year == years[-1] else Period.Status.CLOSED,
                )
                assessments = Assessment.objects.bulk_create(
                    [
                        Assessment(
                            period=period, unit=u, framework=framework, state=State.APPRAISED
                        )
                        for u in units
                    ],
                    batch_size=5000,
                )
                n_scores, n_deductions = self._scores(rng, assessments, leaves)
                self.stdout.write(
                    f"Năm {year}: {len(assessments)} bản đánh giá, {n_scores} điểm tiêu chí, "
                    f"{n_deductions} điểm bị trừ"
                )
                periods.append(period)
        if connection.vendor == "postgresql":
            # Fresh statistics for the tables just filled, so the first queries plan well.
            with connection.cursor() as cursor:
                for model in (Unit, GroupMembership, Assessment, CriterionScore, Deduction):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        if not opts["no_recompute"]:
            from scoring.recompute import recompute_now

            for period in periods:
                recompute_now(period)
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tạo {n_groups} khối, {n_units} đơn vị, {n_criteria} tiêu chí × {n_years} năm "
                f"trong {time.perf_counter() - started:.1f} giây."
            )
        )

    def _groups(self, prefix: str, n: int) -> list[RankingGroup]:
        return RankingGroup.objects.bulk_create(
            [
                RankingGroup(
                    code=f"{prefix}-khoi-{i + 1:03d}",
                    name=f"Khối xã, phường – vùng {i + 1:03d}",
                    unit_kind=UnitKind.COMMUNE,
                    order=100 + i,
                )
                for i in range(n)
            ]
        )

    def _units(self, prefix: str, n: int, first_year: int) -> list[Unit]:
        return Unit.objects.bulk_create(
            [
                Unit(
                    code=f"{prefix}-{i + 1:05d}",
                    name=f"Xã Thử Nghiệm {i + 1:05d}",
                    kind=UnitKind.COMMUNE,
                    active_from_year=first_year,
                )
                for i in range(n)
            ],
            batch_size=5000,
        )

    def _memberships(self, units, groups, years) -> None:
        n, g = len(units), len(groups)
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(unit=u, group=groups[i * g // n], year=year)
                for year in years
                for i, u in enumerate(units)
            ],
            batch_size=5000,
        )

    def _framework(self, year: int, n_criteria: int) -> tuple[Framework, list[Criterion]]:
        leaf_max = (Decimal(100) / n_criteria).quantize(CENT, rounding=ROUND_DOWN)
        per_component = [
            n_criteria // len(COMPONENTS) + (1 if i < n_criteria % len(COMPONENTS) else 0)
            for i in range(len(COMPONENTS))
        ]
        total = leaf_max * n_criteria
        framework = Framework.objects.create(
            year=year,
            unit_kind=UnitKind.COMMUNE,
            name=f"Bộ chỉ số cấp xã {year} (tổng hợp)",
            max_points=total,
            max_bonus=Decimal(2),
            max_penalty=Decimal(2),
        )
        components = Criterion.objects.bulk_create(
            [
                Criterion(
                    framework=framework,
                    code=str(i + 1),
                    name=name,
                    order=(i + 1) * 1000,
                    level=1,
                    is_leaf=False,
                    max_points=leaf_max * per_component[i],
                )
                for i, name in enumerate(COMPONENTS)
            ]
        )
        Criterion.objects.filter(pk__in=[c.pk for c in components]).update(component=F("pk"))
        leaves = Criterion.objects.bulk_create(
            [
                Criterion(
                    framework=framework,
                    parent=comp,
                    component=comp,
                    code=f"{comp.code}.{j + 1}",
                    name=f"Tiêu chí {comp.code}.{j + 1}",
                    order=(i + 1) * 1000 + j + 1,
                    level=2,
                    is_leaf=True,
                    max_points=leaf_max,
                    step=QUARTER if leaf_max >= 1 else None,
                )
                for i, comp in enumerate(components)
                for j in range(per_component[i])
            ],
            batch_size=2000,
        )
        RatingBand.objects.bulk_create(
            [RatingBand(framework=framework, label=label, min_percent=p) for label, p in BANDS]
        )
        return framework, leaves

    def _scores(self, rng: random.Random, assessments, leaves) -> tuple[int, int]:
        """Each score: self-assessed high, appraised a bit lower; 1% not applicable; 6% carry a
        deduction (sometimes more than the maximum, so the points clamp at zero)."""
        now = timezone.now()
        steps = [(leaf, [Decimal(k) * leaf.max_points / 4 for k in range(5)]) for leaf in leaves]
        scores: list[tuple] = []
        deductions: list[tuple[int, Decimal]] = []  # (index of the score, points)
        for a in assessments:
            # Each unit has its own level, so percents spread over ~60-100% as in real rounds.
            skill = rng.uniform(0.55, 1.0)
            for leaf, values in steps:
                r = rng.random()
                not_applicable = r < 0.01
                self_points = values[min(4, int(skill * 4 + rng.random() * 1.6))]
                appraised = values[min(4, int(skill * 4 + rng.random() * 1.2))]
                appraised = min(appraised, self_points)
                deducted = Decimal(0)
                if 0.01 <= r < 0.07:
                    deducted = values[rng.choice((1, 2, 4))] * (2 if r < 0.015 else 1)
                    deductions.append((len(scores), deducted))
                points = (
                    Decimal(0) if not_applicable else max(Decimal(0), appraised - deducted)
                ).quantize(CENT)
                scores.append(
                    (
                        a.pk,
                        leaf.pk,
                        leaf.component_id,
                        leaf.max_points,
                        self_points.quantize(CENT),
                        appraised.quantize(CENT),
                        not_applicable,
                        points,
                    )
                )
        if connection.vendor == "postgresql":
            self._copy(now, scores, deductions)
        else:
            objs = CriterionScore.objects.bulk_create(
                [
                    CriterionScore(
                        assessment_id=s[0],
                        criterion_id=s[1],
                        component_id=s[2],
                        max_points=s[3],
                        self_points=s[4],
                        appraised_points=s[5],
                        not_applicable=s[6],
                        points=s[7],
                    )
                    for s in scores
                ],
                batch_size=2000,
            )
            Deduction.objects.bulk_create(
                [
                    Deduction(score_id=objs[i].pk, points=p, note="Thiếu tài liệu kiểm chứng")
                    for i, p in deductions
                ],
                batch_size=2000,
            )
        return len(scores), len(deductions)

    def _copy(self, now, scores, deductions) -> None:
        """COPY with ids taken from the sequence up front, so deductions can point at their scores."""
        score_table = CriterionScore._meta.db_table
        with connection.cursor() as cursor:
            _skip_foreign_key_triggers(cursor)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "(SELECT coalesce(max(id), 0) FROM " + score_table + ") + %s) - %s",
                [score_table, len(scores), len(scores)],
            )
            first_id = cursor.fetchone()[0] + 1
            stamp = now.isoformat()
            score_cols, score_fixed = _columns(
                CriterionScore,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "assessment_id",
                    "criterion_id",
                    "component_id",
                    "max_points",
                    "self_points",
                    "appraised_points",
                    "not_applicable",
                    "points",
                ],
            )
            buf = io.StringIO()
            for i, s in enumerate(scores):
                buf.write(
                    f"{first_id + i}\t{stamp}\t{stamp}\t{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}"
                    f"\t{s[5]}\t{'t' if s[6] else 'f'}\t{s[7]}{score_fixed}\n"
                )
            _copy_text(cursor, score_table, score_cols, buf)
            ded_cols, ded_fixed = _columns(
                Deduction, ["created_at", "updated_at", "score_id", "points", "note"]
            )
            buf = io.StringIO()
            for i, p in deductions:
                buf.write(
                    f"{stamp}\t{stamp}\t{first_id + i}\t{p.quantize(CENT)}"
                    f"\tThiếu tài liệu kiểm chứng{ded_fixed}\n"
                )
            _copy_text(cursor, Deduction._meta.db_table, ded_cols, buf)


def _skip_foreign_key_triggers(cursor) -> None:
    """The rows are consistent by construction; checking a million foreign keys at commit would
    double the time. Like pg_restore --disable-triggers, this needs a superuser; without one the
    checks simply run."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except Exception:
        pass


def _columns(model, given: list[str]) -> tuple[list[str], str]:
    """The COPY column list: the given ones, then every other non-null column with its Python default
    (so a column another app adds later does not break the generator)."""
    cols = list(given)
    fixed = ""
    for field in model._meta.concrete_fields:
        if field.column in given or field.null or field.primary_key:
            continue
        default = field.get_default()
        if isinstance(default, bool):
            value = "t" if default else "f"
        else:
            value = "" if default is None else str(default)
        cols.append(field.column)
        fixed += "\t" + value.replace("\t", " ").replace("\n", " ")
    return cols, fixed


def _copy_text(cursor, table: str, columns: list[str], buf: io.StringIO) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    data = buf.getvalue()
    chunk = 1 << 20
    with cursor.cursor.copy(sql) as copy:
        for start in range(0, len(data), chunk):
            copy.write(data[start : start + chunk])
