"""Opening a year's round and moving many assessments at once: each a preview (what will be
written, what is refused and why), then a confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.params import positive_int, positive_ints
from core.permissions import Action, can, require
from indicators.models import Framework
from indicators.services import framework_copy_forward
from units.models import GroupMembership, UnitKind

from ..models import Assessment, Period
from ..selectors import lists as reads
from ..services.bulk import (
    BULK_TARGETS,
    TARGET_LABELS,
    bulk_transition_apply,
    bulk_transition_plan,
)
from ..services.rounds import round_open, round_open_summary, round_plan, round_plan_notes
from ..workflow import REASON_REQUIRED, State

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class RoundForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=2000, max_value=2200)
    copy_groups_from = forms.IntegerField(
        label=gettext_lazy("Sao chép khối xếp hạng của năm"),
        min_value=2000,
        max_value=2200,
        required=False,
        help_text=gettext_lazy("Để trống nếu khối của năm đã được nhập."),
    )
    self_deadline = forms.DateField(
        label=capfirst(gettext_lazy("hạn tự đánh giá")), required=False, input_formats=DATE_FORMATS
    )
    appraisal_deadline = forms.DateField(
        label=capfirst(gettext_lazy("hạn thẩm định")), required=False, input_formats=DATE_FORMATS
    )
    leave_out_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Không đánh giá năm nay"),
        choices=UnitKind.objects.choices,  # read from the table when the form is built
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("copy_groups_from") and data.get("copy_groups_from") == data.get("year"):
            self.add_error(
                "copy_groups_from", _("Năm sao chép khối phải khác năm của kỳ đánh giá.")
            )
        return data


def _round_defaults() -> dict:
    latest = Period.objects.order_by("-year").values_list("year", flat=True).first()
    if latest is None:
        latest = GroupMembership.objects.order_by("-year").values_list("year", flat=True).first()
    if latest is None:
        return {}
    year = latest + 1
    has_groups = GroupMembership.objects.filter(year=year).exists()
    return {"year": year, "copy_groups_from": None if has_groups else latest}


@login_required
@require_http_methods(["GET", "POST"])
def round_open_view(request: HttpRequest) -> HttpResponse:
    """GET without a year: the form. GET with one: the form and the preview. POST: open."""
    require(request.user, Action.OPEN_PERIOD)
    data = request.POST if request.method == "POST" else request.GET
    form = RoundForm(data) if "year" in data else RoundForm(initial=_round_defaults())
    plan = None
    if form.is_bound and form.is_valid():
        if request.method == "POST":
            try:
                result = round_open(**form.cleaned_data, user=request.user,
                                    expected_token=request.POST.get("token", ""))  # fmt: skip
            except DomainError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, round_open_summary(result))
                url = reverse("scoring:assessment_list")
                return redirect(f"{url}?{urlencode({'period': result.period.year})}")
        plan = round_plan(**form.cleaned_data)
    return render(
        request,
        "scoring/round_open.html",
        {
            "form": form,
            "plan": plan,
            "notes": round_plan_notes(plan) if plan else [],
            "leave_out": form["leave_out_kinds"].value() or [],
            "may_copy_framework": can(request.user, Action.MANAGE_FRAMEWORKS),
            "here": request.get_full_path(),
            "periods": Period.objects.order_by("-year"),
        },
    )


@login_required
@require_POST
def framework_copy(request: HttpRequest) -> HttpResponse:
    """Copy an earlier framework to the year being opened, then back to the round's preview."""
    require(request.user, Action.MANAGE_FRAMEWORKS)
    back = request.POST.get("next", "")
    if not back.startswith(reverse("scoring:round_open")) or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = reverse("scoring:round_open")
    source_id, year = request.POST.get("source", ""), request.POST.get("year", "")
    source_pk, year = positive_int(source_id, name="source"), positive_int(year, name="year")
    source = Framework.objects.filter(pk=source_pk).first() if source_pk else None
    if source is None or year is None or not 2000 <= year <= 2200:
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect(back)
    try:
        copy = framework_copy_forward(framework=source, year=year)
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Đã sao chép “%(source)s” thành “%(copy)s”.")
            % {"source": source.name, "copy": copy.name},
        )
    return redirect(back)


def _chosen(request: HttpRequest, period: Period, data) -> list[Assessment]:
    """The assessments chosen on the list: ticked (`a`, or `ids` comma-separated: one field, so
    that a long list stays under the request's field limit), or everything its filter shows
    (`all`, with the list's filters `khoi` and `trang_thai`)."""
    if data.get("all"):
        group_id = data.get("khoi") or ""
        state = data.get("trang_thai") or ""
        return list(
            reads.assessments_listed(
                request.user,
                period=period,
                group_id=positive_int(group_id, name="khoi"),
                state=state if state in State.values else "",
            )
        )
    values = [*data.getlist("a"), *data.get("ids", "").split(",")]
    ids = positive_ints(values, name="a")
    return list(
        Assessment.objects.filter(period=period, pk__in=ids)
        .select_related("unit")
        .order_by("unit__kind", "unit__name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulk_transition(request: HttpRequest, year: int) -> HttpResponse:
    """GET: the confirmation page (what will move, what is refused and why). POST: move the
    confirmed assessments, all or none."""
    require(request.user, Action.BULK_TRANSITION)
    period = get_object_or_404(Period, year=year)
    data = request.POST if request.method == "POST" else request.GET
    to_state = data.get("to", "")
    reason = data.get("reason", "").strip()
    chosen = _chosen(request, period, data)
    if request.method == "POST":
        try:
            moved = bulk_transition_apply(
                assessment_ids=[a.pk for a in chosen],
                to_state=to_state,
                user=request.user,
                reason=reason,
            )
        except DomainError as exc:
            for message in exc.messages:
                messages.error(request, message)
            messages.error(request, _("Không bản nào được chuyển; hãy xem lại danh sách."))
            ids = ",".join(str(a.pk) for a in chosen)
            query = urlencode({"ids": ids, "to": to_state, "reason": reason})
            return redirect(f"{reverse('scoring:bulk_transition', args=[year])}?{query}")
        messages.success(
            request,
            _("Đã chuyển %(n)s bản đánh giá sang “%(state)s”.")
            % {"n": len(moved), "state": State(to_state).label},
        )
        return redirect(f"{reverse('scoring:assessment_list')}?{urlencode({'period': year})}")
    plan = bulk_transition_plan(
        assessments=chosen, to_state=to_state, user=request.user, reason=reason
    )
    needs_reason = any(
        (State(r.assessment.state), plan.target) in REASON_REQUIRED for r in plan.refused
    ) or any((State(a.state), plan.target) in REASON_REQUIRED for a in plan.moves)
    return render(
        request,
        "scoring/bulk_confirm.html",
        {
            "period": period,
            "plan": plan,
            "chosen": chosen,
            "chosen_ids": ",".join(str(a.pk) for a in chosen),
            "move_ids": ",".join(str(pk) for pk in plan.ids),
            "filter": {k: data.get(k, "") for k in ("all", "khoi", "trang_thai")},
            "to_state": to_state,
            "reason": reason,
            "needs_reason": needs_reason,
            "targets": [(s.value, TARGET_LABELS[s]) for s in BULK_TARGETS],
        },
    )
