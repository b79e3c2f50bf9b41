"""English throughout the interface, chosen with the language switcher, on the demo province.

Vietnamese is the source language (every msgid is Vietnamese); locale/en/LC_MESSAGES holds the only
catalogue, with its compiled .mo committed. These tests check that the switcher really changes the
language, that each kind of page (log-in, home, scoring sheet, dashboards, admin) then speaks
English with numbers written the English way (84.64) while Vietnamese keeps 84,64, and that the
catalogue is complete, free of fuzzy entries, compiled from the current .po, and covers every string
marked in the source (so a string added without a translation fails here, not in front of a user).

The catalogue checks read the .po and the .mo with the standard library only: a fresh machine has
no gettext tools and no polib.
"""

from __future__ import annotations

import ast
import csv
import gettext as gettext_module
import io
import re
import tokenize
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from reports.selectors.results import RANKED_STATES
from scoring.models import Assessment, Deduction
from units.models import Unit

from .reports_support import demo, stored, user

__all__ = ["demo"]

BASE_DIR = Path(settings.BASE_DIR)
PO = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

VIETNAMESE_LETTER = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)


@pytest.fixture(autouse=True)
def restore_language():
    """The test client's requests activate the cookie's language in this thread; put back the one
    that was active so later tests are not left in English."""
    with translation.override(translation.get_language()):
        yield


def choose(client, language: str, next_url: str = "/") -> None:
    """Press the top bar's language button."""
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response.url == next_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


def english_client(client, username: str | None):
    if username:
        client.force_login(user(username))
    choose(client, "en")
    return client


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def data_strings() -> list[str]:
    """What people typed (names of units, periods, criteria, reasons, notes, people): these stay
    Vietnamese whatever the interface language."""
    values: set[str] = {"Tiếng Việt"}  # the switcher names each language in that language
    for label in ("units", "indicators", "scoring", "surveys", "targets"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.CharField | models.TextField) and not field.choices:
                    values |= set(model.objects.values_list(field.name, flat=True).distinct())
    for person in get_user_model().objects.all():
        values.add(person.get_full_name())
    typed = (v for v in values if v and VIETNAMESE_LETTER.search(v))
    return sorted(typed, key=len, reverse=True)


def vietnamese_left(page: str, data: list[str]) -> list[str]:
    """Visible text (and titles, placeholders, labels) still in Vietnamese once data is removed."""
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    attributes = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', page)
    texts = [unescape(t).strip() for t in re.sub(r"<[^>]+>", "\n", page).split("\n") + attributes]
    left = []
    for text in texts:
        if not VIETNAMESE_LETTER.search(text):
            continue
        rest = text
        for value in data:
            rest = rest.replace(value, "")
        if VIETNAMESE_LETTER.search(rest):
            left.append(text)
    return left


