"""Stage three of the score import: write a checked plan, set-based.

The plan's operations go into temporary tables (PostgreSQL COPY; plain inserts on SQLite for the
demo) and are applied with a few UPDATE … FROM and INSERT … SELECT statements: scores updated and
created, deductions edited, withdrawn (never deleted, so their explanations stay attached) or added,
the history rows of every touched score and deduction written the same way with the user and the
change reason, the assessments' versions bumped, and one recompute queued for the period.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import Assessment, CriterionScore, Deduction
from ..recompute import recompute_on_commit
from ..workflow import APPRAISAL_EDITABLE
from .common import ROUND_FIELD, ScoreImport

IMPORT_USERNAME = "nhap-lieu"
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def import_account():
    """The named account command-line imports are recorded under: not a superuser, no password."""
    user, created = get_user_model().objects.get_or_create(
        username=IMPORT_USERNAME,
        defaults={"first_name": "Nhập liệu", "is_staff": False, "is_superuser": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _load(cur, table: str, columns: list[str], rows) -> None:
    """Put rows into a temporary table: COPY on PostgreSQL, executemany elsewhere."""
    if connection.vendor == "postgresql":
        with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows))


def _temp(cur, name: str, columns: str) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    cur.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")


def _analyze(cur, name: str) -> None:
    """Statistics for a loaded temporary table (autovacuum never sees one): without them the
    planner takes it for a few rows and joins it by nested loops."""
    if connection.vendor == "postgresql":
        cur.execute(f"ANALYZE {name}")


def _history(cur, model, source: str, kind: str, params: list) -> None:
    # params: the history date, the change reason, the user id, then the source's own parameters.
    """INSERT INTO the model's historical table SELECT the current rows given by `source` (a FROM
    clause whose rows are aliased `m`): one statement for any number of rows."""
    history = model.history.model
    columns = [f.column for f in history._meta.concrete_fields if f.name not in HISTORY_FIELDS]
    cols = ", ".join(columns)
    picked = ", ".join(f"m.{c}" for c in columns)
    cur.execute(
        f"INSERT INTO {history._meta.db_table} ({cols}, history_date, history_change_reason, "
        f"history_type, history_user_id) SELECT {picked}, %s, %s, %s, %s FROM {source}",
        [params[0], params[1], kind, params[2], *params[3:]],
    )


def scores_apply(*, plan: ScoreImport, user=None) -> int:
    """Write a checked plan, all of it or nothing; returns the number of criterion scores
    changed. Refused (DomainError) when the plan has errors or an assessment or deduction moved
    since the check."""
    if not plan.ok:
        raise DomainError([str(p) for p in plan.errors])
    if not plan.score_ops:
        return 0
    user = user or import_account()
    point_field = ROUND_FIELD[plan.round]
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    reason_text = _("Nhập từ tệp")
    score_t = CriterionScore._meta.db_table
    ded_t = Deduction._meta.db_table
    assess_t = Assessment._meta.db_table
    with transaction.atomic():
        # Lock the assessments, then check their states again: they may have moved since the check.
        moved = (
            Assessment.objects.select_for_update()
            .filter(pk__in=plan.assessment_ids)
            .exclude(state__in=[s.value for s in APPRAISAL_EDITABLE])
            .select_related("unit")
            .first()
        )
        if moved is not None:
            raise DomainError(
                _("Bản đánh giá của %(unit)s đã chuyển trạng thái; hãy kiểm tra lại tệp.")
                % {"unit": moved.unit.name}
            )
        with connection.cursor() as cur:
            _temp(
                cur,
                "import_score",
                "score_id bigint, assessment_id bigint, criterion_id bigint, "
                "component_id bigint, max_points numeric, set_points boolean, value numeric, "
                "not_applicable boolean, points numeric",
            )
            _load(
                cur,
                "import_score",
                [
                    "score_id",
                    "assessment_id",
                    "criterion_id",
                    "component_id",
                    "max_points",
                    "set_points",
                    "value",
                    "not_applicable",
                    "points",
                ],
                plan.score_ops,
            )
            _analyze(cur, "import_score")
            cur.execute(
                f"UPDATE {score_t} SET "
                f"{point_field} = CASE WHEN t.set_points THEN t.value ELSE {score_t}.{point_field} END, "
                f"not_applicable = t.not_applicable, points = t.points, updated_at = %s "
                f"FROM import_score t WHERE {score_t}.id = t.score_id",
                [stamp],
            )
            cur.execute(
                f"INSERT INTO {score_t} (assessment_id, criterion_id, component_id, max_points, "
                f"{point_field}, not_applicable, points, comment, self_explanation, created_at, "
                f"updated_at) SELECT assessment_id, criterion_id, component_id, max_points, "
                f"CASE WHEN set_points THEN value END, not_applicable, points, '', '', %s, %s "
                f"FROM import_score WHERE score_id IS NULL",
                [stamp, stamp],
            )
            _history(
                cur,
                CriterionScore,
                f"{score_t} m JOIN import_score t ON m.id = t.score_id",
                "~",
                [stamp, reason_text, user.pk],
            )
            _history(
                cur,
                CriterionScore,
                f"{score_t} m JOIN import_score t ON t.score_id IS NULL "
                f"AND m.assessment_id = t.assessment_id AND m.criterion_id = t.criterion_id",
                "+",
                [stamp, reason_text, user.pk],
            )
            _apply_deductions(cur, plan, user, stamp, reason_text, score_t, ded_t)
            cur.execute(
                f"UPDATE {assess_t} SET version = version + 1, updated_at = %s "
                f"WHERE id IN (SELECT DISTINCT assessment_id FROM import_score)",
                [stamp],
            )
            cur.execute("DROP TABLE IF EXISTS import_score")
        unit_ids = list(
            Assessment.objects.filter(pk__in=plan.assessment_ids).values_list("unit_id", flat=True)
        )
        recompute_on_commit(plan.period.pk, unit_ids)
    return len(plan.score_ops)


def _apply_deductions(cur, plan, user, stamp, reason_text, score_t, ded_t) -> None:
    if not (plan.deduction_edits or plan.deduction_withdrawals or plan.deduction_adds):
        return
    _temp(
        cur,
        "import_deduction",
        "action char(1), deduction_id bigint, assessment_id bigint, criterion_id bigint, "
        "points numeric, reason_id bigint, note text",
    )
    cols = [
        "action",
        "deduction_id",
        "assessment_id",
        "criterion_id",
        "points",
        "reason_id",
        "note",
    ]
    _load(
        cur,
        "import_deduction",
        cols,
        [("e", pk, None, None, pts, rid, note) for pk, pts, rid, note in plan.deduction_edits]
        + [("w", pk, None, None, None, None, None) for pk in plan.deduction_withdrawals]
        + [("a", None, a, c, pts, rid, note) for a, c, pts, rid, note in plan.deduction_adds],
    )
    _analyze(cur, "import_deduction")
    expected = len(plan.deduction_edits) + len(plan.deduction_withdrawals)
    cur.execute(
        f"UPDATE {ded_t} SET points = t.points, reason_id = t.reason_id, note = t.note, "
        f"updated_at = %s FROM import_deduction t WHERE t.action = 'e' "
        f"AND {ded_t}.id = t.deduction_id AND {ded_t}.withdrawn_at IS NULL",
        [stamp],
    )
    done = cur.rowcount
    cur.execute(
        f"UPDATE {ded_t} SET withdrawn_at = %s, withdrawn_by_id = %s, updated_at = %s "
        f"FROM import_deduction t WHERE t.action = 'w' "
        f"AND {ded_t}.id = t.deduction_id AND {ded_t}.withdrawn_at IS NULL",
        [stamp, user.pk, stamp],
    )
    if done + cur.rowcount != expected:
        raise DomainError(_("Điểm bị trừ đã được sửa từ khi kiểm tra tệp; hãy kiểm tra lại tệp."))
    _history(
        cur,
        Deduction,
        f"{ded_t} m JOIN import_deduction t ON m.id = t.deduction_id AND t.action IN ('e', 'w')",
        "~",
        [stamp, reason_text, user.pk],
    )
    if plan.deduction_adds:
        cur.execute(
            f"INSERT INTO {ded_t} (score_id, points, reason_id, note, created_by_id, created_at, "
            f"updated_at) SELECT s.id, t.points, t.reason_id, t.note, %s, %s, %s "
            f"FROM import_deduction t JOIN {score_t} s ON s.assessment_id = t.assessment_id "
            f"AND s.criterion_id = t.criterion_id WHERE t.action = 'a'",
            [user.pk, stamp, stamp],
        )
        _history(
            cur,
            Deduction,
            f"{ded_t} m JOIN import_deduction t ON t.action = 'a' JOIN {score_t} s "
            f"ON s.assessment_id = t.assessment_id AND s.criterion_id = t.criterion_id "
            f"AND m.score_id = s.id AND m.created_at = %s AND m.created_by_id = %s",
            "+",
            [stamp, reason_text, user.pk, stamp, user.pk],
        )
    cur.execute("DROP TABLE IF EXISTS import_deduction")
