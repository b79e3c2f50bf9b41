"""Units by name or code, diacritics optional ("so tu phap" finds "Sở Tư pháp").

Folded in Python (targets.fold) rather than in SQL: PostgreSQL's unaccent is an extension the
SQLite demo lacks. The folded names of every unit (≤ 10,000) are cached under the units' count and
latest change, so a search costs one small query and a scan of a list in memory.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Max

from units.models import Unit

from ..fold import fold

LIMIT = 20


def _index() -> list[tuple[int, str, str, str]]:
    stamp = Unit.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    key = f"targets:unit-search:{stamp['n']}:{stamp['last'].isoformat() if stamp['last'] else ''}"
    found = cache.get(key)
    if found is None:
        found = [
            (pk, code, name, f"{fold(name)} {fold(code)}")
            for pk, code, name in Unit.objects.values_list("pk", "code", "name")
        ]
        cache.set(key, found, 3600)
    return found


def units_search(query: str, *, limit: int = LIMIT) -> list[tuple[int, str, str]]:
    """(id, code, name) of the units whose name or code holds every word of the query, names
    that start with it first."""
    words = fold(query).split()
    if not words:
        return []
    whole = " ".join(words)
    hits = [
        (not key.startswith(whole), name, pk, code)
        for pk, code, name, key in _index()
        if all(w in key for w in words)
    ]
    hits.sort()
    return [(pk, code, name) for _s, name, pk, code in hits[:limit]]