def cells(page: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">([^<]*)</td>', page)


# --- the switcher and the log-in page ------------------------------------------------------------


def test_the_switcher_turns_the_login_page_english_and_back(db, client, demo):
    login = reverse("login")
    assert "Đăng nhập" in page_of(client, login)

    choose(client, "en", login)
    page = page_of(client, login)
    assert '<html lang="en">' in page
    for text in ("Log in", "Username", "Password", "Forgot your password?", "PAR Index"):
        assert text in page
    assert 'value="vi">Tiếng Việt</button>' in page
    assert vietnamese_left(page, data_strings()) == []

    choose(client, "vi", login)
    page = page_of(client, login)
    assert '<html lang="vi">' in page
    assert "Tên đăng nhập" in page
    assert 'name="language" value="en">' in page


def test_english_survives_logging_in_with_the_demo_password(db, client, demo):
    choose(client, "en", reverse("login"))
    response = client.post(
        reverse("login"), {"username": "canbo.snv", "password": "canbo@2024"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Scoring and appraisal" in page
    assert "Log out" in page
    assert "Home Affairs staff" in page  # the role label in the top bar


def test_the_login_error_is_english(db, client, demo):
    choose(client, "en", reverse("login"))
    page = client.post(reverse("login"), {"username": "canbo.snv", "password": "sai"})
    assert page.status_code == 200
    assert "Please enter a correct username and password" in page.content.decode()


# --- home -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("canbo.snv", ["Scoring and appraisal", "Frameworks and units", "Results and ranking"]),
        ("lanhdao", ["Results and ranking", "Group leaders", ">Results</a>"]),
        ("thutruong.stp", ["Your unit: Sở Tư pháp", "Self-assessment", "Period", "State"]),
        ("quantri", [">Admin<", "Frameworks and units", "Assessment period progress"]),
    ],
)
def test_the_home_page_is_english_for_every_role(db, client, demo, username, expected):
    page = page_of(english_client(client, username), reverse("home"))
    assert '<html lang="en">' in page
    assert "Current assessment period: Chỉ số CCHC năm 2024" in page  # the period's name is data
    for text in expected:
        assert text in page
    assert vietnamese_left(page, data_strings()) == []


# --- the scoring sheet ----------------------------------------------------------------------------


def sheet_of(year: int, unit_code: str) -> Assessment:
    return Assessment.objects.select_related("result").get(period__year=year, unit__code=unit_code)


def test_the_scoring_sheet_is_english(db, client, demo):
    assessment = sheet_of(2024, "so-y-te")
    page = page_of(
        english_client(client, "lanhdao"), reverse("scoring:sheet", args=[assessment.pk])
    )
    for text in (
        "Scoring sheet · Sở Y tế",
        '<th scope="col">Criterion</th>',
        ">Self-assessment</th>",
        ">First appraisal</th>",
        ">Deducted</th>",
        "Processing history",
    ):
        assert text in page
    assert '"locale": "en-US"' in page  # the running totals typed in the browser, English style
    assert vietnamese_left(page, data_strings()) == []


def test_the_sheet_states_and_transitions_are_english_for_staff(db, client, demo):
    assessment = Assessment.objects.filter(period__year=2024, state="submitted").first()
    url = reverse("scoring:sheet", args=[assessment.pk])
    page = page_of(english_client(client, "canbo.snv"), url)
    # The buttons of the moves staff may make from "submitted" (labels built per request).
    assert ">Complete appraisal</button>" in page
    assert ">Return to the unit for explanation</button>" in page
    assert vietnamese_left(page, data_strings()) == []
    with translation.override("vi"):
        vietnamese_state = assessment.get_state_display()
    with translation.override("en"):
        english_state = assessment.get_state_display()
    assert vietnamese_state != english_state
    assert english_state in page
    assert vietnamese_state not in page
    assert "Save sheet" in page
    assert "Tab moves between cells" in page


def test_the_sheet_takes_english_numbers_and_answers_in_english(db, client, demo):
    assessment = sheet_of(2024, "so-tu-phap")  # a draft: its unit head self-assesses
    criterion = assessment.framework.criteria.get(code="1.4")  # 2 points, steps of 0.25
    client = english_client(client, "thutruong.stp")
    url = reverse("scoring:sheet", args=[assessment.pk])

    def save(typed: str):
        assessment.refresh_from_db()
        data = {
            "version": assessment.version,
            f"row-{criterion.pk}": "1",
            f"self_points-{criterion.pk}": typed,
        }
        return client.post(url, data, follow=True)

    def stored_points():
        return assessment.scores.get(criterion=criterion).self_points

    page = save("1.75").content.decode()
    assert "Criteria saved (1): 1.4." in page
    assert ">Complete self-assessment</button>" in page
    assert stored_points() == Decimal("1.75")
    assert f'name="self_points-{criterion.pk}" value="1.75"' in page

    refused = save("1.3")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Not saved: some values are invalid, see the cells marked in red." in page
    assert "Criterion 1.4: the score must be a multiple of 0.25." in page
    assert stored_points() == Decimal("1.75")


def test_the_sheet_list_and_a_criterion_page_are_english(db, client, demo):
    client = english_client(client, "canbo.snv")
    page = page_of(client, reverse("scoring:assessment_list") + "?period=2024")
    for text in ("Filter", "All", "Total points", "Index (%)", "Rank"):
        assert text in page
    assert vietnamese_left(page, data_strings()) == []

    deduction = (
        Deduction.objects.filter(score__assessment__period__year=2024)
        .select_related("score__assessment", "score__criterion")
        .order_by("pk")
        .first()
    )
    assessment, criterion = deduction.score.assessment, deduction.score.criterion
    page = page_of(client, reverse("scoring:criterion", args=[assessment.pk, criterion.pk]))
    for text in ("Maximum points", "Deductions and explanations", "Evidence", "Change history"):
        assert text in page
    assert vietnamese_left(page, data_strings()) == []


# --- dashboards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("ranking", "", ["PAR Index ranking", "Group average", "Rank change", "Provisional"]),
        ("heatmap", "", ["Component indicator scores", "Sort by component indicator"]),
        ("deductions", "", ["Deduction analysis", "By deduction reason", "Total points lost"]),
        ("comparison", "", ["Comparison with last year", "Biggest rises", "Biggest falls"]),
    ],
)
def test_the_dashboards_are_english(db, client, demo, name, query, expected):
    page = page_of(english_client(client, "lanhdao"), reverse(f"reports:{name}") + query)
    for text in [*expected, "Assessment period", "Ranking group", "Show"]:
        assert text in page
    left = vietnamese_left(page, data_strings())
    # The heatmap and the Pareto chart shorten long component names ("3. Cải cách thủ tục …").
    assert [t for t in left if not t.endswith("…")] == []


