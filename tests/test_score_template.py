"""The score template's sheet names: Excel's rules, cut without a trailing space, unique."""

from scoring.exporting import _sheet_title


def test_a_long_group_name_is_cut_without_a_trailing_space():
    used: set[str] = set()
    assert _sheet_title("Khối UBND huyện, thị xã, thành phố", used) == (
        "Khối UBND huyện, thị xã, thành"
    )


def test_two_groups_cut_to_the_same_name_get_distinct_sheets():
    used: set[str] = set()
    first = _sheet_title("Khối UBND huyện, thị xã, thành phố A", used)
    second = _sheet_title("Khối UBND huyện, thị xã, thành phố B", used)
    assert first == "Khối UBND huyện, thị xã, thành"
    assert second != first and second.endswith(" (2)") and len(second) <= 31
    assert second.startswith("Khối UBND huyện, thị xã, th") and not second[:-4].endswith(" ")


def test_characters_excel_refuses_in_a_sheet_name_are_replaced():
    assert _sheet_title("Khối [sở]: A/B", set()) == "Khối  sở   A B"
