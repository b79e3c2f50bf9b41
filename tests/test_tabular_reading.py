"""The one file reader (core.tabular): bounded by the real cells, values exactly as typed or refused
at their cell, CSV read strictly, every refusal a sentence (TableError), never a traceback."""

from __future__ import annotations

import io
import resource
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from core.limits import MAX_CELL_CHARS
from core.numbers import DecimalPlacesError, parse_decimal
from core.tabular import TableError, read_tables, sheet_title
from core.xlsx_scan import scan_xlsx

from .xlsx_raw import inline, number, xlsx_bytes

HEADER = '<row r="1">' + inline("A1", "code") + inline("B1", "points") + "</row>"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refused(data: bytes, filename: str = "t.xlsx") -> TableError:
    with pytest.raises(TableError) as info:
        read_tables(data, filename)
    return info.value


# --- Bounded reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["A1:B2", None])  # None: no "/>" anywhere in the sheet
@pytest.mark.parametrize("far", ["XFD1048576", "Z1048576", "XFD1"])
def test_a_small_workbook_with_a_far_cell_is_refused_without_allocating_the_area(far, dimension):
    row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    data = xlsx_bytes(
        {"Điểm": HEADER + f'<row r="{row}">' + number(far, 1) + "</row>"}, dimension=dimension
    )
    assert len(data) < 5000
    before = peak_rss_mb()

    error = refused(data)

    assert f"ô {far}" in str(error) and "Điểm" in str(error)
    # The dense area would be up to 17 billion cells; a generous bound on the process's peak.
    assert peak_rss_mb() - before < 200


def test_a_far_cell_placed_by_counting_is_found_too():
    # No r attributes: the row number comes from the row element, the column from counting.
    data = xlsx_bytes({"S": HEADER + '<row r="1048576">' + "<c><v>1</v></c>" * 600 + "</row>"})
    assert "ngoài giới hạn" in str(refused(data))


def test_a_cell_hidden_behind_a_quoted_angle_bracket_is_still_found():
    sneaky = '<c x="/>" r="XFD1048576"><v>1</v></c><c r="C2" y="a/>b"/>'
    data = xlsx_bytes({"S": HEADER + f'<row r="2">{number("A2", 1)}{sneaky}</row>'})
    assert "XFD1048576" in str(refused(data))


def test_styled_empty_cells_far_away_do_not_count_and_the_dimension_is_ignored():
    data = xlsx_bytes(
        {
            "S": HEADER
            + '<row r="2">'
            + inline("A2", "so-a")
            + number("B2", "4.5")
            + '</row><row r="1048576"><c r="XFD1048576" s="3"/></row>'
        },
        dimension="A1:XFD1048576",
    )
    [sheet] = read_tables(data, "t.xlsx")
    assert sheet.header == ["code", "points"]
    assert sheet.rows == [(2, ["so-a", 4.5])]


def test_cells_without_positions_are_read_where_calamine_puts_them():
    data = xlsx_bytes(
        {
            "S": "<row>" + "<c t='inlineStr'><is><t>code</t></is></c>" * 1 + "</row>"
            "<row><c t='inlineStr'><is><t>so-a</t></is></c><c><v>3</v></c></row>"
        }
    )
    [sheet] = read_tables(data, "t.xlsx")
    assert sheet.rows == [(2, ["so-a", 3.0])]


@pytest.mark.parametrize("dimension", ["A1", None])
def test_the_scan_bounds_a_sheet_by_its_real_cells(dimension):
    data = xlsx_bytes(
        {"S": HEADER + '<row r="7">' + number("D7", 2) + "</row>"}, dimension=dimension
    )
    [scan] = scan_xlsx(zipfile.ZipFile(io.BytesIO(data)))
    assert (scan.rows, scan.columns, scan.cells) == (7, 4, 3)