def test_the_unit_profile_and_climb_analysis_are_english(db, client, demo):
    client = english_client(client, "thutruong.stp")
    unit = Unit.objects.get(code="so-tu-phap")
    page = page_of(client, reverse("reports:unit", args=[unit.pk]))
    for text in ("My unit", "Unit report (PDF)", "Rank in group", "Index and rank over the years"):
        assert text in page
    page = page_of(client, reverse("reports:climb") + f"?unit={unit.pk}")
    assert "Rank improvement analysis: Sở Tư pháp" in page
    assert "Recoverable points" in page


def test_exports_have_english_headings(db, client, demo):
    client = english_client(client, "lanhdao")
    url = reverse("reports:export", args=["ranking", "csv"]) + "?period=2024&group=khoi-so"
    response = client.get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content) if response.streaming else response.content
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    # English CSV: commas between fields, decimal points (84.64), as English Excel reads it.
    assert lines[0][:4] == ["Rank", "Unit code", "Unit", "Total points"]
    # Before publication the appraised units are ranked among themselves, the others kept apart.
    first = next(r for r in stored(2024, "khoi-so") if r.assessment.state in RANKED_STATES)
    assert lines[1][:4] == [
        "1",
        first.assessment.unit.code,
        first.assessment.unit.name,
        f"{first.total_points:.2f}",
    ]


def test_chart_labels_and_ticks_follow_the_language(db, client, demo):
    first = stored(2023, "khoi-so")[0]
    url = reverse("reports:ranking") + "?period=2023&group=khoi-so"
    client.force_login(user("lanhdao"))
    figure = client.get(url).context["figure"]
    assert figure["layout"]["separators"] == ",."
    labels = next(t for t in figure["data"] if t.get("mode") == "text")["text"]
    assert f"{first.percent:.2f}".replace(".", ",") in labels
    choose(client, "en")
    figure = client.get(url).context["figure"]
    assert figure["layout"]["separators"] == ".,"
    labels = next(t for t in figure["data"] if t.get("mode") == "text")["text"]
    assert f"{first.percent:.2f}" in labels


def test_bad_dashboard_filters_are_explained_in_english(db, client, demo):
    page = page_of(
        english_client(client, "lanhdao"), reverse("reports:ranking") + "?period=19x&group=khong"
    )
    assert "No assessment period for «19x»; showing the latest period." in page
    assert "No ranking group «khong»; showing the default group." in page


