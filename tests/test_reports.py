"""The dashboards render the demo province and show exactly the stored results, to each role only
what it may see."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Avg, F, Sum
from django.urls import reverse

from reports import computation
from scoring.models import ComponentResult, CriterionScore, Deduction
from scoring.permissions import PUBLISHED_STATES

from .reports_support import (
    demo,
    group,
    is_published,
    most_deducted_criterion,
    period,
    stored,
    unit,
    user,
    vn,
)

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")


def get(client, username, name, *args, **params):
    client.force_login(user(username))
    response = client.get(reverse(f"reports:{name}", args=args), params)
    assert response.status_code == 200, response.content[:500]
    return response


# --- ranking -------------------------------------------------------------------------------------


def test_the_ranking_shows_every_stored_result_with_its_percent_rank_and_band(db, client):
    page = get(client, "lanhdao", "ranking", period="2023", group="khoi-so").content.decode()
    results = stored(2023, "khoi-so")
    assert len(results) >= 19
    for r in results:
        assert r.assessment.unit.name in page
        assert f'<td class="num pct">{vn(r.percent)}</td>' in page
    assert page.count("Đã công bố</span>") == len(results)  # 2023 is locked
    average = sum(r.percent for r in results) / len(results)
    assert (
        f'<div class="tile-value" id="s-average">{vn(average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))}%'
        in page
    )


def test_the_ranking_marks_the_open_rounds_results_as_provisional(db, client):
    response = get(client, "canbo.snv", "ranking", period="2024", group="khoi-so")
    results = stored(2024, "khoi-so")
    provisional = [r for r in results if not is_published(r)]
    # Units not appraised yet are kept apart: their state instead of "provisional" (see
    # tests/test_provisional_apart.py).
    appraised = [r for r in provisional if r.assessment.state == "appraised"]
    assert appraised and len(appraised) < len(provisional)
    page = response.content.decode()
    assert page.count("Tạm tính</span>") == len(appraised)
    assert f"{len(appraised)} kết quả tạm tính" in page


def test_the_rows_follow_the_stored_ranks_and_the_figure_gets_the_same_numbers(db, client):
    response = get(client, "lanhdao", "ranking", period="2023", group="khoi-huyen")
    rows = response.context["page_rows"]
    results = stored(2023, "khoi-huyen")
    assert [(r.unit_id, r.rank, r.percent, r.rank_change) for r in rows] == [
        (s.assessment.unit_id, s.rank, s.percent, s.rank_change) for s in results
    ]
    figure = response.context["figure"]
    drawn = {x for trace in figure["data"] if trace["type"] == "bar" for x in trace["x"]}
    assert drawn == {float(s.percent) for s in results}
    assert figure["layout"]["separators"] == ",."


def test_the_ranking_table_sorts_by_name_when_asked(db, client):
    rows = get(client, "lanhdao", "ranking", period="2023", group="khoi-so", sort="name").context[
        "page_rows"
    ]
    assert [r.unit_name for r in rows] == sorted(r.unit_name for r in rows)


def test_a_unit_head_sees_their_own_provisional_result_but_no_other_units(db, client):
    page = get(client, "thutruong.stp", "ranking", period="2024", group="khoi-so").content.decode()
    own = next(r for r in stored(2024, "khoi-so") if r.assessment.unit.code == "so-tu-phap")
    assert not is_published(own)
    assert f'<td class="num pct">{vn(own.percent)}</td>' in page
    for other in stored(2024, "khoi-so"):
        if other.assessment.unit.code != "so-tu-phap":
            assert f'data-unit="{other.assessment.unit.code}"' not in page


def test_a_unit_head_sees_every_unit_of_a_published_year(db, client):
    page = get(client, "thutruong.stp", "ranking", period="2023", group="khoi-so").content.decode()
    for r in stored(2023, "khoi-so"):
        assert f'data-unit="{r.assessment.unit.code}"' in page


def test_bad_filters_are_explained_and_change_nothing(db, client):
    page = get(client, "lanhdao", "ranking", period="19x", group="khong-co").content.decode()
    assert "Không có kỳ đánh giá năm «19x»" in page
    assert "Không có khối «khong-co»" in page
    assert get(client, "lanhdao", "ranking", page="abc").status_code == 200


def test_visitors_must_log_in_and_users_without_a_role_are_refused(db, client, django_user_model):
    assert client.get(reverse("reports:ranking")).status_code == 302
    client.force_login(django_user_model.objects.create_user("khach", password="x"))
    for name in ("ranking", "heatmap", "deductions", "climb", "comparison"):
        assert client.get(reverse(f"reports:{name}")).status_code == 403


# --- heatmap -------------------------------------------------------------------------------------


def test_the_heatmap_shows_each_units_component_percent_and_the_group_average(db, client):
    response = get(client, "lanhdao", "heatmap", period="2023", group="khoi-so")
    page = response.content.decode()
    expected = {
        (c.assessment.unit_id, c.component.code): c.percent
        for c in ComponentResult.objects.filter(
            assessment__period__year=2023, assessment__result__group__code="khoi-so"
        ).select_related("component")
    }
    shown = {
        (u.row.unit_id, code): cell.percent
        for u in response.context["units"]
        for code, cell in u.cells.items()
    }
    assert shown == expected
    assert len(response.context["components"]) == 8
    row = ComponentResult.objects.filter(
        assessment__period__year=2023,
        assessment__result__group__code="khoi-so",
        component__code="3",
    ).aggregate(avg=Avg("percent"))["avg"]
    assert response.context["averages"]["3"] == Decimal(row).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert vn(Decimal(row).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) in page


def test_the_heatmap_sorted_by_a_component_puts_the_weakest_first(db, client):
    units = get(
        client, "lanhdao", "heatmap", period="2023", group="khoi-so", component="3"
    ).context["units"]
    values = [u.cells["3"].percent for u in units]
    assert values == sorted(values)


def test_a_unit_heads_heatmap_of_the_open_round_holds_only_their_unit(db, client):
    response = get(client, "thutruong.stp", "heatmap", period="2024", group="khoi-so")
    assert [u.row.unit_id for u in response.context["units"]] == [unit("so-tu-phap").pk]
    own = ComponentResult.objects.filter(
        assessment__period__year=2024, assessment__unit__code="so-tu-phap"
    )
    # The averages are over what the unit head may see: their own unit only.
    for c in own.select_related("component"):
        assert response.context["averages"][c.component.code] == c.percent


# --- unit profile --------------------------------------------------------------------------------


def test_the_merged_units_profile_follows_its_predecessors_and_lists_every_deduction(db, client):
    merged = unit("so-tai-chinh-2024")
    response = get(client, "lanhdao", "unit", merged.pk, period="2024")
    page = response.content.decode()
    history = response.context["history"]
    codes = {(r.year, r.unit_code) for r in history}
    assert {
        (2022, "so-tai-chinh"),
        (2022, "so-ke-hoach-dau-tu"),
        (2024, "so-tai-chinh-2024"),
    } <= codes
    current = response.context["current"]
    result = merged.assessments.get(period__year=2024).result
    # Ranked among the appraised units of its group only (the others are kept apart).
    above = [
        r
        for r in stored(2024, "khoi-so")
        if r.assessment.state == "appraised" and r.percent > result.percent
    ]
    assert result.assessment.state == "appraised"
    assert (current.percent, current.rank) == (result.percent, len(above) + 1)
    assert f'<div class="tile-value" id="u-percent">{vn(result.percent)}%' in page
    deductions = Deduction.objects.filter(
        score__assessment__unit=merged, score__assessment__period__year=2024
    ).select_related("reason", "score__criterion")
    assert deductions.exists()
    for d in deductions:
        assert f"−{vn(d.points)}</strong> {d.reason.label}" in page
        assert d.note in page
    assert reverse("scoring:sheet", args=[result.assessment_id]) in page


def test_a_drafting_units_profile_counts_its_unscored_criteria_as_lost(db, client):
    """Sở Tư pháp is still drafting in 2024: criteria it has not scored count 0 points, so each
    component's lost points are its maximum minus its points, and the unscored criteria are listed
    as such."""
    own = unit("so-tu-phap")
    response = get(client, "thutruong.stp", "unit", own.pk, period="2024")
    assessment = own.assessments.get(period__year=2024)
    stored_components = {
        c.component.code: c.max_points - c.points
        for c in ComponentResult.objects.filter(assessment=assessment).select_related("component")
    }
    shown = {c.code: c.lost for c in response.context["components"]}
    assert shown == stored_components
    unscored = [line for line in response.context["lines"] if line.unscored]
    scored = set(
        CriterionScore.objects.filter(assessment=assessment).values_list("criterion_id", flat=True)
    )
    leaves = assessment.framework.criteria.filter(is_leaf=True)
    assert {line.criterion_id for line in unscored} == set(
        leaves.exclude(pk__in=scored).values_list("pk", flat=True)
    )
    assert unscored and all(line.lost == line.max_points for line in unscored)
    assert "Chưa chấm điểm" in response.content.decode()


def test_the_profile_compares_each_component_with_the_group_average(db, client):
    merged = unit("so-tai-chinh-2024")
    components = get(client, "lanhdao", "unit", merged.pk, period="2024").context["components"]
    for c in components:
        stored_percent = ComponentResult.objects.get(
            assessment__unit=merged, assessment__period__year=2024, component__code=c.code
        ).percent
        assert c.cell.percent == stored_percent
        average = ComponentResult.objects.filter(
            assessment__period__year=2024,
            assessment__result__group__code="khoi-so",
            component__code=c.code,
        ).aggregate(a=Avg("percent"))["a"]
        assert c.average == Decimal(average).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_a_unit_head_cannot_read_another_units_provisional_profile(db, client):
    other = unit("so-xay-dung")
    page = get(client, "thutruong.stp", "unit", other.pk, period="2024").content.decode()
    assert "Chưa có kết quả của đơn vị trong kỳ này mà bạn được phép xem." in page
    result = other.assessments.get(period__year=2024).result
    assert f'id="u-percent">{vn(result.percent)}' not in page
    for note in Deduction.objects.filter(
        score__assessment__unit=other, score__assessment__period__year=2024
    ).values_list("note", flat=True):
        assert f"{note}</span>" not in page


def test_a_unit_head_reads_their_own_draft_profile(db, client):
    own = unit("so-tu-phap")
    response = get(client, "thutruong.stp", "unit", own.pk, period="2024")
    assert (
        response.context["current"].percent == own.assessments.get(period__year=2024).result.percent
    )
    assert not response.context["current"].published


# --- deductions ----------------------------------------------------------------------------------


def test_the_pareto_ranks_criteria_by_the_points_they_lost(db, client):
    response = get(client, "lanhdao", "deductions", period="2023", group="khoi-so")
    criteria = response.context["criteria"]
    expected = (
        CriterionScore.objects.filter(
            assessment__period__year=2023,
            assessment__result__group__code="khoi-so",
            not_applicable=False,
        )
        .values("criterion__code")
        .annotate(lost=Sum(F("max_points") - F("points")))
        .filter(lost__gt=0)
    )
    assert {r["code"]: r["lost"] for r in criteria} == {
        e["criterion__code"]: e["lost"] for e in expected
    }
    losses = [r["lost"] for r in criteria]
    assert losses == sorted(losses, reverse=True)
    assert criteria[-1]["cumulative"] == Decimal("100.00")
    top = criteria[0]
    assert f'<td class="num">{vn(top["lost"])}</td>' in response.content.decode()


def test_the_drill_down_lists_the_units_that_lost_points_with_their_reasons(db, client):
    code = most_deducted_criterion(2023, "khoi-so")
    response = get(client, "lanhdao", "deductions", period="2023", group="khoi-so", criterion=code)
    drill = response.context["drill"]
    losers = CriterionScore.objects.filter(
        assessment__period__year=2023,
        assessment__result__group__code="khoi-so",
        criterion__code=code,
        points__lt=F("max_points"),
    )
    assert {u["unit_id"] for u in drill.units} == set(
        losers.values_list("assessment__unit_id", flat=True)
    )
    page = response.content.decode()
    deductions = Deduction.objects.filter(score__in=losers).select_related("reason")
    assert deductions.count() >= 2
    for d in deductions:
        assert d.note in page and d.reason.label in page


def test_the_component_filter_narrows_the_pareto(db, client):
    criteria = get(
        client, "lanhdao", "deductions", period="2023", group="khoi-so", component="3"
    ).context["criteria"]
    assert criteria and all(r["component_code"] == "3" for r in criteria)


def test_a_unit_heads_deduction_analysis_of_the_open_round_counts_only_their_unit(db, client):
    criteria = get(client, "thutruong.stp", "deductions", period="2024", group="khoi-so").context[
        "criteria"
    ]
    own = CriterionScore.objects.filter(
        assessment__period__year=2024, assessment__unit__code="so-tu-phap", not_applicable=False
    ).aggregate(lost=Sum(F("max_points") - F("points")))["lost"]
    assert sum(r["lost"] for r in criteria) == own


# --- climb ---------------------------------------------------------------------------------------


def test_the_climb_page_gives_the_points_to_pass_the_next_three_units(db, client):
    results = stored(2023, "khoi-so")
    me = results[6]
    response = get(
        client,
        "lanhdao",
        "climb",
        period="2023",
        group="khoi-so",
        unit=str(me.assessment.unit_id),
    )
    targets = response.context["targets"]
    above = sorted({r.percent for r in results if r.percent > me.percent})
    assert [t.target.percent for t in targets] == [
        r.percent
        for r in sorted((r for r in results if r.percent > me.percent), key=lambda r: r.percent)
    ][:3]
    first = targets[0]
    assert first.target.percent == above[0]
    assert first.points_needed == computation.points_to_pass(
        me.total_points, me.max_points, above[0]
    )
    assert f'<td class="num needed">{vn(first.points_needed)}</td>' in response.content.decode()
    assert first.plan_points >= first.points_needed or not first.reachable_by_recovery


def test_a_unit_head_climbs_only_past_published_results(db, client):
    response = get(client, "thutruong.stp", "climb", period="2024", group="khoi-so")
    row = response.context["row"]
    assert row.unit_code == "so-tu-phap"
    assert response.context["targets"] == []
    page = response.content.decode()
    assert "Chưa có kết quả đã công bố của các đơn vị xếp trên" in page
    # Every unit ranked above is provisional in the open round: the page says how many.
    assert row.rank > 1 and response.context["hidden_above"] == row.rank - 1
    assert f"{row.rank - 1} đơn vị xếp trên chưa công bố kết quả" in page
    # The picker offers only what the unit head may see: their own unit.
    assert [r.unit_code for r in response.context["choices"]] == ["so-tu-phap"]


def test_an_unknown_unit_on_the_climb_page_is_explained(db, client):
    page = get(client, "lanhdao", "climb", period="2023", unit="abc").content.decode()
    assert "Giá trị «abc» của đơn vị không hợp lệ." in page


# --- comparison ----------------------------------------------------------------------------------


def test_the_comparison_sets_this_year_against_last_for_every_unit(db, client):
    response = get(client, "lanhdao", "comparison", period="2023", group="khoi-so")
    rows = {r.unit_id: r for r in response.context["rows"]}
    last = {r.assessment.unit_id: r for r in stored(2022, "khoi-so")}
    for r in stored(2023, "khoi-so"):
        row = rows[r.assessment.unit_id]
        assert row.percent == r.percent and row.rank_change == r.rank_change
        assert row.previous_percent == last[r.assessment.unit_id].percent
    # A page past the last shows the last one.
    past = get(client, "lanhdao", "comparison", period="2023", group="khoi-so", page="99")
    assert past.context["page"] == 1
    assert [r.unit_id for r in past.context["page_rows"]] == list(rows)
    rose = response.context["rose"]
    assert rose and all(r.rank_change > 0 for r in rose)
    assert rose[0].rank_change == max(r.rank_change or 0 for r in rows.values())


def test_the_merged_unit_is_compared_with_its_predecessors(db, client):
    rows = get(client, "lanhdao", "comparison", period="2024", group="khoi-so").context["rows"]
    merged = next(r for r in rows if r.unit_id == unit("so-tai-chinh-2024").pk)
    assert merged.via_predecessors
    # The footnote explains the asterisk where there is one, and only there.
    assert "via-note" in get(client, "lanhdao", "comparison", period="2024").content.decode()
    assert "via-note" not in get(client, "lanhdao", "comparison", period="2023").content.decode()
    before = stored(2023, "khoi-so")
    expected = [
        r.percent
        for r in before
        if r.assessment.unit.code in ("so-tai-chinh", "so-ke-hoach-dau-tu")
    ]
    assert merged.previous_percent == (sum(expected) / 2).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def in_memory_comparison(who, year: int, code: str):
    """The comparison computed the slow way: every row of both years read, joined in Python."""
    from reports.selectors.results import group_rows, period_rows
    from reports.selectors.unit import predecessor_map

    # The engine's ranks, as the comparison query reads them (nothing kept apart).
    rows = group_rows(who, period=period(year), group=group(code), keep_apart=False)
    before = period_rows(who, period=period(year - 1), keep_apart=False)
    mine = {r.unit_id for r in before}
    predecessors = predecessor_map([r.unit_id for r in rows if r.unit_id not in mine])
    return computation.compare_periods(rows, before, predecessors)


def fields(rows):
    return [
        (
            r.unit_id,
            r.percent,
            r.rank,
            r.previous_percent,
            r.previous_rank,
            r.rank_change,
            r.via_predecessors,
            r.published,
            r.delta,
        )
        for r in rows
    ]


@pytest.mark.parametrize("username", ["lanhdao", "thutruong.stp"])
@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize("code", ["khoi-so", "khoi-huyen", "khoi-xa"])
def test_the_comparison_joined_in_the_database_agrees_with_the_join_in_memory(
    db, username, year, code
):
    from reports import charts
    from reports.selectors.comparison import compare_with_previous

    who = user(username)
    expected = in_memory_comparison(who, year, code)
    found = compare_with_previous(
        who, period=period(year), previous=period(year - 1), group=group(code)
    )
    assert fields(found.rows) == fields(expected)
    assert found.count == len(expected)
    rose, fell = computation.movers(expected)
    assert fields(found.rose) == fields(rose) and fields(found.fell) == fields(fell)
    # The chart's bars: the same units, whichever way they were cut.
    bars = charts.comparison_bars(expected)["data"][0]["y"] if expected else []
    assert (charts.comparison_bars(found.extremes)["data"][0]["y"] if expected else []) == bars
    # A page of it: the same rows as that slice of the whole.
    if len(expected) > 7:
        page = compare_with_previous(
            who,
            period=period(year),
            previous=period(year - 1),
            group=group(code),
            offset=7,
            limit=5,
        )
        assert fields(page.rows) == fields(expected[7:12])


def test_the_comparison_chart_keeps_the_largest_falls_and_rises(db):
    from reports.selectors.comparison import compare_with_previous

    who = user("lanhdao")
    expected = sorted(
        (r for r in in_memory_comparison(who, 2023, "khoi-huyen") if r.delta is not None),
        key=lambda r: r.delta,
    )
    found = compare_with_previous(
        who, period=period(2023), previous=period(2022), group=group("khoi-huyen"), each_side=4
    )
    assert len(expected) > 8
    assert [r.unit_id for r in found.extremes] == [r.unit_id for r in expected[:4] + expected[-4:]]


@pytest.mark.parametrize("sort", ["rank", "name", "percent", "total", "change"])
@pytest.mark.parametrize("descending", [False, True])
def test_the_ranking_sorted_by_the_database_is_the_ranking_sorted_in_memory(db, sort, descending):
    from reports import dashboards
    from reports.selectors.results import group_rows, ranking_page

    who = user("lanhdao")
    for year in (2023, 2024):
        rows = group_rows(who, period=period(year), group=group("khoi-so"))
        expected = sorted(rows, key=dashboards.SORTS[sort], reverse=descending)
        expected.sort(key=lambda r: r.apart)  # units not appraised kept apart, last
        for start in (0, 7):
            found = ranking_page(
                who,
                period=period(year),
                group=group("khoi-so"),
                limit=6,
                offset=start,
                sort=(sort, descending),
            )
            assert found == expected[start : start + 6]


def test_cached_aggregates_change_as_soon_as_a_score_does(
    db, client, django_capture_on_commit_callbacks
):
    """The ranking summary, the heatmap's averages and the deduction analysis are cached per
    results generation: an appraisal that restores lost points shows on the next request."""
    from indicators.models import Criterion
    from scoring.models import Assessment
    from scoring.services.sheet import appraisal_round
    from scoring.workflow import APPRAISAL_EDITABLE

    from .sheet_helpers import score_write

    query = {"period": "2024", "group": "khoi-huyen"}
    score = (
        CriterionScore.objects.filter(
            assessment__period__year=2024,
            assessment__state__in=APPRAISAL_EDITABLE,
            assessment__result__group__code="khoi-huyen",
            points__lt=F("max_points"),
            criterion__method="entered",
            not_applicable=False,
            deductions__isnull=True,  # points lost in the appraisal itself, not by a deduction
        )
        .select_related("assessment", "criterion")
        .first()
    )
    assert score is not None
    before = {
        name: get(client, "lanhdao", name, **query).context
        for name in ("ranking", "heatmap", "deductions")
    }
    lost_before = before["deductions"]["total_lost"]
    assessment = Assessment.objects.get(pk=score.assessment_id)
    # The appraiser types the maximum in the round's own column (the other one is read-only).
    column = "final_points" if appraisal_round(assessment) == 2 else "appraised_points"
    with django_capture_on_commit_callbacks(execute=True):
        score_write(
            assessment=assessment,
            criterion=Criterion.objects.get(pk=score.criterion_id),
            user=user("canbo.snv"),
            **{column: score.max_points},
        )
    regained = score.max_points - score.points
    after = {
        name: get(client, "lanhdao", name, **query).context
        for name in ("ranking", "heatmap", "deductions")
    }
    assert after["deductions"]["total_lost"] == lost_before - regained
    # The average of the appraised units (those not appraised yet are kept apart).
    appraised = [r.percent for r in stored(2024, "khoi-huyen") if r.assessment.state == "appraised"]
    assert 0 < len(appraised) <= 12
    assert after["ranking"]["summary"].average == (sum(appraised) / len(appraised)).quantize(
        Decimal("0.01")
    )
    assert after["ranking"]["summary"].average > before["ranking"]["summary"].average
    code = score.criterion.code.split(".")[0]
    assert after["heatmap"]["averages"][code] > before["heatmap"]["averages"][code]


def test_every_page_answers_for_a_group_without_results(db, client):
    for name in ("ranking", "heatmap", "deductions", "climb", "comparison"):
        get(client, "lanhdao", name, period="2024", group="khoi-xa")


def test_published_states_are_what_the_pages_call_published():
    assert set(PUBLISHED_STATES) == {"published", "locked"}


def test_query_counts_on_the_demo(db, client, django_assert_max_num_queries):
    client.force_login(user("lanhdao"))
    for name in ("ranking", "heatmap", "deductions", "climb", "comparison"):
        with django_assert_max_num_queries(10):
            client.get(reverse(f"reports:{name}"), {"period": "2023", "group": "khoi-so"})
    assert period(2023) and group("khoi-so")
