"""Leave room on the pages of the criterion scores (PostgreSQL only) so that a write of a score
is a HOT update: PostgreSQL puts the new version on the same page and touches none of the table's
five indexes (no indexed column — id, assessment, criterion, component — ever changes on an
update). An import, a sheet save or a round rewrites every score of an assessment at once, and an
assessment's scores sit together on a page or two, so the page must hold a new version of each of
its rows: a fill factor of 45 (37 rows of ~108 bytes need ~4 kB; the rest leaves room for a
round-2 value where there was none). On a national file of 200,000 rows this makes the UPDATE
about seven times cheaper (no index entry and a quarter of the WAL per row); the table takes
about twice the disk (~230 MB per 1,000,000 scores instead of ~105 MB).

The fill factor applies to pages written from now on: the scores of a new period get it at once;
existing pages get it when the table is rewritten (`VACUUM FULL scoring_criterionscore`, in a
maintenance window) and meanwhile fall back to ordinary updates."""

from django.db import migrations

TABLE = "scoring_criterionscore"
FILLFACTOR = 45


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0009_score_write_cost")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
