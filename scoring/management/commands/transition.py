"""python manage.py transition --period 2025 --to submitted [--unit CODE ...] [--group CODE]
[--from-state STATE] [--reason TEXT] [--user USERNAME] [--dry-run] [--strict]

Moves a period's assessments (all, or the named units', or one group's) to a state, each move
checked by the workflow's rules for the user's roles and recorded in the state history with the
user (by default the import account "nhap-lieu"). Refused moves are listed with their reason.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from scoring.models import Assessment, Period
from scoring.services.accounts import command_user
from scoring.services.bulk import BULK_TARGETS, bulk_transition_apply, bulk_transition_plan
from scoring.workflow import State
from units.models import GroupMembership, RankingGroup


class Command(BaseCommand):
    help = (
        "Chuyển trạng thái hàng loạt các bản đánh giá của một kỳ (đang soạn, đã tự đánh giá, đã "
        "gửi thẩm định, đã thẩm định), theo quy trình; liệt kê các bản bị từ chối và lý do."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Năm của kỳ đánh giá.")
        parser.add_argument(
            "--to", required=True, choices=[s.value for s in BULK_TARGETS], help="Trạng thái đích."
        )
        parser.add_argument(
            "--unit", action="append", default=[], metavar="CODE", help="Mã đơn vị (lặp lại được)."
        )
        parser.add_argument("--group", metavar="CODE", help="Chỉ các đơn vị của khối này.")
        parser.add_argument(
            "--from-state",
            choices=State.values,
            help="Chỉ các bản đánh giá đang ở trạng thái này.",
        )
        parser.add_argument("--reason", default="", help="Lý do (bắt buộc khi trả lại).")
        parser.add_argument("--user", help="Tên đăng nhập người thực hiện (mặc định: nhap-lieu).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ liệt kê, không chuyển.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Có bản nào bị từ chối thì không chuyển bản nào.",
        )

    def handle(self, *args, **opts):
        period = Period.objects.filter(year=opts["period"]).first()
        if period is None:
            raise CommandError(f"Không có kỳ đánh giá năm {opts['period']}.")
        try:
            user = command_user(opts["user"])
        except DomainError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        qs = Assessment.objects.filter(period=period).select_related("unit").order_by("unit__code")
        if opts["unit"]:
            found = dict(qs.filter(unit__code__in=opts["unit"]).values_list("unit__code", "pk"))
            missing = [c for c in opts["unit"] if c not in found]
            if missing:
                raise CommandError(
                    f"Không có bản đánh giá năm {period.year} của đơn vị: {', '.join(missing)}."
                )
            qs = qs.filter(pk__in=found.values())
        if opts["group"]:
            group = RankingGroup.objects.filter(code__iexact=opts["group"]).first()
            if group is None:
                raise CommandError(f"Không có khối mã “{opts['group']}”.")
            qs = qs.filter(
                unit__in=GroupMembership.objects.filter(year=period.year, group=group).values(
                    "unit_id"
                )
            )
        if opts["from_state"]:
            qs = qs.filter(state=opts["from_state"])
        plan = bulk_transition_plan(
            assessments=qs, to_state=opts["to"], user=user, reason=opts["reason"]
        )
        if plan.errors:
            raise CommandError(" ".join(plan.errors))
        for r in plan.refused:
            self.stderr.write(f"Từ chối {r.assessment.unit.code}: {' '.join(r.reasons)}")
        label = plan.target.label
        summary = (
            f"{len(plan.moves)} bản sẽ chuyển sang “{label}”, {len(plan.refused)} bị từ chối, "
            f"{len(plan.unchanged)} đã ở trạng thái này."
        )
        if opts["dry_run"]:
            for a in plan.moves:
                self.stdout.write(f"Sẽ chuyển {a.unit.code}: {State(a.state).label} → {label}")
            self.stdout.write(summary + " Chưa ghi gì (--dry-run).")
            return
        if opts["strict"] and plan.refused:
            raise CommandError(f"{summary} --strict: không chuyển bản nào.")
        if plan.moves:
            try:
                bulk_transition_apply(
                    assessment_ids=plan.ids, to_state=plan.target, user=user, reason=plan.reason
                )
            except DomainError as exc:
                for message in exc.messages:
                    self.stderr.write(message)
                raise CommandError(
                    "Có thay đổi trong lúc chuyển; không bản nào được chuyển."
                ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã chuyển {len(plan.moves)} bản đánh giá sang “{label}” (người thực hiện: "
                f"{user.username}); {len(plan.refused)} bị từ chối, {len(plan.unchanged)} đã ở "
                "trạng thái này."
            )
        )
