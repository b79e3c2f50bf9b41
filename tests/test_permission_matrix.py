"""The permission matrix: every URL pattern of the project × every role and an anonymous visitor.

Each named URL needs an entry in MATRIX (admin pages follow admin_expectation, by model); a URL
added without one fails `test_every_url_pattern_has_an_entry`. An entry says, per role:
- for a page (GET): OK (the page), LOGIN (sent to log in) or DENY (403, 404 or sent to log in:
  never data); pages that every role may open but that filter what a unit head sees also name the
  other unit's provisional figure that must not appear for the unit head;
- for an action (POST): OK means the action took effect, DENY that nothing changed (whatever the
  answer: 403, 404, or a redirect with an error message), LOGIN that the visitor was sent to log in
  and nothing changed.
The world is the demo province, seen by the unit head of Huyện An Lạc (own 2024 assessment:
appraised, provisional) against Huyện Bình Sơn (another unit, 2024 provisional, 2023 locked).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.formats import number_format

from indicators.models import Framework
from scoring.models import (
    Assessment,
    AssessmentResult,
    Deduction,
    Evidence,
    Explanation,
    Period,
    RecomputeRun,
    ReopenRequest,
    ResultSnapshot,
)
from scoring.recompute import recompute_now
from scoring.services.rounds import round_plan
from surveys.models import SurveyImport
from targets.models import PlanTask, Target

OK, LOGIN, DENY = "ok", "login", "deny"
ROLES = ("anonymous", "unit_head", "staff", "leadership", "admin")
USERNAMES = {
    "unit_head": "chutich.anlac",
    "staff": "canbo.snv",
    "leadership": "lanhdao",
    "admin": "quantri",
}


def everyone(expect: str = OK) -> dict[str, str]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], expect)}


def only(*roles: str) -> dict[str, str]:
    return {"anonymous": LOGIN, **{r: OK if r in roles else DENY for r in ROLES[1:]}}


PUBLIC = dict.fromkeys(ROLES, OK)
STAFF = only("staff", "admin")
READERS = only("staff", "leadership", "admin")


def _none(world) -> dict:
    return {}


@dataclass
class Case:
    name: str
    expect: dict[str, str]
    kwargs: Callable[[dict], dict] = _none
    method: str = "get"
    data: Callable[[dict], dict] = _none
    query: str = ""
    label: str = ""
    # POST: a value that the action changes (compared before and after the request).
    effect: Callable[[dict], object] | None = None
    # GET pages every role opens: the other unit's provisional figure, never shown to a unit head.
    leak: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def own(w):
    return {"assessment_id": w["own"].pk}


def other(w):
    return {"assessment_id": w["other"].pk}


def other_leaf(w):
    return {"assessment_id": w["other"].pk, "criterion_id": w["leaf"].pk}


def own_leaf(w):
    return {"assessment_id": w["own"].pk, "criterion_id": w["leaf"].pk}


def other_deduction(w):
    return {"assessment_id": w["other"].pk, "deduction_id": w["other_deduction"].pk}


def unanswered_deduction(w):
    return {"assessment_id": w["own"].pk, "deduction_id": w["unanswered"].pk}


def year(w):
    return {"year": 2024}


def state_of(key):
    return lambda w: Assessment.objects.get(pk=w[key].pk).state


def deduction_count(w):
    return Deduction.objects.filter(score__assessment=w["other"]).count()


def pdf_upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("minh-chung.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        "note": "",
    }


def publish_leaving_out_the_unappraised(w):
    pending = Assessment.objects.filter(period=w["period"]).exclude(state="appraised")
    data = {"step": "confirm", "leave_out": [a.pk for a in pending]}
    return data | {f"reason_{a.pk}": "Chưa thẩm định (ma trận quyền)" for a in pending}


def sipas_2024():
    from surveys.models import Survey

    return Survey.objects.filter(year=2024, kind="sipas").first()


def survey_unit(w, key):
    return {"code": sipas_2024().code, "unit_id": w[key].unit_id}


def survey_job(w):
    job, _created = SurveyImport.objects.get_or_create(
        survey=sipas_2024(), filename="ma-tran.csv", defaults={"status": "queued"}
    )
    return {"job_id": job.pk}


def answers_upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "survey": sipas_2024().pk,
        "file": SimpleUploadedFile("phieu.csv", b"ma phieu,ma don vi\nr1,huyen-an-lac\n"),
    }


def target_file(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "Mã đơn vị,Chỉ tiêu,Mục tiêu\nhuyen-an-lac,sipas,90\n".encode()
    return {"file": SimpleUploadedFile("muc-tieu.csv", body, "text/csv")}


DEDUCTION_FORM = {"points": "0,5", "note": "Báo cáo trễ hạn (ma trận quyền)", "reason": ""}
OTHER_PROVISIONAL = "?period=2024&group=khoi-huyen"

MATRIX: list[Case] = [
    # --- log-in and account -------------------------------------------------------------------
    Case("home", everyone()),
    Case("login", PUBLIC),
    Case("logout", dict.fromkeys(ROLES, LOGIN), method="post"),  # back to the log-in page
    Case("password_change", everyone()),
    Case("password_change_done", everyone()),
    Case("password_reset", PUBLIC),
    Case("password_reset_done", PUBLIC),
    Case(
        "password_reset_confirm",
        PUBLIC,  # a forged token only says "this link is not valid"
        kwargs=lambda w: {"uidb64": "MQ", "token": "sai-ma"},
    ),
    Case("password_reset_complete", PUBLIC),
    Case("set_language", PUBLIC, method="post", data=lambda w: {"language": "vi", "next": "/"}),
    Case("health", PUBLIC),  # a load balancer calls it; it holds no data nor secret
    # --- scoring: lists and the sheet ---------------------------------------------------------
    Case("scoring:assessment_list", everyone()),
    Case("scoring:gap_report", READERS),
    Case("scoring:sheet", everyone(), kwargs=own, label="own"),
    Case("scoring:sheet", READERS, kwargs=other, label="other unit"),
    Case("scoring:criterion", everyone(), kwargs=own_leaf, label="own"),
    Case("scoring:criterion", READERS, kwargs=other_leaf, label="other unit"),
    Case(
        "scoring:sheet",
        STAFF,
        kwargs=other,
        method="post",
        label="save other unit",
        data=lambda w: {"version": w["other"].version, f"appraised_points-{w['leaf'].pk}": "0,5"},
        effect=lambda w: Assessment.objects.get(pk=w["other"].pk).version,
    ),
    Case(
        "scoring:transition",
        STAFF,
        kwargs=other,
        method="post",
        label="second round",
        data=lambda w: {"to_state": "submitted", "reason": "Thẩm định lần 2"},
        effect=state_of("other"),
    ),
    Case(
        "scoring:deduction_add",
        STAFF,
        kwargs=other_leaf,
        method="post",
        data=lambda w: DEDUCTION_FORM,
        effect=deduction_count,
    ),
    Case(
        "scoring:deduction_edit",
        STAFF,
        kwargs=other_deduction,
        method="post",
        data=lambda w: DEDUCTION_FORM,
        effect=lambda w: Deduction.objects.get(pk=w["other_deduction"].pk).points,
    ),
    Case(
        "scoring:deduction_delete",
        STAFF,
        kwargs=other_deduction,
        method="post",
        effect=deduction_count,
    ),
    Case(
        "scoring:explanation_add",
        only("unit_head"),
        kwargs=unanswered_deduction,
        method="post",
        label="own deduction",
        data=lambda w: {"text": "Bổ sung: văn bản số 12/BC-UBND"},
        effect=lambda w: Explanation.objects.count(),
    ),
    Case(
        "scoring:explanation_add",
        only(),
        kwargs=other_deduction,
        method="post",
        label="other unit",
        data=lambda w: {"text": "Giải trình hộ đơn vị khác"},
        effect=lambda w: Explanation.objects.count(),
    ),
    Case(
        "scoring:explanation_decide",
        STAFF,
        kwargs=lambda w: {"assessment_id": w["own"].pk, "explanation_id": w["explanation"].pk},
        method="post",
        data=lambda w: {"accept": "1", "note": "Chấp nhận"},
        effect=lambda w: Explanation.objects.get(pk=w["explanation"].pk).status,
    ),
    Case(
        "scoring:evidence_upload",
        STAFF,
        kwargs=other_leaf,
        method="post",
        data=pdf_upload,
        effect=lambda w: Evidence.objects.count(),
    ),
    Case(
        "scoring:evidence_download",
        READERS,
        kwargs=lambda w: {"assessment_id": w["other"].pk, "evidence_id": w["evidence"].pk},
    ),
    Case(
        "scoring:evidence_delete",
        STAFF,
        kwargs=lambda w: {"assessment_id": w["other"].pk, "evidence_id": w["evidence"].pk},
        method="post",
        effect=lambda w: Evidence.objects.count(),
    ),
    Case(
        "scoring:reopen_request",
        STAFF,
        kwargs=lambda w: {"assessment_id": w["other_published"].pk},
        method="post",
        label="other unit",
        data=lambda w: {"reason": "Phát hiện sai sót khi tổng hợp"},
        effect=lambda w: ReopenRequest.objects.count(),
    ),
    Case(
        "scoring:reopen_decide",
        STAFF,
        kwargs=lambda w: {"assessment_id": w["reopen"].assessment_id, "request_id": w["reopen"].pk},
        method="post",
        data=lambda w: {"grant": "0", "reason": "Không có căn cứ"},
        effect=lambda w: ReopenRequest.objects.get(pk=w["reopen"].pk).status,
    ),
    # --- scoring: the period's files, publication and recompute -------------------------------
    Case("scoring:scores_template", STAFF, kwargs=lambda w: {"year": 2024, "fmt": "xlsx"}),
    Case("scoring:results_export", READERS, kwargs=lambda w: {"year": 2024, "fmt": "csv"}),
    Case("scoring:scores_upload", STAFF, kwargs=year),
    Case(
        "scoring:scores_apply",
        only(),  # without a checked file in the session there is nothing to apply, for anyone
        kwargs=year,
        method="post",
        effect=lambda w: Deduction.objects.count(),
    ),
    Case(
        "scoring:scores_job",
        only(),  # a job's progress is seen only by the session that uploaded its file
        kwargs=lambda w: {"year": 2024, "token": "0123abcd"},
    ),
    Case(
        "scoring:deadline_extend",
        STAFF,
        kwargs=own,
        method="post",
        data=lambda w: {"until": "31/12/2099"},
        effect=lambda w: Assessment.objects.get(pk=w["own"].pk).self_deadline_extended_to,
    ),
    Case("scoring:period_publish", STAFF, kwargs=year, label="checklist"),
    # Every role opens the round's progress; a unit head sees only their own unit's queue.
    Case("scoring:round_progress", everyone(), kwargs=year),
    Case(
        "scoring:period_publish",
        STAFF,
        kwargs=year,
        method="post",
        data=publish_leaving_out_the_unappraised,
        effect=lambda w: ResultSnapshot.objects.count(),
    ),
    Case(
        "scoring:snapshot_correct",
        only(),  # nothing published yet in 2024: refused for everyone, changes nothing
        kwargs=year,
        method="post",
        data=lambda w: {"reason": "Đính chính"},
        effect=lambda w: ResultSnapshot.objects.count(),
    ),
    Case("scoring:recompute_status", everyone(), kwargs=year),
    Case(
        "scoring:recompute_request",
        STAFF,
        kwargs=year,
        method="post",
        effect=lambda w: RecomputeRun.objects.count(),
    ),
    # --- scoring: opening a round and moving assessments in bulk ------------------------------
    Case("scoring:round_open", STAFF),
    Case("scoring:round_open", STAFF, query="?year=2025&copy_groups_from=2024", label="preview"),
    Case(
        "scoring:round_open",
        STAFF,
        method="post",
        label="set deadlines",
        data=lambda w: {
            "year": "2024",
            "self_deadline": "29/12/2024",
            "leave_out_kinds": ["commune"],  # staff may leave a kind of unit out of a round
            "token": round_plan(
                year=2024, self_deadline=datetime.date(2024, 12, 29), leave_out_kinds=["commune"]
            ).token,
        },
        effect=lambda w: Period.objects.get(year=2024).self_assessment_deadline,
    ),
    Case(
        "scoring:framework_copy",
        STAFF,
        method="post",
        data=lambda w: {
            "source": w["own"].framework_id,
            "year": "2025",
            "next": reverse("scoring:round_open"),
        },
        effect=lambda w: Framework.objects.count(),
    ),
    Case("scoring:bulk_transition", STAFF, kwargs=year, query="?all=1&to=submitted"),
    Case(
        "scoring:bulk_transition",
        STAFF,
        kwargs=year,
        method="post",
        label="second round",
        data=lambda w: {"a": [w["other"].pk], "to": "submitted", "reason": "Thẩm định lần 2"},
        effect=state_of("other"),
    ),
    # --- reports: every role opens them; unit heads see other units' published figures only ---
    Case("reports:ranking", everyone(), query=OTHER_PROVISIONAL, leak=True),
    Case("reports:heatmap", everyone(), query=OTHER_PROVISIONAL, leak=True),
    Case("reports:deductions", everyone(), query=OTHER_PROVISIONAL),
    Case("reports:comparison", everyone(), query=OTHER_PROVISIONAL, leak=True),
    Case("reports:climb", everyone(), query=OTHER_PROVISIONAL),
    Case(
        "reports:unit",
        everyone(),
        kwargs=lambda w: {"unit_id": w["other"].unit_id},
        query="?period=2024",
        leak=True,
    ),
    Case(
        "reports:unit_pdf",
        everyone(),
        kwargs=lambda w: {"unit_id": w["own"].unit_id},
        query="?period=2024",
    ),
    Case("reports:period_pdf", everyone(), query=OTHER_PROVISIONAL),
    Case(
        "reports:export",
        everyone(),
        kwargs=lambda w: {"table": "ranking", "fmt": "csv"},
        query=OTHER_PROVISIONAL,
        leak=True,
    ),
    Case("reports:api_periods", everyone()),
    Case("reports:api_results", everyone(), query=OTHER_PROVISIONAL, leak=True),
    Case(
        "reports:api_unit_history",
        everyone(),
        kwargs=lambda w: {"unit_id": w["other"].unit_id},
        leak=True,
    ),
    # --- surveys: every role reads them (a unit head: other units once published); staff import
    Case("surveys:overview", everyone()),
    Case("surveys:overview", everyone(), query="?survey=khong-co", label="unknown survey"),
    Case("surveys:unit", everyone(), kwargs=lambda w: survey_unit(w, "own"), label="own"),
    Case("surveys:unit", READERS, kwargs=lambda w: survey_unit(w, "other"), label="other unit"),
    Case(
        "surveys:export",
        everyone(),
        kwargs=lambda w: {"code": sipas_2024().code, "fmt": "xlsx"},
    ),
    Case("surveys:trend", everyone(), query="?kind=sipas"),
    Case("surveys:upload", STAFF),
    Case(
        "surveys:upload",
        STAFF,
        method="post",
        label="upload",
        data=answers_upload,
        effect=lambda w: SurveyImport.objects.count(),
    ),
    Case("surveys:job", STAFF, kwargs=survey_job),
    Case("surveys:job_status", STAFF, kwargs=survey_job),
    Case(
        "surveys:apply",
        only(),  # a file still queued for its check cannot be applied, by anyone
        kwargs=survey_job,
        method="post",
        effect=lambda w: SurveyImport.objects.get(pk=survey_job(w)["job_id"]).status,
    ),
    # --- targets and improvement plans --------------------------------------------------------
    Case("targets:list", everyone(), query="?period=2024", leak=True),
    Case(
        "targets:save",
        STAFF,
        kwargs=year,
        method="post",
        data=lambda w: {"unit": w["own"].unit_id, "metric": "points", "value": "80"},
        effect=lambda w: Target.objects.count(),
    ),
    Case(
        "targets:import",
        STAFF,
        kwargs=year,
        method="post",
        data=target_file,
        effect=lambda w: Target.objects.count(),
    ),
    Case(
        "targets:propose",
        STAFF,
        kwargs=year,
        method="post",
        data=lambda w: {"metric": "rank", "step": "1"},
        effect=lambda w: Target.objects.count(),
    ),
    Case("targets:plan", everyone(), kwargs=year),
    Case(
        "targets:plan_create",
        STAFF,
        kwargs=year,
        method="post",
        data=lambda w: {"deadline": "30/06/2099"},
        effect=lambda w: PlanTask.objects.count(),
    ),
    Case("targets:plan_export", everyone(), kwargs=year),
    Case("targets:task", everyone(), kwargs=lambda w: {"task_id": w["own_task"].pk}, label="own"),
    Case(
        "targets:task",
        READERS,
        kwargs=lambda w: {"task_id": w["other_task"].pk},
        label="other unit",
    ),
    Case(
        "targets:task",
        only("unit_head", "staff", "admin"),
        kwargs=lambda w: {"task_id": w["own_task"].pk},
        method="post",
        label="update own",
        data=lambda w: {"status": "in_progress", "progress_note": "Ma trận quyền", "evidence": ""},
        effect=lambda w: PlanTask.objects.get(pk=w["own_task"].pk).progress_note,
    ),
    Case(
        "targets:task",
        STAFF,
        kwargs=lambda w: {"task_id": w["other_task"].pk},
        method="post",
        label="update other unit",
        data=lambda w: {"status": "in_progress", "progress_note": "Ma trận quyền", "evidence": ""},
        effect=lambda w: PlanTask.objects.get(pk=w["other_task"].pk).progress_note,
    ),
    Case(
        "targets:task_evidence",
        everyone(),
        kwargs=lambda w: {"task_id": w["own_task"].pk},
        label="own",
    ),
    Case(
        "targets:task_evidence",
        READERS,
        kwargs=lambda w: {"task_id": w["other_task"].pk},
        label="other unit",
    ),
    Case(
        "targets:task_close",
        STAFF,
        kwargs=lambda w: {"task_id": w["other_task"].pk},
        method="post",
        effect=lambda w: PlanTask.objects.get(pk=w["other_task"].pk).closed_at,
    ),
    Case("targets:trends", everyone(), query="?group=khoi-huyen"),
    Case("targets:search", everyone(), query="?q=binh son"),
]


# Admin pages, by model: who may list (view) and who may add. Read-only models refuse "add" to all.
STAFF_MODELS = {
    "units": {"rankinggroup", "unit", "groupmembership", "unitkind"},
    "indicators": {"framework", "criterion"},
    "scoring": {
        "period",
        "assessment",
        "criterionscore",
        "deductionreason",
        "deduction",
        "adjustment",
        "statechange",
        "assessmentresult",
        "componentresult",
        "evidence",
        "explanation",
        "reopenrequest",
        "recomputerun",
        "resultsnapshot",
    },
    "surveys": {"survey", "surveyresult"},
    "targets": {"target", "plantask"},
}
ADMIN_ONLY_MODELS = {("auth", "user"), ("auth", "group"), ("units", "unithead")}
SUPERUSER_ONLY_APPS = {"axes"}
READ_ONLY_MODELS = {
    ("scoring", m)
    for m in (
        "evidence",
        "explanation",
        "reopenrequest",
        "recomputerun",
        "resultsnapshot",
        "criterionscore",
        "deduction",
        "statechange",
        "assessmentresult",
        "componentresult",
    )
}


def admin_expectation(app: str, model: str, view: str) -> dict[str, str]:
    anonymous_and_unit = {"anonymous": LOGIN, "unit_head": LOGIN}
    if app in SUPERUSER_ONLY_APPS:  # django-axes' log of log-in attempts: read-only
        return {
            **anonymous_and_unit,
            "staff": DENY,
            "leadership": DENY,
            "admin": DENY if view == "add" else OK,
        }
    if (app, model) in ADMIN_ONLY_MODELS:
        return {**anonymous_and_unit, "staff": DENY, "leadership": DENY, "admin": OK}
    if model not in STAFF_MODELS.get(app, set()):
        raise AssertionError(f"admin model {app}.{model} has no rule in the permission matrix")
    if view == "add":
        if (app, model) in READ_ONLY_MODELS:
            return {**anonymous_and_unit, "staff": DENY, "leadership": DENY, "admin": DENY}
        return {**anonymous_and_unit, "staff": OK, "leadership": DENY, "admin": OK}
    return {**anonymous_and_unit, "staff": OK, "leadership": OK, "admin": OK}


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            yield from _walk(
                p.url_patterns, f"{namespace}:{ns}" if namespace and ns else ns or namespace
            )
        elif isinstance(p, URLPattern):
            yield (f"{namespace}:{p.name}" if namespace else p.name), str(p.pattern)


def all_url_names() -> set[str]:
    return {name for name, _pattern in _walk(get_resolver().url_patterns)}


def test_every_url_pattern_has_an_entry():
    names = all_url_names()
    unnamed = {
        pattern
        for name, pattern in _walk(get_resolver().url_patterns)
        if name is None and not pattern.startswith("^(?P<url>") and "(?P<url>" not in pattern
    }
    # Django's admin catch-all and a few unnamed admin object redirects are covered by ADMIN rules.
    assert not {p for p in unnamed if not p.startswith("<path:object_id>")}, unnamed
    covered = {case.name for case in MATRIX}
    missing = sorted(n for n in names - covered if n and not n.startswith("admin:"))
    assert not missing, f"URL names without an entry in the permission matrix: {missing}"
    stale = sorted(covered - names)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scoring.models import Deduction, DeductionReason
    from scoring.services import deduction_add, evidence_add, explanation_submit, reopen_request
    from targets.services.plans import task_update

    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())
        users = {
            role: get_user_model().objects.get(username=name) for role, name in USERNAMES.items()
        }
        period = Period.objects.get(year=2024)
        own = Assessment.objects.get(unit__code="huyen-an-lac", period=period)
        own_2023 = Assessment.objects.get(unit__code="huyen-an-lac", period__year=2023)
        other = Assessment.objects.get(unit__code="huyen-binh-son", period=period)
        other_published = Assessment.objects.get(unit__code="huyen-binh-son", period__year=2023)
        assert (own.state, other.state, own_2023.state) == ("appraised", "appraised", "locked")
        leaf = own.framework.criteria.filter(is_leaf=True, method="entered").first()
        reason = DeductionReason.objects.first()
        own_deduction = deduction_add(
            assessment=own,
            criterion=leaf,
            points=D("0.25"),
            user=users["staff"],
            reason=reason,
            note="Ma trận quyền",
        )
        other_deduction = deduction_add(
            assessment=other,
            criterion=leaf,
            points=D("0.25"),
            user=users["staff"],
            reason=reason,
            note="Ma trận quyền",
        )
        unanswered = deduction_add(
            assessment=own,
            criterion=own.framework.criteria.filter(is_leaf=True, method="entered")[1],
            points=D("0.25"),
            user=users["staff"],
            reason=reason,
            note="Ma trận quyền: chưa giải trình",
        )
        explanation = explanation_submit(
            deduction=own_deduction, user=users["unit_head"], text="Đơn vị đã gửi báo cáo đúng hạn."
        )
        pdf = SimpleUploadedFile(
            "bao-cao.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf"
        )
        evidence = evidence_add(assessment=other, criterion=leaf, upload=pdf, user=users["staff"])
        reopen = reopen_request(
            assessment=own_2023, user=users["unit_head"], reason="Xin thẩm định lại tiêu chí 3.2"
        )
        recompute_now(period)
        Target.objects.update_or_create(
            period=period, unit=other.unit, metric="percent", defaults={"value": D(50)}
        )
        own_task, other_task = (
            PlanTask.objects.update_or_create(
                period=period,
                unit=a.unit,
                criterion=leaf,
                defaults={
                    "title": "Khắc phục (ma trận quyền)",
                    "points_lost": D("0.5"),
                    "deadline": datetime.date(2099, 6, 30),
                    "status": "not_started",
                },
            )[0]
            for a in (own, other)
        )
        for task in (own_task, other_task):
            upload = SimpleUploadedFile("ke-hoach.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
            task_update(
                task=task,
                user=users["staff"],
                status="in_progress",
                progress_note="",
                evidence="",
                upload=upload,
            )
        w = {
            "period": period,
            "own": own,
            "other": other,
            "other_published": other_published,
            "leaf": leaf,
            "other_deduction": other_deduction,
            "own_deduction": own_deduction,
            "unanswered": unanswered,
            "explanation": explanation,
            "evidence": evidence,
            "reopen": reopen,
            "other_percent": AssessmentResult.objects.get(assessment=other).percent,
            "users": users,
            "own_task": own_task,
            "other_task": other_task,
        }
        assert Deduction.objects.filter(pk=other_deduction.pk).exists()
        yield w
        # Every test of this module runs in a transaction that is rolled back, so the world stays
        # as built; it goes when the module ends, leaving the database empty for the next module.
        call_command("flush", "--noinput", verbosity=0)


def classify(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and (
        location.startswith(reverse("login")) or location.startswith(reverse("admin:login"))
    ):
        return LOGIN
    if response.status_code == 401:  # the JSON API's "log in first"
        return LOGIN
    if response.status_code in (403, 404, 405, 429):
        return DENY
    if response.status_code in (200, 204, 301, 302, 303):
        return OK
    raise AssertionError(f"unexpected status {response.status_code}")


def _request(client, world, case: Case, role: str):
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = reverse(case.name, kwargs=case.kwargs(world)) + case.query
    return getattr(client, case.method)(url, case.data(world))


def _matches(expected: str, got: str) -> bool:
    # A refusal may also be a redirect to log in: either way the person gets no data.
    return got == expected or (expected == DENY and got == LOGIN)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_each_url_answers_each_role_as_the_matrix_says(client, world, case, role):
    expected = case.expect[role]
    before = case.effect(world) if case.effect else None
    response = _request(client, world, case, role)
    got = classify(response)
    if case.effect is None:
        assert _matches(expected, got), (
            f"{case.id} as {role}: expected {expected}, got {got} ({response.status_code})"
        )
    else:
        changed = case.effect(world) != before
        if expected == OK:
            assert got == OK and changed, f"{case.id} as {role}: the action did not take effect"
        else:
            assert not changed, f"{case.id} as {role}: the action took effect but must not"
            assert got in (expected, DENY, OK) if expected == DENY else got == LOGIN
    body = _body(response)  # also consumes and closes a streamed file
    response.close()
    if case.leak and role == "unit_head" and got == OK:
        figure = world["other_percent"]
        for shown in {number_format(figure, 2), f"{figure:.2f}"}:
            assert shown not in body, f"{case.id}: another unit's provisional {shown} leaked"


def _admin_cases():
    from django.contrib import admin

    for model, _model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        for view in ("changelist", "add"):
            yield pytest.param(app, name, view, id=f"admin:{app}_{name}_{view}")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("app", "model", "view"), list(_admin_cases()))
def test_each_admin_page_answers_each_role_by_its_rule(client, world, app, model, view, role):
    expected = admin_expectation(app, model, view)[role]
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(reverse(f"admin:{app}_{model}_{view}"))
    got = classify(response)
    assert _matches(expected, got), (
        f"admin {app}.{model} {view} as {role}: {got} ({response.status_code})"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_object_pages_follow_the_same_rules(client, world, role):
    """The change page of an object of every admin model that has one in the demo."""
    from django.contrib import admin

    if role != "anonymous":
        client.force_login(world["users"][role])
    checked = 0
    for model in admin.site._registry:
        obj = model._default_manager.first()
        if obj is None:
            continue
        app, name = model._meta.app_label, model._meta.model_name
        expected = admin_expectation(app, name, "change")[role]
        response = client.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
        got = classify(response)
        assert _matches(expected, got), f"admin {app}.{name} change as {role}: {got}"
        checked += 1
    assert checked >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in MATRIX if c.leak], ids=lambda c: c.id)
def test_the_leak_check_would_see_the_figure(client, world, case):
    """Staff see the other unit's provisional figure on the same page, so its absence for the unit
    head means it was filtered out, not that the page never shows it."""
    response = _request(client, world, case, "staff")
    body = _body(response)
    figure = world["other_percent"]
    assert number_format(figure, 2) in body or f"{figure:.2f}" in body