def test_a_zip_bomb_is_refused_before_it_is_inflated(monkeypatch):
    # The cap is lowered so the test needs no gigabyte: the check reads the declared sizes only.
    monkeypatch.setattr("core.xlsx_scan.MAX_UNCOMPRESSED_BYTES", 10 * 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b" " * (11 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000
    assert "giải nén" in str(refused(buffer.getvalue()))


def test_a_workbook_declaring_a_doctype_is_refused():
    data = xlsx_bytes({"S": HEADER})
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith("sheet1.xml"):
                content = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + content
            target.writestr(info, content)
    assert "DOCTYPE" in str(refused(buffer.getvalue()))


# --- Values exactly as typed, or refused at their cell --------------------------------------------


def test_error_cells_and_formulas_without_a_value_are_refused_at_their_cell():
    data = xlsx_bytes(
        {
            "Khối sở": HEADER
            + '<row r="2">'
            + inline("A2", "so-a")
            + '<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
            + '<row r="3">'
            + inline("A3", "so-b")
            + '<c r="B3" t="e"><v>#N/A</v></c></row>'
            + '<row r="4">'
            + inline("A4", "so-c")
            + '<c r="B4"><f>SUM(B2:B3)</f></c></row>'
            + '<row r="5">'
            + inline("A5", "so-d")
            + '<c r="B5"><f>1+1</f><v></v></c></row>'
        }
    )
    error = refused(data)
    places = [(p.sheet, p.row, p.column) for p in error.problems]
    assert places == [
        ("Khối sở", 2, "B (points)"),
        ("Khối sở", 3, "B (points)"),
        ("Khối sở", 4, "B (points)"),
        ("Khối sở", 5, "B (points)"),
    ]
    assert "#DIV/0!" in error.problems[0].message and "#N/A" in error.problems[1].message
    assert "công thức" in error.problems[2].message
    assert "trang “Khối sở”, dòng 4, cột “B (points)”" in str(error)


def test_a_formula_with_its_cached_result_reads_the_result():
    data = xlsx_bytes(
        {
            "S": HEADER
            + '<row r="2">'
            + inline("A2", "so-a")
            + '<c r="B2"><f>1+1</f><v>2</v></c></row>'
        }
    )
    [sheet] = read_tables(data, "t.xlsx")
    assert sheet.rows == [(2, ["so-a", 2.0])]


def test_openpyxl_formulas_never_calculated_are_refused():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "points"])
    sheet.append(["so-a", "=1/3"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    [problem] = refused(buffer.getvalue()).problems
    assert (problem.row, problem.column) == (2, "B (points)")


def test_excel_binary_noise_in_a_float_reads_as_typed():
    data = xlsx_bytes(
        {
            "S": HEADER
            + '<row r="2">'
            + inline("A2", "so-a")
            + number("B2", "0.25000000000000011")
            + "</row>"
        }
    )
    [sheet] = read_tables(data, "t.xlsx")
    raw = sheet.rows[0][1][1]
    assert raw != 0.25  # the float really is off by two units in the last place
    assert parse_decimal(raw, places=2) == Decimal("0.25")
    assert parse_decimal(0.1 + 0.2, places=2) == Decimal("0.3")


@pytest.mark.parametrize(
    "value, places, expected",
    [
        ("0,25", 2, Decimal("0.25")),
        ("0,250", 2, Decimal("0.250")),
        ("4", 2, Decimal("4")),
        (7, 2, Decimal("7")),
        ("1.234,5", 2, Decimal("1234.5")),
        ("0,333", None, Decimal("0.333")),
    ],
)
def test_parse_decimal_keeps_what_fits(value, places, expected):
    assert parse_decimal(value, places=places) == expected


@pytest.mark.parametrize("value", ["0,333", "0.125", 0.125, "1e-7", "0,001"])
def test_parse_decimal_refuses_more_decimals_than_the_field_keeps(value):
    with pytest.raises(DecimalPlacesError) as info:
        parse_decimal(value, places=2)
    assert "nhiều hơn 2 chữ số thập phân" in str(info.value)


@pytest.mark.parametrize(
    "value", ["inf", "NaN", "abc", float("inf"), float("nan"), True, "9" * 200]
)
def test_parse_decimal_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ValueError):
        parse_decimal(value)


# --- CSV -------------------------------------------------------------------------------------------


def test_an_unterminated_quote_is_refused_not_swallowing_the_rows_after_it():
    data = 'code,points,reason\nso-a,1,"thiếu\nso-b,2,ok\nso-c,3,ok\n'.encode()
    error = refused(data, "t.csv")
    assert "ngoặc kép" in str(error)
    assert error.problems[0].row == 2


def test_text_after_a_closing_quote_is_refused():
    data = b'code,points,reason\nso-a,1,"a"b\nso-b,2,ok\n'
    assert "ngoặc kép" in str(refused(data, "t.csv"))


def test_a_quoted_cell_over_several_lines_is_still_one_cell():
    data = 'code,points,reason\nso-a,1,"dòng 1\ndòng 2"\nso-b,2,ok\n'.encode()
    [sheet] = read_tables(data, "t.csv")
    assert [row for _n, row in sheet.rows] == [["so-a", "1", "dòng 1\ndòng 2"], ["so-b", "2", "ok"]]


def test_cr_only_line_ends_are_read():
    data = b"code;points\rso-a;4,5\rso-b;3\r"
    [sheet] = read_tables(data, "t.csv")
    assert sheet.header == ["code", "points"]
    assert sheet.rows == [(2, ["so-a", "4,5"]), (3, ["so-b", "3"])]


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 131_073, 300_000])
def test_a_cell_too_long_is_refused_with_its_row(length):
    data = ("code,reason\nso-a,ok\nso-b," + "x" * length + "\n").encode()
    error = refused(data, "t.csv")
    assert "dài quá 32.767 ký tự" in str(error)
    assert error.problems[0].row == 3


