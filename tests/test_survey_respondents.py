"""The respondents' ids kept in Arrow (surveys.respondents) behave as the Python strings they stand
for: stripped as str.strip() strips, repeats found exactly even when hashes collide, hashes equal
for equal ids whatever block of rows they fall in, lines cut back to the ids; and a stored block's
fingerprint (what the migration recomputes) is the one its import stored."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from surveys import answers_write, respondents
from surveys.fingerprints import block_fingerprint
from surveys.importing import import_answers
from surveys.models import SurveyUnitAnswers, SurveyUnitLoad
from tests.test_survey_import import ANSWERS, defined  # noqa: F401  (the fixture)

IDS = st.lists(st.text(st.characters(codec="utf-8"), max_size=12), max_size=30)


@settings(max_examples=150, deadline=None)
@given(IDS)
@example([" a", "b\xa0", "\u3000c\u3000", "\x1cd\x1f", "e\u200b", "plain", ""])
def test_ids_are_stripped_as_python_strips_them(values):
    assert respondents.stripped(pa.array(values, pa.string())).to_pylist() == [
        v.strip() for v in values
    ]


@settings(max_examples=150, deadline=None)
@given(IDS)
@example(["a", "b", "a", "", "", "b", "a"])
def test_repeats_are_the_later_rows_of_an_id_even_when_every_hash_collides(values):
    ids = pa.array(values, pa.string())
    expected_again = [i for i, v in enumerate(values) if v and v in values[:i]]
    expected_first = {v: values.index(v) for i, v in enumerate(values) if i in expected_again}
    for hashes in (respondents.hashes(ids), np.zeros(len(values), dtype=np.uint64)):
        again, first = respondents.repeats(ids, hashes)
        assert (again.tolist(), first) == (expected_again, expected_first)


def test_hashes_depend_on_the_id_alone(monkeypatch):
    values = ["R1", "R1\x00", "", "phiếu 7", "R1", "x" * 64, "R2"] * 5
    ids = pa.array(values, pa.string())
    whole = respondents.hashes(ids)
    monkeypatch.setattr(respondents, "HASH_ROWS", 3)  # blocks of 3 rows: other paddings
    assert respondents.hashes(ids).tolist() == whole.tolist()
    # A slice of the array (an offset into its buffers) hashes the same.
    assert respondents.hashes(ids.slice(4, 10)).tolist() == whole[4:14].tolist()
    by_value = {}
    for value, h in zip(values, whole.tolist(), strict=True):
        assert by_value.setdefault(value, h) == h
    assert len(set(by_value.values())) == len(by_value)  # "R1" and "R1\0" differ too


def test_lines_cut_back_to_the_ids():
    ids = pa.array(["a1", "", "phiếu", "b"], pa.string()).slice(1)
    for separator in ("\n", "\\n"):
        offsets, data = respondents.lines(ids, separator)
        cut = len(separator)
        assert data[offsets[0] : offsets[3] - cut].decode() == separator.join(["", "phiếu", "b"])
        assert data[offsets[1] : offsets[2] - cut].decode() == "phiếu"
    assert respondents.plain(ids)
    assert not respondents.plain(pa.array(["a", "b\\c"], pa.string()))
    assert not respondents.plain(pa.array(["a", "b\tc"], pa.string()))


@pytest.mark.django_db
def test_a_stored_blocks_fingerprint_is_the_one_its_import_stored(defined):  # noqa: F811
    # One unit's ids longer than the other's: each unit's hashes are its ids' own.
    text = ANSWERS.replace("a1,", '"a\\1",').replace(",02/03/2024,4,4,4,\nb2", ",,4,,4,\nb2")
    text = text.replace("b2,", "b2-a-respondent-id-of-forty-characters--,")
    assert import_answers(survey=defined, data=text.encode()).status == "applied"
    loads = dict(SurveyUnitLoad.objects.values_list("unit_id", "fingerprint"))
    blocks = SurveyUnitAnswers.objects.filter(survey=defined)
    assert len(blocks) == len(loads) == 2
    for block in blocks:
        fingerprint = block_fingerprint(block.sheets, block.respondents, block.dates, block.answers)
        assert fingerprint == loads[block.unit_id]


@pytest.mark.django_db
@pytest.mark.parametrize("block_rows", [1, 3, 5])
def test_blocks_cut_a_slice_of_units_at_a_time_are_the_same(defined, monkeypatch, block_rows):  # noqa: F811
    # Slices of 1, 3 or 5 sheets: a unit of 4 sheets longer than a slice, units split across
    # slices' edges; the blocks written are those of one slice.
    text = ANSWERS.replace("a1,", '"a\\\\1",')
    monkeypatch.setattr(answers_write, "BLOCK_ROWS", 10**6)
    assert import_answers(survey=defined, data=text.encode()).status == "applied"
    whole = sorted(
        SurveyUnitAnswers.objects.values_list(
            "unit_id", "sheets", "respondents", "dates", "answers"
        )
    )
    SurveyUnitAnswers.objects.all().delete()
    SurveyUnitLoad.objects.all().delete()
    monkeypatch.setattr(answers_write, "BLOCK_ROWS", block_rows)
    assert import_answers(survey=defined, data=text.encode()).status == "applied"
    assert (
        sorted(
            SurveyUnitAnswers.objects.values_list(
                "unit_id", "sheets", "respondents", "dates", "answers"
            )
        )
        == whole
    )
    assert [w[1] for w in whole] == [4, 2]
