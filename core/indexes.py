"""Index kinds the ORM lacks on every database the project runs on."""

from __future__ import annotations

from django.db import models


class BrinOnPostgres(models.Index):
    """A BRIN index on PostgreSQL (a few pages summarising ranges of the table: nearly free to
    keep up during a bulk load whose rows arrive in the index's order), a B-tree elsewhere (the
    SQLite demo has no BRIN)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)
