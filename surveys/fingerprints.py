"""Fingerprints of a unit's answer sheets: the sum of a 64-bit hash of each sheet (its respondent's
id, its date and its answers), so that the order of the rows does not count. An import compares
them with the stored ones (SurveyUnitLoad.fingerprint) and rewrites only the units that changed;
the same answers imported again write nothing. Vectorised: no Python object per sheet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from . import respondents
from .sheets import ids_of


def _date_words(dates: pa.Array) -> np.ndarray:
    """A hash of each row's date text (ISO or "" for none): pandas' hash of each distinct text,
    taken per row through the dictionary's indices."""
    if not pa.types.is_dictionary(dates.type):
        dates = dates.dictionary_encode()
    values = np.asarray(dates.dictionary.to_pylist() or [""], dtype=object)
    words = pd.util.hash_array(values, categorize=False)
    return words[dates.indices.to_numpy(zero_copy_only=False)]


def row_hashes(id_hashes: np.ndarray, dates: pa.Array, matrix: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each sheet: its id's (`id_hashes`, from surveys.respondents.hashes), mixed
    with its date's and with its answers' bytes taken 8 at a time."""
    n, q = matrix.shape
    h = id_hashes.copy()
    respondents.mix(h, _date_words(dates))
    padded = np.zeros((n, -(-q // 8) * 8), dtype=np.uint8)
    padded[:, :q] = matrix
    words = padded.view(np.uint64)
    for k in range(words.shape[1]):
        respondents.mix(h, words[:, k])
    return h


def fingerprint(hashes: np.ndarray) -> str:
    """The fingerprint of one unit's rows from their hashes (as SurveyUnitLoad stores it)."""
    high = int((hashes >> np.uint64(32)).astype(np.int64).sum())
    low = int((hashes & np.uint64(0xFFFFFFFF)).astype(np.int64).sum())
    return f"{high:x}-{low:x}"


def by_unit(unit_ids: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, dict]:
    """(the rows ordered by unit, stably: the file's order within a unit; unit id -> (sheets,
    fingerprint))."""
    keys = unit_ids
    if len(keys) and keys.max() - keys.min() < 2**16:  # as uint16: a radix sort, 10 × faster
        keys = (keys - keys.min()).astype(np.uint16)
    order = np.argsort(keys, kind="stable")
    if not len(order):
        return order, {}
    units, starts, counts = np.unique(unit_ids[order], return_index=True, return_counts=True)
    ordered = hashes[order]
    high = np.add.reduceat((ordered >> np.uint64(32)).astype(np.int64), starts)
    low = np.add.reduceat((ordered & np.uint64(0xFFFFFFFF)).astype(np.int64), starts)
    return order, {
        int(u): (int(c), f"{int(h):x}-{int(lo):x}")
        for u, c, h, lo in zip(units, counts, high, low, strict=True)
    }


def block_fingerprint(sheets: int, ids_text: str, dates_text: str, answers: str) -> str:
    """The fingerprint of a stored block (SurveyUnitAnswers' columns), as an import of the same
    sheets computes it."""
    if not sheets:
        return fingerprint(np.zeros(0, dtype=np.uint64))
    chars = np.frombuffer(answers.encode("ascii"), dtype=np.uint8).reshape(sheets, -1)
    matrix = np.where(chars == ord("."), 0, chars - ord("0")).astype(np.int8)
    ids = pa.array(ids_of(ids_text), pa.string())
    dates = pa.array(dates_text.split("\n"), pa.string())
    return fingerprint(row_hashes(respondents.hashes(ids), dates, matrix))
