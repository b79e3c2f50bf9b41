"""Stored criterion points under the rules of indicators.computation as they now stand.

- A criterion not applicable (flagged on the score, or by its framework method) stores 0 points.
- An unscored criterion (nothing typed in any round, nothing measured, no deduction ever recorded)
  is worth 0: rows of entered and yes/no criteria used to store their maximum.

Only derived points change: the typed values stay as they are. Rerunnable (it only touches rows
that still disagree); the reverse leaves the points as they are. The stored results follow at the
next recompute (`manage.py recompute --period YEAR`, or the nightly run).
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q


def forwards(apps, schema_editor):
    CriterionScore = apps.get_model("scoring", "CriterionScore")
    Deduction = apps.get_model("scoring", "Deduction")
    CriterionScore.objects.filter(
        Q(not_applicable=True) | Q(criterion__method="not_applicable")
    ).exclude(points=0).update(points=0)
    CriterionScore.objects.filter(
        criterion__method__in=("entered", "yes_no"),
        self_points__isnull=True,
        appraised_points__isnull=True,
        final_points__isnull=True,
    ).exclude(points=0).exclude(Exists(Deduction.objects.filter(score_id=OuterRef("pk")))).update(
        points=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0007_deadline_extension_not_assessed"),
        ("indicators", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
