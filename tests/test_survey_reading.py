"""Reading an answers file: Arrow's reader (the fast path) and pandas' C reader give the same frame,
row numbers included (an empty line is a row), on ordinary and odd files; what Arrow reads
otherwise goes to the C reader."""

from __future__ import annotations

import numpy as np
import pytest

from surveys import answers_check

CODES = ["Q1", "Q2"]
HEADER = "ma phieu,ma don vi,ngay,Q1,Q2,ghi chu\n"
FILES = {
    "plain": HEADER + "a1,u1,01/03/2024,4,5,x\na2,u2,,1,,\n",
    "crlf": (HEADER + "a1,u1,01/03/2024,4,5,x\na2,u2,,1,,\n").replace("\n", "\r\n"),
    "no final line end": HEADER + "a1,u1,01/03/2024,4,5,x\na2,u2,,1,,",
    "quoted, a line end inside": HEADER + '"a\n1",u1,,"4",5,"x, y"\na2,"u2",,,2,\n',
    "decimals": HEADER + "a1,u1,,4.0,5,\na2,u2,,1e0,,\n",
    "blank line": HEADER + "a1,u1,,4,5,\n\na2,u2,,1,2,\n",
    "blank line at the end": HEADER + "a1,u1,,4,5,\na2,u2,,1,2,\n\n",
    "CRLF then a blank line": HEADER + "a1,u1,,4,5,\r\n\r\na2,u2,,1,2,\r\n",
    "short row": HEADER + "a1,u1,,4\na2,u2,,1,2,\n",
    "nan": HEADER + "a1,u1,,nan,5,\na2,u2,,1,2,\n",
    "lone CR": HEADER + "a1,u1,,4,5,\ra2,u2,,1,2,\n",
    "unicode and spaces": HEADER + "phiếu 1 ,Sở Y tế,,4, 5,\na2,u2,,1,2,\n",
    "semicolons": HEADER.replace(",", ";") + "a1;u1;;4;5;\na2;u2;;1;2;\n",
}


def _frames(monkeypatch, text: str):
    data = text.encode()
    fast = answers_check.read_frame(data, CODES, "a.csv", 5)
    monkeypatch.setattr(answers_check, "_read_arrow", lambda *args: None)
    slow = answers_check.read_frame(data, CODES, "a.csv", 5)
    return fast, slow


@pytest.mark.parametrize("name", FILES)
def test_arrow_and_the_c_reader_read_the_same_frame(monkeypatch, name):
    (fast, found, ignored), (slow, found_c, ignored_c) = _frames(monkeypatch, FILES[name])
    assert (found, ignored) == (found_c, ignored_c)
    assert list(fast.index) == list(slow.index) == list(range(2, len(slow) + 2))
    assert fast.attrs["trimmed"] == slow.attrs["trimmed"]
    for label in found.values():
        a, b = fast[label], slow[label]
        assert a.dtype.kind == b.dtype.kind, label
        if a.dtype.kind == "f":
            assert a.dtype == b.dtype
            assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True), label
        else:
            assert a.astype(object).fillna("").tolist() == b.astype(object).fillna("").tolist()


def test_arrow_reads_the_plain_file_and_leaves_odd_ones_to_the_c_reader():
    found = {"respondent": "ma phieu", "unit": "ma don vi", "q:Q1": "Q1", "q:Q2": "Q2"}
    questions = ["Q1", "Q2"]
    plain = answers_check._read_arrow(FILES["plain"].encode(), ",", found, questions)
    assert plain["Q1"].tolist() == [4.0, 1.0]
    assert plain["Q2"].isna().tolist() == [False, True]
    assert plain["ma don vi"].dtype == "category"
    blank = answers_check._read_arrow(FILES["blank line"].encode(), ",", found, questions)
    assert blank["ma phieu"].tolist() == ["a1", "", "a2"]  # kept: the next row stays row 4
    assert blank["Q1"].isna().tolist() == [False, True, False]
    for name in ("short row", "nan"):
        assert answers_check._read_arrow(FILES[name].encode(), ",", found, questions) is None
