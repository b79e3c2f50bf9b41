"""Reading an answers file: Arrow's reader (the fast path) and pandas' C reader give the same frame,
row numbers and levels included (an empty line is a row), on ordinary and odd files; what Arrow
reads otherwise goes to the C reader."""

from __future__ import annotations

import numpy as np
import pytest

from surveys import answers_read

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
    fast = answers_read.read_frame(data, CODES, "a.csv", 5)
    monkeypatch.setattr(answers_read, "_read_arrow", lambda *args: None)
    slow = answers_read.read_frame(data, CODES, "a.csv", 5)
    return fast, slow


@pytest.mark.parametrize("name", FILES)
def test_arrow_and_the_c_reader_read_the_same_frame(monkeypatch, name):
    (fast, found, ignored), (slow, found_c, ignored_c) = _frames(monkeypatch, FILES[name])
    assert (found, ignored) == (found_c, ignored_c)
    assert list(fast.index) == list(slow.index) == list(range(2, len(slow) + 2))
    for label in found.values():
        a, b = fast[label], slow[label]
        assert (a.dtype == np.int8) == (b.dtype == np.int8), label
        if a.dtype == np.int8:  # the answers read as levels, 0 for blank
            assert a.tolist() == b.tolist(), label
        else:
            assert a.astype(object).fillna("").tolist() == b.astype(object).fillna("").tolist()


def test_arrow_reads_the_plain_file_and_leaves_odd_ones_to_the_c_reader():
    found = {"respondent": "ma phieu", "unit": "ma don vi", "q:Q1": "Q1", "q:Q2": "Q2"}
    questions = ["Q1", "Q2"]
    plain = answers_read._read_arrow(FILES["plain"].encode(), ",", found, questions)
    assert str(plain.schema.field("Q1").type) == "int8"  # integers: parsed as such
    assert plain["Q1"].to_pylist() == [4, 1]
    assert plain["Q2"].to_pylist() == [5, None]
    frame = answers_read._arrow_levels(plain, questions, 5)
    assert frame["Q2"].tolist() == [5, 0]
    assert frame["ma don vi"].dtype == "category"
    assert frame["ma phieu"].tolist() == ["a1", "a2"]
    decimals = answers_read._read_arrow(FILES["decimals"].encode(), ",", found, questions)
    assert decimals.schema.field("Q1").type == "double"  # "4.0": read as a float
    assert answers_read._arrow_levels(decimals, questions, 5)["Q1"].tolist() == [4, 1]
    assert answers_read._arrow_levels(decimals, questions, 3) is None  # 5 is off a 1–3 scale
    blank = answers_read._read_arrow(FILES["blank line"].encode(), ",", found, questions)
    assert blank["ma phieu"].to_pylist() == ["a1", "", "a2"]  # kept: the next row stays row 4
    assert blank["Q1"].to_pylist() == [4, None, 1]
    for name in ("short row", "nan"):
        assert answers_read._read_arrow(FILES[name].encode(), ",", found, questions) is None
