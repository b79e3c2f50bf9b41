"""The respondents' ids of an answers file as one Arrow string array, never a million Python strings:
trimmed, checked for length and repeats, hashed for the units' fingerprints and joined into the
stored blocks by Arrow's kernels and numpy on the array's buffers. A Python string is made only
for an id named in an error, or when an id needs what only Python does exactly (strip).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Every character Python's str.strip() takes off (str.isspace): Arrow's own trim knows another set.
_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACES) + "]"
_EDGE_SPACE = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$"
_ASCII_SPACES = [c.encode() for c in _SPACES if c.isascii()]
HASH_ROWS = 1 << 17  # ids hashed a block of rows at a time: bounded memory for long ids


def as_ids(values) -> pa.StringArray:
    """One string array from a column of ids: an Arrow array or chunked array, a pandas Series
    (Arrow-backed or of objects; a missing cell is "")."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.ArrowDtype):
            values = values.array.__arrow_array__()
        else:
            values = pa.array(values.fillna("").astype(str).to_numpy(dtype=object), pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values.fill_null("") if values.null_count else values


def stripped(ids: pa.StringArray) -> pa.StringArray:
    """The ids as Python's str.strip() leaves them: only the ids that start or end with a space
    are stripped in Python. Ids of ASCII letters, digits and punctuation (the common case) are
    seen to need none from their bytes alone."""
    offsets, data = _buffers(ids)
    raw = data[offsets[0] : offsets[-1]].tobytes() if len(ids) else b""
    if raw.isascii() and not any(c in raw for c in _ASCII_SPACES):
        return ids
    edged = pc.match_substring_regex(ids, _EDGE_SPACE).to_numpy(zero_copy_only=False)
    if not edged.any():
        return ids
    where = np.flatnonzero(edged)  # the ids typed with spaces around them: few
    fixed = pa.array([value.strip() for value in ids.take(where).to_pylist()], pa.string())
    aligned = fixed.take(np.maximum(np.cumsum(edged) - 1, 0))  # row i: its fixed id, if any
    return pc.if_else(pa.array(edged), aligned, ids)


def blank(ids: pa.StringArray) -> np.ndarray:
    """Whether each id is empty."""
    return pc.equal(pc.utf8_length(ids), 0).to_numpy(zero_copy_only=False)


def too_long(ids: pa.StringArray, limit: int) -> np.ndarray:
    """The rows whose id is longer than `limit` characters."""
    return np.flatnonzero(pc.greater(pc.utf8_length(ids), limit).to_numpy(zero_copy_only=False))


def repeats(ids: pa.StringArray, id_hashes: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """(the rows whose non-empty id an earlier row has, the first row index of each such id).
    The ids' hashes (`hashes`) decide: equal ids have equal hashes, so when no two hashes of
    non-empty ids are equal (a sort of a million integers), no id repeats; only then is a file
    looked at with Python strings."""
    filled = ~blank(ids)
    ordered = np.sort(id_hashes[filled])
    if not (ordered[1:] == ordered[:-1]).any():
        return np.array([], dtype=np.int64), {}
    series = pd.Series(ids.to_numpy(zero_copy_only=False))
    first = ~series.duplicated(keep="first").to_numpy()
    again = np.flatnonzero(~first & filled)
    repeated = set(series.iloc[again].tolist())
    firsts = np.flatnonzero(first)
    return again, {
        value: int(i)
        for value, i in zip(series.iloc[firsts], firsts, strict=True)
        if value in repeated
    }


def among(ids: pa.StringArray, others: set[str]) -> np.ndarray:
    """The rows whose id is one of `others`."""
    if not others:
        return np.array([], dtype=np.int64)
    found = pc.is_in(ids, value_set=pa.array(list(others), pa.string()))
    return np.flatnonzero(found.to_numpy(zero_copy_only=False))


def _buffers(ids: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data): row i's UTF-8 bytes are data[offsets[i]:offsets[i + 1]]."""
    buffers = ids.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[ids.offset : ids.offset + len(ids) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(0, np.uint8)
    return offsets, data


def _padded(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The rows' bytes in a zero-padded matrix, 8 bytes a column (viewed as uint64 words)."""
    lengths = np.diff(offsets)
    m = len(lengths)
    width = max(8, -(-int(lengths.max(initial=0)) // 8) * 8)
    padded = np.zeros((m, width), dtype=np.uint8)
    first, last = int(offsets[0]), int(offsets[-1])
    if m and lengths.min() == lengths.max():  # ids of one length: a reshape
        padded[:, : lengths[0]] = data[first:last].reshape(m, lengths[0])
    elif last > first:
        rows = np.repeat(np.arange(m), lengths)
        columns = np.arange(last - first) - np.repeat(offsets[:-1] - first, lengths)
        padded[rows, columns] = data[first:last]
    return padded.view(np.uint64)


def mix(h: np.ndarray, word: np.ndarray) -> np.ndarray:
    """One FNV-like step of the row hashes (in place): xor a word, multiply, fold."""
    h ^= word
    h *= np.uint64(0x100000001B3)
    h ^= h >> np.uint64(29)
    return h


def hashes(ids: pa.StringArray) -> np.ndarray:
    """A 64-bit hash of each id (its length and its own bytes 8 at a time, then splitmix64's
    finaliser), from the array's buffers: no Python string per row. It depends on the id alone,
    not on the longest id it is hashed with."""
    offsets, data = _buffers(ids)
    out = np.empty(len(ids), dtype=np.uint64)
    for start in range(0, len(ids), HASH_ROWS):
        part = offsets[start : start + HASH_ROWS + 1]
        lengths = np.diff(part)
        h = lengths.astype(np.uint64) + np.uint64(0xCBF29CE484222325)
        words = _padded(part, data)
        for k in range(words.shape[1]):  # only an id's own words: not the block's padding
            active = lengths > 8 * k
            if active.all():
                mix(h, words[:, k])
            else:
                some = h[active]
                h[active] = mix(some, words[active, k])
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
        out[start : start + len(h)] = h
    return out


def lines(values: pa.StringArray, separator: str = "\n") -> tuple[list[int], bytes]:
    """The values each followed by `separator`, in one buffer: (offsets, bytes); rows i..j-1 are
    bytes[offsets[i]:offsets[j] - len(separator)] joined by it."""
    joined = pc.binary_join_element_wise(values, "", separator)
    offsets, data = _buffers(joined)
    return offsets.tolist(), data.tobytes() if len(data) else b""


def plain(ids: pa.StringArray) -> bool:
    """Whether no id holds a backslash, a line end or a tab (then neither ids_text nor COPY's
    text format needs an escape)."""
    offsets, data = _buffers(ids)
    raw = data[offsets[0] : offsets[-1]].tobytes() if len(ids) else b""
    return not any(c in raw for c in (b"\\", b"\n", b"\r", b"\t"))
