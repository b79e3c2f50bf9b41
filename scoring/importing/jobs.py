"""A big score file is checked and applied by a Celery job, and the upload page polls its progress.

The job's state (stage, percent, the preview's changes and errors, the result) lives in the cache
under the job's token for a day: no table grows. In the demo and the tests Celery runs eagerly, so
the job is done when the upload returns.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from core.errors import DomainError

from .applying import scores_apply
from .checking import check_file
from .common import ScoreImport
from .planning import plan_changes

JOB_SECONDS = 86400
ERRORS_KEPT = 500


def job_key(token: str) -> str:
    return f"score-import-job:{token}"


def job_state(token: str) -> dict | None:
    return cache.get(job_key(token))


def _save(token: str, **values) -> dict:
    state = cache.get(job_key(token)) or {}
    state.update(values)
    cache.set(job_key(token), state, JOB_SECONDS)
    return state


def upload_path(token: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path / token


def job_start(*, token: str, period, round: int, filename: str, apply: bool, user_id=None) -> None:
    """Queue the check (and, with `apply`, the apply) of the file saved under `token`."""
    _save(
        token,
        stage="queued",
        progress=0,
        period=period.year,
        round=round,
        name=filename,
        apply=apply,
        done=False,
    )
    score_import_run.delay(token, period.pk, round, filename, apply, user_id)


@shared_task(ignore_result=True)
def score_import_run(token, period_id, round, filename, apply, user_id=None) -> None:
    from django.contrib.auth import get_user_model

    from ..models import Period

    period = Period.objects.get(pk=period_id)
    data = upload_path(token).read_bytes()
    plan = ScoreImport(period=period, round=round)
    _save(token, stage="checking", progress=10)
    check_file(plan, data, filename)
    _save(token, stage="planning", progress=50)
    plan_changes(plan)
    _save(
        token,
        stage="checked",
        progress=100 if not apply or not plan.ok else 70,
        ok=plan.ok,
        checked_rows=plan.checked_rows,
        change_count=plan.change_count,
        explained=plan.explained,
        changes=[asdict(c) for c in plan.changes],
        errors=[asdict(p) for p in plan.errors[:ERRORS_KEPT]],
        error_count=len(plan.errors),
        done=not apply or not plan.ok,
    )
    if not apply or not plan.ok:
        return
    _save(token, stage="applying", progress=80)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        n = scores_apply(plan=plan, user=user)
    except DomainError as exc:
        _save(token, stage="failed", progress=100, done=True, message=str(exc))
        return
    except Exception:
        _save(
            token,
            stage="failed",
            progress=100,
            done=True,
            message=_("Lỗi khi ghi; không có gì được ghi. Hãy thử lại hoặc báo quản trị."),
        )
        raise
    upload_path(token).unlink(missing_ok=True)
    _save(token, stage="applied", progress=100, done=True, applied=n)