# --- numbers --------------------------------------------------------------------------------------


def test_numbers_are_english_in_english_and_vietnamese_in_vietnamese(db, client, demo):
    results = stored(2023, "khoi-so")
    percents = [r.percent for r in results]
    assert any(p != p.to_integral_value() for p in percents)  # the demo has real decimals
    url = reverse("reports:ranking") + "?period=2023&group=khoi-so"
    client.force_login(user("lanhdao"))

    vietnamese = page_of(client, url)
    assert cells(vietnamese, "num pct") == [f"{p:.2f}".replace(".", ",") for p in percents]

    choose(client, "en")
    english = page_of(client, url)
    assert cells(english, "num pct") == [f"{p:.2f}" for p in percents]
    average = sum(percents) / len(percents)
    assert f"{average.quantize(Decimal('0.01'))}" in english  # the group average in the summary


def test_thousands_are_grouped_the_english_way():
    from django.utils.formats import number_format

    with translation.override("en"):
        assert number_format(Decimal("1234.5"), 2, use_l10n=True) == "1,234.50"
    with translation.override("vi"):
        assert number_format(Decimal("1234.5"), 2, use_l10n=True) == "1.234,50"


# --- admin ----------------------------------------------------------------------------------------


def test_the_admin_is_english(db, client, demo):
    client = english_client(client, "quantri")
    page = page_of(client, reverse("admin:index"))
    for text in ("PAR Index — Administration", "Site administration", "Frameworks", "Scoring"):
        assert text in page
    # The model lists are plural in English (Vietnamese nouns have one form; a context tells
    # the two apart in the catalogue).
    for text in ("Assessment periods", "Criteria", "Units", "Deductions", "Explanations"):
        assert f">{text}<" in page
    assert vietnamese_left(page, data_strings()) == []

    page = page_of(client, reverse("admin:units_unit_changelist"))
    assert "Select unit to change" in page
    unit = Unit.objects.get(code="so-tu-phap")
    page = page_of(client, reverse("admin:units_unit_change", args=[unit.pk]))
    for text in ("Unit code", "Unit name", "Unit type", "Parent unit", "Exists from"):
        assert text in page


# --- the catalogue --------------------------------------------------------------------------------