def test_a_utf16_file_as_excel_saves_unicode_text_is_read():
    text = "code\tname\nso-a\tSở Nội vụ\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        [sheet] = read_tables(data, "t.txt")
        assert sheet.rows == [(2, ["so-a", "Sở Nội vụ"])]


def test_too_many_columns_in_a_csv_are_refused():
    data = (",".join(f"c{i}" for i in range(600)) + "\n").encode()
    assert "cột" in str(refused(data, "t.csv"))


def test_a_password_protected_workbook_says_so():
    # An encrypted Office file: an OLE2 container whose directory names these streams (UTF-16).
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 1000
        + "EncryptionInfo".encode("utf-16-le")
        + b"\x00" * 100
        + "EncryptedPackage".encode("utf-16-le")
    )
    assert "mật khẩu" in str(refused(data))
    assert ".xls" in str(refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000))


def test_sheet_titles_are_cut_to_31_characters_without_a_trailing_space():
    assert sheet_title("Khối UBND huyện, thị xã, thành phố") == "Khối UBND huyện, thị xã, thành"
    assert sheet_title("a/b:c") == "a b c"
    assert sheet_title("   ") == "Sheet"


def test_the_messages_are_translated():
    from django.utils import translation

    data = xlsx_bytes(
        {
            "S": HEADER
            + '<row r="2">'
            + inline("A2", "so-a")
            + '<c r="B2" t="e"><v>#N/A</v></c></row>'
        }
    )
    with translation.override("en"):
        assert "holds the error #N/A" in str(refused(data))
        with pytest.raises(DecimalPlacesError, match="more than 2 decimal places"):
            parse_decimal("0,125", places=2)


def test_damaged_workbooks_are_refused_with_a_sentence_never_a_traceback():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "points"])
    for i in range(50):
        sheet.append([f"so-{i}", i / 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    good = buffer.getvalue()
    damaged = [good[:n] for n in range(100, len(good), max(1, len(good) // 40))]
    for position in range(200, len(good), max(1, len(good) // 60)):
        flipped = bytearray(good)
        flipped[position] ^= 0xFF
        damaged.append(bytes(flipped))
    for data in damaged:
        try:
            read_tables(data, "t.xlsx")
        except TableError as exc:
            assert str(exc)
