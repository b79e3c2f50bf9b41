"""The filter bar (period, group, component, published version) as the URL gives it, and the
cache of the aggregates the dashboards compute over a group."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import QueryDict
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from core.params import positive_int
from core.permissions import Action, can
from core.roles import unit_id_of
from scoring import generation
from scoring.models import Period
from units.models import RankingGroup

from ..selectors.filters import default_group_id, periods_and_groups
from ..selectors.results import group_result_count
from ..selectors.snapshots import Edition, choose_version


@dataclass
class Filters:
    """The filter bar: period (year), group (code), component (code), as in the URL."""

    periods: list[Period]
    groups: list[RankingGroup]
    period: Period | None = None
    group: RankingGroup | None = None
    component: str | None = None
    version: int | None = None  # a published version asked for with ?version= (None: the latest)
    # The published version shown for the period; None: live, provisional results.
    edition: Edition | None = None
    # period id → its latest published version (None: never published), from the filter bar.
    latest: dict[int, Edition | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Before publication, units not appraised are kept apart (their state shown, no rank, no
    # conclusion drawn) unless the reader asks to rank them with the others (?drafts=ranked).
    keep_apart: bool = True

    def params(self, **overrides) -> dict[str, str]:
        params = {}
        if self.period is not None:
            params["period"] = str(self.period.year)
        if self.group is not None:
            params["group"] = self.group.code
        if self.component:
            params["component"] = self.component
        if self.version is not None:
            params["version"] = str(self.version)
        if not self.keep_apart:
            params["drafts"] = "ranked"
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params

    def query(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    def group_has_results(self) -> bool:
        """Whether the group has any result in the period, whoever may see it: an empty page then
        says the group is empty, not that the user may not see it. (A count, no figures; the
        templates call it only on an empty page.)"""
        if self.period is None or self.group is None:
            return False
        return group_result_count(period=self.period, group=self.group, edition=self.edition) > 0

    @property
    def query_drafts_ranked(self) -> str:
        """This page with the units not appraised ranked among the others (the reader asks)."""
        return self.query(drafts="ranked")

    @property
    def query_drafts_apart(self) -> str:
        """This page with the units not appraised kept apart (the default)."""
        return self.query(drafts=None)

    @property
    def edition_label(self) -> str:
        """What the pages, exports, PDF and API say about the figures they show."""
        edition = self.edition
        if edition is None:
            return _("Kết quả tạm tính (chưa công bố): số liệu có thể thay đổi.")
        label = _("Kết quả công bố · phiên bản %(version)s (%(date)s)") % {
            "version": edition.version,
            "date": dateformat.format(timezone.localtime(edition.published_at), "d/m/Y"),
        }
        if edition.reason:
            label += " — " + _("lý do đính chính: %(reason)s") % {"reason": edition.reason}
        if not edition.is_latest:
            label += " · " + _("đã có phiên bản mới hơn (phiên bản %(latest)s)") % {
                "latest": edition.latest_version
            }
        return label

    def version_links(self) -> list[tuple[int, str, bool]]:
        """(version, query string, shown) of each published version, newest first."""
        edition = self.edition
        if edition is None:
            return []
        return [(v, self.query(version=v), v == edition.version) for v in edition.versions]

    @property
    def previous_period(self) -> Period | None:
        if self.period is None:
            return None
        return next((p for p in self.periods if p.year == self.period.year - 1), None)

    @property
    def previous_edition(self) -> Edition | None:
        """The latest published version of the previous period (None: live results)."""
        previous = self.previous_period
        return self.latest.get(previous.pk) if previous is not None else None


def parse_filters(user, params: QueryDict, *, need_group: bool = True) -> Filters:
    """Reads ?period=2024&group=khoi-so&component=3; bad values fall back to defaults with an error."""
    choices = periods_and_groups()
    periods, groups = choices.periods, choices.groups
    f = Filters(periods=periods, groups=groups, latest=choices.latest)
    raw_period = params.get("period", "").strip()
    if raw_period:
        positive_int(raw_period, name="period")  # a number too large for a year is a 400
        f.period = next((p for p in periods if str(p.year) == raw_period), None)
        if f.period is None:
            f.errors.append(
                _("Không có kỳ đánh giá năm «%(value)s»; đang hiển thị kỳ gần nhất.")
                % {"value": raw_period[:20]}
            )
    if f.period is None and periods:
        f.period = periods[0]
    if f.period is not None:
        f.edition = f.latest.get(f.period.pk)
    raw_group = params.get("group", "").strip()
    if raw_group:
        f.group = next((g for g in groups if g.code == raw_group), None)
        if f.group is None:
            f.errors.append(
                _("Không có khối «%(value)s»; đang hiển thị khối mặc định.")
                % {"value": raw_group[:40]}
            )
    if f.group is None and need_group and f.period is not None:
        default_id = default_group_id(user, f.period)
        f.group = next((g for g in groups if g.pk == default_id), groups[0] if groups else None)
    raw_version = params.get("version", "").strip()
    if raw_version and f.period is not None:
        chosen = None
        number = positive_int(raw_version, name="version")
        if number is not None:
            chosen = choose_version(f.period, number, latest=f.edition)
        if chosen is not None:
            f.version, f.edition = chosen.version, chosen
        elif f.edition is None:
            f.errors.append(
                _("%(period)s chưa được công bố nên không có phiên bản «%(value)s».")
                % {"period": f.period.name, "value": raw_version[:20]}
            )
        else:
            f.errors.append(
                _(
                    "Không có phiên bản «%(value)s» của kết quả công bố; đang hiển thị phiên bản mới nhất."
                )
                % {"value": raw_version[:20]}
            )
    f.keep_apart = params.get("drafts", "").strip() != "ranked"
    raw_component = params.get("component", "").strip()
    if raw_component:
        if (
            len(raw_component) <= 20
            and raw_component.isascii()
            and all(c.isdigit() or c == "." for c in raw_component)
        ):
            f.component = raw_component
        else:
            f.errors.append(
                _("Chỉ số thành phần «%(value)s» không hợp lệ.") % {"value": raw_component[:20]}
            )
    return f


def parse_int(params: QueryDict, name: str, errors: list[str], label: str) -> int | None:
    """A whole number ≥ 1 (an id), or None with a message in `errors`; too large: a 400
    (core.params)."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    value = positive_int(raw, name=name)
    if value is None:
        errors.append(
            _("Giá trị «%(value)s» của %(label)s không hợp lệ.")
            % {"value": raw[:20], "label": label}
        )
    return value


def cached(kind: str, user, f: Filters, compute, *, per_user: bool = True):
    """An aggregate over a group's scores or results, cached until they next change.

    The key holds the results generation (scoring.generation: replaced by every recompute and
    every edit that queues one, so an entry is never older than the data), the period, the
    published version read (or "live"), the group and, when `per_user`, what the user may see
    (everything, or one unit head's view). Over a group of 10,000 units these sum a million
    criterion scores or 80,000 component results: a second, or fifty milliseconds, per request.
    """
    scope = "-"
    if per_user:
        scope = "all" if can(user, Action.VIEW_ALL_UNITS) else f"unit-{unit_id_of(user)}"
    edition = f.edition
    key = "reports:{}:{}:{}:{}:{}:{}".format(
        kind,
        generation.current(),
        f.period.pk,
        edition.snapshot_id if edition is not None else ("live" if f.keep_apart else "live-all"),
        f.group.pk if f.group else "-",
        scope,
    )
    value = cache.get(key)
    if value is None:
        value = compute()
        # Entries of an old generation are never read again: the timeout only bounds how long
        # they take room in the cache after a busy hour of edits.
        cache.set(key, value, 15 * 60)
    return value
