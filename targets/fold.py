"""Text folded for matching: lower case, no diacritics, đ → d ("Sở Tư pháp" → "so tu phap"). Pure."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", str(text or "").lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("đ", "d").replace("-", " ").split())
