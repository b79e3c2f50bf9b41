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

from core import bulk_sql
from core.errors import DomainError

from ..models import Assessment, CriterionScore, Deduction
from ..recompute import recompute_on_commit
from ..workflow import APPRAISAL_EDITABLE
from .common import ROUND_FIELD, ScoreImport

IMPORT_USERNAME = "nhap-lieu"
SCORE_COLUMNS = [
    ("score_id", "bigint"),
    ("assessment_id", "bigint"),
    ("criterion_id", "bigint"),
    ("component_id", "bigint"),
    ("max_points", "numeric"),
    ("set_points", "boolean"),
    ("value", "numeric"),
    ("not_applicable", "boolean"),
    ("points", "numeric"),
]
DEDUCTION_COLUMNS = [
    ("action", "char(1)"),
    ("deduction_id", "bigint"),
    ("score_id", "bigint"),
    ("assessment_id", "bigint"),
    ("criterion_id", "bigint"),
    ("points", "numeric"),
    ("reason_id", "bigint"),
    ("note", "text"),
]


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
        editable = {s.value for s in APPRAISAL_EDITABLE}
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .filter(pk__in=plan.assessment_ids)
            .order_by("pk")
            .values_list("state", "unit__name")
        )
        moved = next((name for state, name in locked if state not in editable), None)
        if moved is not None:
            raise DomainError(
                _("Bản đánh giá của %(unit)s đã chuyển trạng thái; hãy kiểm tra lại tệp.")
                % {"unit": moved}
            )
        history = (stamp, reason_text, user.pk)
        with connection.cursor() as cur:
            bulk_sql.sort_in_memory(cur)
            bulk_sql.load(
                cur,
                "import_score",
                SCORE_COLUMNS,
                plan.score_ops,
                keys=("score_id", "assessment_id"),
            )
            bulk_sql.write_with_history(
                cur,
                model=CriterionScore,
                statement=f"UPDATE {score_t} SET {point_field} = CASE WHEN t.set_points "
                f"THEN t.value ELSE {score_t}.{point_field} END, not_applicable = t.not_applicable, "
                f"points = t.points, updated_at = %s FROM import_score t "
                f"WHERE {score_t}.id = t.score_id",
                params=[stamp],
                kind="~",
                history=history,
                written=f"{score_t} m JOIN import_score t ON m.id = t.score_id",
            )
            if any(op[0] is None for op in plan.score_ops):
                bulk_sql.write_with_history(
                    cur,
                    model=CriterionScore,
                    statement=f"INSERT INTO {score_t} (assessment_id, criterion_id, component_id, "
                    f"max_points, {point_field}, not_applicable, points, comment, self_explanation, "
                    f"created_at, updated_at) SELECT assessment_id, criterion_id, component_id, "
                    f"max_points, CASE WHEN set_points THEN value END, not_applicable, points, '', "
                    f"'', %s, %s FROM import_score WHERE score_id IS NULL",
                    params=[stamp, stamp],
                    kind="+",
                    history=history,
                    written=f"{score_t} m JOIN import_score t ON t.score_id IS NULL "
                    f"AND m.assessment_id = t.assessment_id AND m.criterion_id = t.criterion_id",
                )
            _apply_deductions(cur, plan, user, history, score_t, ded_t)
            cur.execute(
                f"UPDATE {assess_t} SET version = version + 1, updated_at = %s "
                f"WHERE id IN (SELECT DISTINCT assessment_id FROM import_score)",
                [stamp],
            )
            bulk_sql.drop(cur, "import_score", "import_deduction")
        unit_ids = list(
            Assessment.objects.filter(pk__in=plan.assessment_ids).values_list("unit_id", flat=True)
        )
        recompute_on_commit(plan.period.pk, unit_ids)
    return len(plan.score_ops)


def _apply_deductions(cur, plan, user, history, score_t, ded_t) -> None:
    if not (plan.deduction_edits or plan.deduction_withdrawals or plan.deduction_adds):
        return
    stamp = history[0]
    bulk_sql.load(
        cur,
        "import_deduction",
        DEDUCTION_COLUMNS,
        [("e", pk, None, None, None, pts, rid, note) for pk, pts, rid, note in plan.deduction_edits]
        + [("w", pk, None, None, None, None, None, None) for pk in plan.deduction_withdrawals]
        + [("a", None, *add) for add in plan.deduction_adds],
        keys=("action", "deduction_id", "score_id"),
    )
    # Edited and withdrawn in place, never deleted: an explanation stays attached to its deduction.
    done = bulk_sql.write_with_history(
        cur,
        model=Deduction,
        statement=f"UPDATE {ded_t} SET points = t.points, reason_id = t.reason_id, "
        f"note = t.note, updated_at = %s FROM import_deduction t WHERE t.action = 'e' "
        f"AND {ded_t}.id = t.deduction_id AND {ded_t}.withdrawn_at IS NULL",
        params=[stamp],
        kind="~",
        history=history,
        written=f"{ded_t} m JOIN import_deduction t ON m.id = t.deduction_id AND t.action = 'e'",
    )
    done += bulk_sql.write_with_history(
        cur,
        model=Deduction,
        statement=f"UPDATE {ded_t} SET withdrawn_at = %s, withdrawn_by_id = %s, updated_at = %s "
        f"FROM import_deduction t WHERE t.action = 'w' "
        f"AND {ded_t}.id = t.deduction_id AND {ded_t}.withdrawn_at IS NULL",
        params=[stamp, user.pk, stamp],
        kind="~",
        history=history,
        written=f"{ded_t} m JOIN import_deduction t ON m.id = t.deduction_id AND t.action = 'w'",
    )
    if done != len(plan.deduction_edits) + len(plan.deduction_withdrawals):
        raise DomainError(_("Điểm bị trừ đã được sửa từ khi kiểm tra tệp; hãy kiểm tra lại tệp."))
    if plan.deduction_adds:
        # The score is known but for a score this import creates: only those are looked up.
        columns = "t.points, t.reason_id, t.note, %s, %s, %s FROM import_deduction t"
        bulk_sql.write_with_history(
            cur,
            model=Deduction,
            statement=f"INSERT INTO {ded_t} (score_id, points, reason_id, note, created_by_id, "
            f"created_at, updated_at) SELECT t.score_id, {columns} WHERE t.action = 'a' "
            f"AND t.score_id IS NOT NULL UNION ALL SELECT s.id, {columns} JOIN {score_t} s "
            f"ON s.assessment_id = t.assessment_id AND s.criterion_id = t.criterion_id "
            f"WHERE t.action = 'a' AND t.score_id IS NULL",
            params=[user.pk, stamp, stamp, user.pk, stamp, stamp],
            kind="+",
            history=history,
            written=f"{ded_t} m JOIN import_deduction t ON t.action = 'a' JOIN {score_t} s "
            f"ON s.assessment_id = t.assessment_id AND s.criterion_id = t.criterion_id "
            f"AND m.score_id = s.id AND m.created_at = %s AND m.created_by_id = %s",
            written_params=[stamp, user.pk],
        )
