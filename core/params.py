"""Whole numbers read from a query string or a form: ids, pages, years.

The one reader behind every `?unit=`, `?page=`, `?khoi=`, `?period=`: only ASCII digits count
("²" and "١" pass str.isdigit() but not int()), and a number larger than any id, page or year
(`?unit=99999999999999999999`) is a bad request, answered 400 with a translated page, never
carried to the database or to a slice. What a missing, negative or non-numeric value means is the
caller's choice (a default, a message on the page, a 400 of the API): `positive_int` returns None.
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _

# PostgreSQL's integer: no id, page, year or version of this application comes near it.
MAX_QUERY_INT = 2_147_483_647


class NumberTooLarge(SuspiciousOperation):
    """A query value too large to be an id, a page or a year: Django answers 400."""


def positive_int(raw, *, name: str = "") -> int | None:
    """`raw` as a whole number ≥ 1, or None when it is empty, negative, zero or not a number.
    Raises NumberTooLarge (→ 400) when it is a number above MAX_QUERY_INT."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    # Compared by length first: int() of a 100,000-digit string is itself slow.
    if len(digits) > len(str(MAX_QUERY_INT)) or int(digits) > MAX_QUERY_INT:
        raise NumberTooLarge(
            _("Giá trị «%(value)s» của «%(name)s» quá lớn.") % {"value": text[:30], "name": name}
        )
    value = int(digits)
    return value if value >= 1 else None


def positive_ints(values, *, name: str = "") -> list[int]:
    """Every whole number ≥ 1 among `values` (others are skipped); a too large one is a 400."""
    found = []
    for raw in values:
        value = positive_int(raw, name=name)
        if value is not None:
            found.append(value)
    return found
