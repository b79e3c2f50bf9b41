from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.errors import DomainError
from scoring.models import Period


def period_of(year: int) -> Period:
    return get_object_or_404(Period, year=year)


def chosen_period(request: HttpRequest) -> Period | None:
    """The period named by ?period=YEAR, else the latest."""
    year = request.GET.get("period", "")
    if year.isdigit():
        found = Period.objects.filter(year=int(year)).first()
        if found is not None:
            return found
    return Period.objects.order_by("-year").first()


def error_text(exc: DomainError) -> str:
    return " ".join(exc.messages)


def form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
