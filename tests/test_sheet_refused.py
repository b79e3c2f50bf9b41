"""A refused value is marked on its own cell (by the form or by the service), the page is not a box
inside the page, and the sheet explains its abbreviations in visible text."""

import re
from decimal import Decimal as D

import pytest
from django.conf import settings

from core.errors import DomainError
from scoring.forms import sheet_field_name
from scoring.models import CriterionScore
from scoring.services.sheet import SheetRefused, sheet_save

from .sheet_helpers import sheet_post, sheet_url


def input_tag(page: str, name: str) -> str:
    found = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*>', page)
    assert found, name
    return found.group(0)


def test_the_service_names_the_cells_it_refuses(unit_head, assessment):
    c11 = assessment.framework.criteria.get(code="1.1")
    c12 = assessment.framework.criteria.get(code="1.2")
    with pytest.raises(SheetRefused) as refused:
        sheet_save(
            assessment=assessment,
            user=unit_head,
            version=1,
            rows={
                c11.pk: {"self_points": D("0.3")},
                c12.pk: {"self_points": D(2), "appraised_points": D(2)},
            },
        )
    cells = refused.value.cells
    assert set(cells) == {
        sheet_field_name("self_points", c11.pk),
        sheet_field_name("appraised_points", c12.pk),
    }
    assert "1.1" in cells[sheet_field_name("self_points", c11.pk)][0]
    assert isinstance(refused.value, DomainError)
    assert not CriterionScore.objects.filter(assessment=assessment).exists()


def test_a_value_off_the_step_is_marked_on_its_cell_and_the_page_says_so(
    client, unit_head, assessment
):
    criterion = assessment.framework.criteria.get(code="1.1")
    assert criterion.step  # the small framework scores 1.1 in steps
    client.force_login(unit_head)
    response = client.post(
        sheet_url(assessment),
        sheet_post(assessment, {"1.1": {"self_points": "0,3"}, "1.2": {"self_points": "2"}}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    bad = input_tag(page, sheet_field_name("self_points", criterion.pk))
    assert "is-invalid" in bad and 'data-refused="1"' in bad and 'aria-invalid="true"' in bad
    good = input_tag(
        page,
        sheet_field_name("self_points", assessment.framework.criteria.get(code="1.2").pk),
    )
    assert "data-refused" not in good and "is-invalid" not in good
    assert "xem các ô được đánh dấu đỏ" in page
    assert "ô tô đỏ" not in page
    assert not CriterionScore.objects.filter(assessment=assessment).exists()


def test_a_refusal_by_the_service_is_marked_on_its_cell(client, unit_head, assessment, monkeypatch):
    """A value the form let through but the service refused (a rule checked only there) is marked
    the same way, from the cell ids the service gives."""
    from scoring.views import sheet as sheet_views

    criterion = assessment.framework.criteria.get(code="1.2")
    key = sheet_field_name("self_points", criterion.pk)

    def refuse(**kwargs):
        raise SheetRefused(
            ["Tiêu chí 1.2: bị từ chối."], cells={key: ["Tiêu chí 1.2: bị từ chối."]}
        )

    monkeypatch.setattr(sheet_views, "sheet_save", refuse)
    client.force_login(unit_head)
    response = client.post(
        sheet_url(assessment), sheet_post(assessment, {"1.2": {"self_points": "2"}})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-refused="1"' in input_tag(page, key)
    assert "Tiêu chí 1.2: bị từ chối." in page


def test_the_sheet_explains_kad_in_visible_text_and_is_not_a_box_in_the_page(
    client, unit_head, assessment
):
    client.force_login(unit_head)
    page = client.get(sheet_url(assessment)).content.decode()
    legend = re.search(r'<p class="[^"]*sheet-legend[^"]*">(.*?)</p>', page, re.S)
    assert legend and "KAD</abbr> = Không áp dụng" in legend.group(1)
    css = (settings.BASE_DIR / "static" / "css" / "sheet.css").read_text()
    rule = re.search(r"\.sheet-wrap\s*\{([^}]*)\}", css).group(1)
    assert "max-height" not in rule and "overflow-y" not in rule
