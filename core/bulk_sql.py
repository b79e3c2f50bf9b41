"""Set-based writes for the imports: the checked rows go into a temporary table, then a few
UPDATE … FROM and INSERT … SELECT statements write them, each one also writing the
django-simple-history rows of what it changed. No Python per row once the rows are loaded.

On PostgreSQL the rows are loaded with COPY and a write and its history are one statement
(`WITH m AS (UPDATE … RETURNING …) INSERT INTO <history> SELECT … FROM m`): the history is taken
from the rows as written, without looking them up again. Elsewhere (SQLite in the demo) the rows
are inserted with executemany and the history is a second statement that finds the rows again.

Use inside a transaction; a temporary table lives until `drop` or the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def postgresql() -> bool:
    return connection.vendor == "postgresql"


def load(
    cur,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence],
    keys: Sequence[str] = (),
) -> None:
    """Create the temporary table `table` with `columns` ((name, SQL type) pairs) and put the rows
    in it, then give the planner its statistics (autovacuum never sees a temporary table: without
    them the planner guesses its size from its pages and knows nothing of its keys, and hashes the
    whole big table instead of looking up the rows). `keys` names the columns the statements join
    or filter on: only those are analysed (all of them by default)."""
    names = ", ".join(name for name, _type in columns)
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TEMPORARY TABLE {table} ({', '.join(f'{n} {t}' for n, t in columns)})")
    if postgresql():
        with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"ANALYZE {table} ({', '.join(keys)})" if keys else f"ANALYZE {table}")
    else:
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def sort_in_memory(cur) -> None:
    """Let this transaction sort and hash a loaded table in memory (a province's rows take a few
    MB; the default 4 MB sends them to disk). PostgreSQL only; ends with the transaction."""
    if postgresql():
        cur.execute("SET LOCAL work_mem = '32MB'")


def drop(cur, *tables: str) -> None:
    for table in tables:
        cur.execute(f"DROP TABLE IF EXISTS {table}")


def history_columns(model) -> list[str]:
    """The columns a history row copies from its object (every column but the history's own)."""
    history = model.history.model
    return [f.column for f in history._meta.concrete_fields if f.name not in HISTORY_FIELDS]


def write_with_history(
    cur,
    *,
    model,
    statement: str,
    params: Sequence,
    kind: str,
    history: Sequence,
    written: str,
    written_params: Sequence = (),
) -> int:
    """Run `statement`, an UPDATE or INSERT of `model`'s table without a RETURNING clause, and add
    one history row of type `kind` ("+" created, "~" changed) for every row it wrote. `history` is
    (date, change reason, user id). `written` is a FROM clause whose rows, aliased `m`, are the rows
    the statement wrote, read after it (used where a write cannot feed an INSERT directly).
    Returns the number of rows written."""
    table = model._meta.db_table
    history_table = model.history.model._meta.db_table
    columns = history_columns(model)
    insert = (
        f"INSERT INTO {history_table} ({', '.join(columns)}, history_date, "
        f"history_change_reason, history_type, history_user_id) "
        f"SELECT {', '.join(f'm.{c}' for c in columns)}, %s, %s, %s, %s FROM "
    )
    date, reason, user_id = history
    if postgresql():
        cur.execute(
            f"WITH m AS ({statement} RETURNING {table}.*) {insert} m",
            [*params, date, reason, kind, user_id],
        )
        return cur.rowcount
    cur.execute(statement, list(params))
    count = cur.rowcount
    cur.execute(f"{insert} {written}", [date, reason, kind, user_id, *written_params])
    return count
