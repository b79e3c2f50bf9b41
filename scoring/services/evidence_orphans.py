"""The nightly clean-up of evidence files that no row names. Kept apart from the evidence writes so
that the Celery task importing it does not reach the recompute trigger."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Evidence


@transaction.atomic
def evidence_orphans_remove(*, min_age: timedelta = timedelta(hours=1), dry_run: bool = False):
    """Files under evidence/ that no Evidence row names and that are older than `min_age`: removed
    (unless `dry_run`), and returned. An upload whose transaction rolled back after the file was
    written leaves such a file (the database has no rollback hook); `min_age` spares the uploads
    of transactions still running. Run nightly by Celery beat and as `manage.py evidence_orphans`.
    """
    storage = Evidence._meta.get_field("file").storage
    known = set(Evidence.objects.values_list("file", flat=True))
    cutoff = timezone.now() - min_age
    found = []
    try:
        folders, _files = storage.listdir("evidence")
    except FileNotFoundError:
        return found
    for folder in sorted(folders):
        for name in sorted(storage.listdir(f"evidence/{folder}")[1]):
            path = f"evidence/{folder}/{name}"
            if path in known or storage.get_modified_time(path) > cutoff:
                continue
            found.append(path)
            if not dry_run:
                storage.delete(path)
    return found
