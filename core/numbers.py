"""Numbers read from what people type and written for people or for machines: the one place that
knows the decimal comma. Pure: no ORM.

Reading: parse_decimal takes "4,5" or "4.5" (either thousands convention) from a cell or a field;
with places=N it refuses a number with more decimals than N (DecimalPlacesError) instead of letting
the database round it. A float from a spreadsheet is read at Excel's precision (15 significant
digits): the raw 0.25000000000000011 Excel may store for 0.25 reads as 0.25.
Writing, one function per job:
- fmt_number: a number inside a sentence, as short as it goes (4; 0,25; 3,5 in Vietnamese).
- fmt_fixed: a figure in a table, chart label or report, with fixed decimals (84,64; 84.64 in
  English), "—" when there is none.
- fmt_machine: a number for a file or JSON another program reads back: a decimal point whatever the
  language ("4.25", "3").
Each of the first two follows the active language, as decimal_mark does.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

# Excel keeps 15 significant digits: a float from a workbook means its 15-digit rounding.
EXCEL_DIGITS = 15


class DecimalPlacesError(ValueError):
    """A number with more decimals than the field keeps; str() is the translated sentence."""

    def __init__(self, value, places: int):
        self.value = value
        self.places = places
        super().__init__(
            _("“%(value)s” có nhiều hơn %(places)s chữ số thập phân.")
            % {"value": value, "places": places}
        )


def decimal_mark() -> str:
    """The active language's decimal separator: "," in Vietnamese, "." in English."""
    return formats.get_format("DECIMAL_SEPARATOR")


def decimal_places(number: Decimal) -> int:
    """How many decimals a number really has: 0.250 has 2, 3 and 3.00 have 0. Counted on its
    digits, not with normalize(), which rounds to the context's 28 digits (so that
    4.0000000000000000000000000001 would have none and be stored as 4)."""
    _sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        return 0
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + zeros)) if zeros < len(digits) else 0


def parse_decimal(value, *, places: int | None = None) -> Decimal | None:
    """A number from a cell: None when empty; ValueError when it is not a number;
    DecimalPlacesError (a ValueError) when `places` is given and it has more decimals."""
    number = _parse(value)
    if number is not None and places is not None and decimal_places(number) > places:
        shown = value if isinstance(value, str) else format(number, "f")
        raise DecimalPlacesError(nfc_text(shown), places)
    return number


def nfc_text(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def _parse(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(value)
        return Decimal(format(value, f".{EXCEL_DIGITS}g"))
    text = nfc_text(value)
    text = text.replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        # 1.234,5 (Vietnamese thousands) or 1,234.5 (English): the last mark is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    if len(text) > 100:  # no one types a hundred digits; Decimal would take them all
        raise ValueError(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def fmt_number(value) -> str:
    """A number in a message, the way the current language writes it: 4; 0,25; 3,5 in Vietnamese."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    # to_integral_value, not quantize(Decimal(1)): that raises InvalidOperation past 28 digits.
    value = value.to_integral_value() if value == value.to_integral() else value.normalize()
    return formats.number_format(value, use_l10n=True, force_grouping=False)


def fmt_count(value: int) -> str:
    """A count in a message, grouped the way the current language groups it: 1.000.000 in
    Vietnamese, 1,000,000 in English."""
    return formats.number_format(int(value), use_l10n=True, force_grouping=True)


def fmt_fixed(value: Decimal | float | None, places: int = 2) -> str:
    """A figure with `places` decimals and the current language's mark (84,64 / 84.64); "—" for
    None."""
    if value is None:
        return "—"
    return f"{Decimal(value):.{places}f}".replace(".", decimal_mark())


def fmt_machine(value: Decimal | float | None, places: int | None = None) -> str:
    """A number with a decimal point for another program: `places` decimals, or with no trailing
    zeros when places is None ("4.25", "3"); "" for None."""
    if value is None:
        return ""
    if places is not None:
        return f"{Decimal(value):.{places}f}"
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return format(value.normalize(), "f")
