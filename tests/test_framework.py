from decimal import Decimal as D

import pytest

from core.errors import DomainError
from indicators.models import Criterion
from indicators.services import (
    criterion_create,
    framework_copy_forward,
    framework_errors,
    framework_validate,
)


def test_a_sound_framework_validates(framework):
    framework_validate(framework=framework)
    assert framework.criteria.filter(is_leaf=True).count() == 3
    assert framework.criteria.get(code="1.2").component.code == "1"


def test_children_whose_maxima_do_not_add_up_to_the_parent_are_an_error(framework):
    Criterion.objects.filter(framework=framework, code="1.2").update(max_points=D("1.5"))
    errors = framework_errors(framework=framework)
    assert any("1 có điểm tối đa 6" in e and "5.5" in e for e in errors), errors
    with pytest.raises(DomainError):
        framework_validate(framework=framework)


def test_components_must_add_up_to_the_scale(framework):
    framework.max_points = D(12)
    framework.save()
    assert any("thang điểm 12" in e for e in framework_errors(framework=framework))


def test_a_child_that_overflows_its_parent_is_refused(framework):
    parent = framework.criteria.get(code="2")
    with pytest.raises(DomainError, match="vượt quá"):
        criterion_create(
            framework=framework, code="2.2", name="Thêm", max_points=D("0.5"), parent=parent
        )
    assert not framework.criteria.filter(code="2.2").exists()


def test_copy_forward_leaves_the_old_year_unchanged(framework):
    before = list(framework.criteria.order_by("code").values_list("code", "name", "max_points"))
    new = framework_copy_forward(framework=framework, year=2025)
    renamed = new.criteria.get(code="1.1")
    renamed.name = "Kế hoạch CCHC (sửa đổi)"
    renamed.max_points = D(3)
    renamed.save()
    new.criteria.filter(code="1.2").update(code="1.3")

    after = list(framework.criteria.order_by("code").values_list("code", "name", "max_points"))
    assert after == before
    assert new.year == 2025 and new.copied_from == framework
    assert new.criteria.count() == framework.criteria.count()


def test_copied_criteria_remember_what_they_continue_from(framework):
    new = framework_copy_forward(framework=framework, year=2025)
    for copy in new.criteria.select_related("continues_from", "component", "parent"):
        assert copy.continues_from.framework == framework
        assert copy.continues_from.code == copy.code
        assert copy.component.framework == new
        assert copy.parent is None or copy.parent.framework == new
    framework_validate(framework=new)


def test_copy_forward_to_a_year_that_already_has_a_framework_is_refused(framework):
    framework_copy_forward(framework=framework, year=2025)
    with pytest.raises(DomainError):
        framework_copy_forward(framework=framework, year=2025)


def test_the_admin_form_refuses_a_child_that_overflows_its_parent(framework):
    from django.core.exceptions import ValidationError

    child = framework.criteria.get(code="1.1")
    child.max_points = D(5)  # siblings: 1.2 = 2, parent 1 = 6
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert "vượt quá" in str(error.value.message_dict["max_points"])
    child.max_points = D(4)
    child.full_clean()


def test_the_admin_flags_an_unbalanced_tree(client, framework, admin_user):
    client.force_login(admin_user)
    child = framework.criteria.get(code="1.2")
    response = client.post(
        f"/admin/indicators/criterion/{child.pk}/change/",
        {
            "framework": framework.pk,
            "parent": child.parent_id,
            "code": "1.2",
            "name": "Báo cáo",
            "order": 0,
            "max_points": "1",
            "method": "yes_no",
            "bands": "[]",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "tổng điểm tối đa các tiêu chí con là 5" in response.content.decode()
