"""Reads about units that are not plain queries."""

from __future__ import annotations

from django.apps import apps

from .models import UnitKindField


def unit_kind_used(*, code: str) -> bool:
    """Whether any stored row refers to the unit kind `code`: units, ranking groups, frameworks,
    any model with a UnitKindField (found through the app registry, so that this app needs to know
    none of the apps above it)."""
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if (
                isinstance(f, UnitKindField)
                and model._default_manager.filter(**{f.name: code}).exists()
            ):
                return True
    return False
