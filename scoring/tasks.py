from celery import shared_task

from .models import Period
from .services import results_recompute


@shared_task(ignore_result=True)
def recompute_period(period_id: int) -> None:
    period = Period.objects.filter(pk=period_id).first()
    if period is not None:
        results_recompute(period=period)


@shared_task(ignore_result=True)
def recompute_open_periods() -> None:
    for period in Period.objects.filter(status=Period.Status.OPEN):
        results_recompute(period=period)