def po_string(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> list[dict]:
    """The live entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags."""
    entries: list[dict] = []
    entry: dict = {}
    field = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, None
        elif line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += po_string(line)
        else:
            field, _space, value = line.partition(" ")
            entry[field] = po_string(value)
    return [e for e in entries if not e.get("obsolete")]


def catalogue_of(entries: list[dict]) -> dict:
    """The dictionary gettext builds from a .mo, computed from the .po's entries."""
    catalogue = {}
    for e in entries:
        if e["msgid"] == "":
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            for name, value in e.items():
                if name.startswith("msgstr["):
                    catalogue[(key, int(name[7:-1]))] = value
        else:
            catalogue[key] = e["msgstr"]
    return catalogue


PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|%s|%d|\{\w*\}")


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = read_po(PO)
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: en\n" in header["msgstr"]
    messages = [e for e in entries if e["msgid"]]
    assert len(messages) > 600
    assert [e["msgid"] for e in messages if "fuzzy" in e.get("flags", ())] == []
    untranslated = [
        e["msgid"]
        for e in messages
        if not all(v.strip() for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def test_translations_keep_every_placeholder():
    wrong = []
    for e in read_po(PO):
        if not e["msgid"]:
            continue
        if "msgid_plural" in e:
            pairs = [(e["msgid_plural"], e["msgstr[1]"])]
            # English singular may spell out "one" instead of %(n)s; every other name must stay.
            singular = sorted(p for p in PLACEHOLDER.findall(e["msgid"]) if p != "%(n)s")
            if singular != sorted(p for p in PLACEHOLDER.findall(e["msgstr[0]"]) if p != "%(n)s"):
                wrong.append(e["msgid"])
        else:
            pairs = [(e["msgid"], e["msgstr"])]
        for source, target in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
                wrong.append(source)
    assert wrong == []


def test_the_committed_mo_is_compiled_from_the_current_po():
    with MO.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    from_mo = {k: v for k, v in compiled._catalog.items() if k != ""}
    assert from_mo == catalogue_of(read_po(PO))


def test_django_serves_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("Chỉ số CCHC") == "PAR Index"
        assert translation.pgettext("worksheet", "Trang") == "Sheet"
        assert translation.gettext("Trang") == "Page"
        assert translation.ngettext("Vượt %(n)s bậc", "Vượt %(n)s bậc", 2) == "Up %(n)s places"
    with translation.override("vi"):
        assert translation.gettext("Chỉ số CCHC") == "Chỉ số CCHC"


# Where makemessages looks (the Makefile's `messages` target): everything but these.
SKIPPED = {".venv", "tests", "bench", "node_modules", "staticfiles", "media", "screenshots"}
KEYWORDS = {
    # name: (index of the context argument or None, number of message arguments)
    "_": (None, 1),
    "gettext": (None, 1),
    "gettext_lazy": (None, 1),
    "gettext_noop": (None, 1),
    "ngettext": (None, 2),
    "ngettext_lazy": (None, 2),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 2),
    "npgettext_lazy": (0, 2),
}


def source_files():
    for path in sorted(BASE_DIR.rglob("*")):
        parts = path.relative_to(BASE_DIR).parts
        if any(p in SKIPPED or p.startswith(".") for p in parts[:-1]):
            continue
        if parts[:2] == ("static", "vendor") or path.suffix not in {".py", ".html", ".txt"}:
            continue
        if path.is_file():
            yield path


def marked_strings(code: str):
    """(context, msgid, plural) of every gettext call whose arguments are string literals."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string not in KEYWORDS:
            continue
        if i + 1 >= len(tokens) or tokens[i + 1].string != "(":
            continue
        if i and tokens[i - 1].string == "def":
            continue
        args: list[str | None] = []
        current = ""
        literal = True
        for t in tokens[i + 2 :]:
            if t.string in {",", ")"}:
                args.append(current if literal and current != "" else None)
                current, literal = "", True
                if t.string == ")":
                    break
            elif t.type == tokenize.STRING and literal:
                current += ast.literal_eval(t.string)
            else:
                literal = False
                if t.string == "(":  # a nested call: give up on this one
                    args = []
                    break
        context_index, count = KEYWORDS[token.string]
        first = 0 if context_index is None else 1
        wanted = args[first : first + count]
        if len(wanted) < count or any(a is None for a in wanted):
            continue
        context = args[context_index] if context_index is not None else None
        yield context, wanted[0], wanted[1] if count == 2 else None


def test_every_marked_string_of_the_source_is_in_the_catalogue():
    """A string marked after the last `make messages` would show in Vietnamese to English users:
    run `make messages`, translate the new entries of locale/en/LC_MESSAGES/django.po (no empty
    msgstr, no fuzzy flag) and commit the .po with the recompiled .mo."""
    translated = {
        (e.get("msgctxt"), e["msgid"])
        for e in read_po(PO)
        if all(v.strip() for k, v in e.items() if k.startswith("msgstr"))
    }
    missing = []
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            code = text
        else:
            # Django's own template-to-gettext translation, as makemessages does; its filler
            # lines are not indented like Python, so flatten them for the tokenizer.
            code = "\n".join(
                line.strip() for line in templatize(text, origin=str(path)).split("\n")
            )
        for context, msgid, _plural in marked_strings(code):
            if (context, msgid) not in translated:
                missing.append(f"{path.relative_to(BASE_DIR)}: {msgid}")
    assert missing == [], (
        "untranslated strings: run `make messages`, translate them in "
        "locale/en/LC_MESSAGES/django.po, run `make messages` again and commit the .po and .mo"
    )
