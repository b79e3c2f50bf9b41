"""Safe publication: a checklist first, refused while a unit is not appraised unless staff leave it
out with a reason (published as not assessed, no rank), a confirmation naming the version, and the
assessments' states moved with the publication."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.errors import DomainError
from scoring.models import Assessment, CriterionScore, ResultSnapshotRow, StateChange
from scoring.recompute import recompute_now
from scoring.selectors.publication import publication_checklist
from scoring.snapshots import period_publish
from scoring.workflow import State

from .factories import make_assessment


@pytest.fixture
def round_(assessment, period, other_unit, framework, group):
    """Sở Tư pháp appraised with 1.1 at 4 points, Sở Y tế still a draft with 1.1 at 3 points."""
    other = make_assessment(other_unit, period, framework, group)
    leaf = framework.criteria.get(code="1.1")
    for a, points in ((assessment, D(4)), (other, D(3))):
        CriterionScore.objects.create(
            assessment=a,
            criterion=leaf,
            component=leaf.parent,
            max_points=leaf.max_points,
            appraised_points=points,
            points=points,
        )
    Assessment.objects.filter(pk=assessment.pk).update(state=State.APPRAISED)
    recompute_now(period)
    return period, Assessment.objects.get(pk=assessment.pk), other


def test_publication_is_refused_while_a_unit_is_not_appraised(round_, staff):
    period, appraised, draft = round_
    with pytest.raises(DomainError) as refused:
        period_publish(period=period, user=staff)
    assert "Sở Y tế chưa được thẩm định" in " ".join(refused.value.messages)
    with pytest.raises(DomainError, match="Cần nêu lý do"):
        period_publish(period=period, user=staff, left_out={draft.pk: "  "})
    with pytest.raises(DomainError, match="Chỉ để ra ngoài"):
        period_publish(period=period, user=staff, left_out={draft.pk: "x", appraised.pk: "x"})
    assert not ResultSnapshotRow.objects.exists()
    assert Assessment.objects.get(pk=appraised.pk).state == State.APPRAISED


def test_a_unit_left_out_with_a_reason_is_published_as_not_assessed_without_a_rank(round_, staff):
    period, appraised, draft = round_
    # Before: the draft (3 of 10) and the appraised unit (4 of 10) share one ranking.
    snapshot = period_publish(
        period=period, user=staff, left_out={draft.pk: "Chưa nộp hồ sơ đúng hạn"}
    )
    rows = {r.unit.code: r for r in ResultSnapshotRow.objects.filter(snapshot=snapshot)}
    assert rows["so-tu-phap"].rank == 1 and rows["so-tu-phap"].percent == D("40.00")
    left = rows["so-y-te"]
    assert (left.rank, left.percent, left.not_assessed_reason) == (
        None,
        D(0),
        "Chưa nộp hồ sơ đúng hạn",
    )
    assert Assessment.objects.get(pk=appraised.pk).state == State.PUBLISHED
    assert Assessment.objects.get(pk=draft.pk).state == State.DRAFT
    move = StateChange.objects.get(assessment=appraised, to_state=State.PUBLISHED)
    assert (move.from_state, move.by) == (State.APPRAISED, staff)


def test_a_left_out_unit_above_the_appraised_ones_does_not_take_their_rank(round_, staff):
    period, appraised, draft = round_
    CriterionScore.objects.filter(assessment=draft).update(appraised_points=4, points=4)
    CriterionScore.objects.filter(assessment=appraised).update(appraised_points=2, points=2)
    recompute_now(period)
    assert appraised.result.__class__.objects.get(assessment=appraised).rank == 2
    snapshot = period_publish(period=period, user=staff, left_out={draft.pk: "Chưa thẩm định"})
    row = ResultSnapshotRow.objects.get(snapshot=snapshot, assessment=appraised)
    assert row.rank == 1


def test_the_checklist_lists_what_is_missing(round_):
    period, _appraised, _draft = round_
    checklist = publication_checklist(period)
    assert [a.unit.code for a in checklist.not_appraised] == ["so-y-te"]
    assert checklist.blocked and checklist.next_version == 1 and checklist.appraised == 1
    # Two leaves of three have nothing typed in each unit (1.2 and 2.1).
    assert checklist.unscored == [("Sở Tư pháp", 2), ("Sở Y tế", 2)]
    assert checklist.explanations_pending == 0 and checklist.reopen_open == 0


def test_the_pages_check_then_confirm_the_version_then_publish(client, round_, staff):
    _period, _appraised, draft = round_
    client.force_login(staff)
    url = reverse("scoring:period_publish", args=[2024])
    page = client.get(url).content.decode()
    assert "1 đơn vị chưa thẩm định" in page and "Sở Y tế" in page
    refused = client.post(url, {"step": "check"})
    assert refused.status_code == 400
    assert "Còn 1 đơn vị chưa thẩm định" in refused.content.decode()
    no_reason = client.post(url, {"step": "check", "leave_out": [draft.pk]})
    assert "Cần nêu lý do để Sở Y tế" in no_reason.content.decode()
    data = {"leave_out": [draft.pk], f"reason_{draft.pk}": "Chưa nộp"}
    confirm = client.post(url, {"step": "check", **data}).content.decode()
    assert "phiên bản 1" in confirm and "Chưa nộp" in confirm
    assert not ResultSnapshotRow.objects.exists()
    done = client.post(url, {"step": "confirm", **data}, follow=True).content.decode()
    assert "Đã công bố kết quả" in done
    assert ResultSnapshotRow.objects.filter(not_assessed_reason="Chưa nộp").count() == 1


def test_the_publish_command_checks_then_refuses_then_publishes_with_the_unit_left_out(round_):
    import io

    from django.core.management import CommandError, call_command

    from scoring.models import ResultSnapshot

    _period, appraised, draft = round_
    out = io.StringIO()
    call_command("publish", "--period", "2024", stdout=out)
    assert "chưa thẩm định: 1" in out.getvalue() and "so-y-te" in out.getvalue()
    assert "Sẽ tạo phiên bản 1" in out.getvalue() and not ResultSnapshot.objects.exists()
    with pytest.raises(CommandError, match="Chưa công bố"):
        call_command("publish", "--period", "2024", "--yes", stdout=io.StringIO(), stderr=out)
    assert "Sở Y tế chưa được thẩm định" in out.getvalue()
    assert not ResultSnapshot.objects.exists()
    with pytest.raises(CommandError, match="so-khong-co"):
        call_command(
            "publish",
            "--period",
            "2024",
            "--leave-out",
            "so-khong-co",
            "x",
            "--yes",
            stdout=io.StringIO(),
        )
    done = io.StringIO()
    call_command(
        "publish",
        "--period",
        "2024",
        "--leave-out",
        "so-y-te",
        "Chưa nộp hồ sơ",
        "--yes",
        stdout=done,
    )
    assert "phiên bản 1" in done.getvalue()
    row = ResultSnapshotRow.objects.get(assessment=draft)
    assert (row.rank, row.not_assessed_reason) == (None, "Chưa nộp hồ sơ")
    move = StateChange.objects.get(assessment=appraised, to_state=State.PUBLISHED)
    assert move.by.username == "nhap-lieu"
