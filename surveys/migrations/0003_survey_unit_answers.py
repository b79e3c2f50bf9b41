"""The answer sheets stored one row per survey and unit (SurveyUnitAnswers), not one per sheet:
the existing sheets are moved into their units' blocks, in the order they were written."""

import django.db.models.deletion
from django.db import migrations, models

ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _escaped(value: str) -> str:
    for char, code in ESCAPES.items():
        value = value.replace(char, code)
    return value


def _unescaped(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(line[i + 1], line[i + 1]))
            i += 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


def external_storage(apps, schema_editor):
    """Out of line and uncompressed on PostgreSQL: pglz would cost more than it saves."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE surveys_surveyunitanswers ALTER respondents SET STORAGE EXTERNAL, "
        "ALTER dates SET STORAGE EXTERNAL, ALTER answers SET STORAGE EXTERNAL"
    )


def sheets_to_blocks(apps, schema_editor):
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    SurveyUnitAnswers = apps.get_model("surveys", "SurveyUnitAnswers")
    blocks: dict[tuple[int, int], list] = {}
    Survey = apps.get_model("surveys", "Survey")
    Unit = apps.get_model("units", "Unit")
    # The sheets had no foreign key constraint: any of a survey or unit gone are not carried.
    rows = SurveyResponse.objects.filter(
        survey_id__in=Survey.objects.values("pk"), unit_id__in=Unit.objects.values("pk")
    )
    rows = rows.order_by("survey_id", "unit_id", "pk").values_list(
        "survey_id", "unit_id", "respondent", "answered_on", "answers"
    )
    for survey_id, unit_id, respondent, answered_on, answers in rows.iterator(chunk_size=20000):
        blocks.setdefault((survey_id, unit_id), []).append((respondent, answered_on, answers))
    SurveyUnitAnswers.objects.bulk_create(
        (
            SurveyUnitAnswers(
                survey_id=survey_id,
                unit_id=unit_id,
                sheets=len(sheets),
                respondents="\n".join(_escaped(r) for r, _d, _a in sheets),
                dates="\n".join(d.isoformat() if d else "" for _r, d, _a in sheets),
                answers="".join(a for _r, _d, a in sheets),
            )
            for (survey_id, unit_id), sheets in blocks.items()
        ),
        batch_size=50,
    )


def blocks_to_sheets(apps, schema_editor):
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    SurveyUnitAnswers = apps.get_model("surveys", "SurveyUnitAnswers")
    for block in SurveyUnitAnswers.objects.order_by("survey_id", "unit_id").iterator(chunk_size=20):
        ids = [_unescaped(line) for line in block.respondents.split("\n")] if block.sheets else []
        dates = block.dates.split("\n")
        q = len(block.answers) // len(ids) if ids else 0
        SurveyResponse.objects.bulk_create(
            (
                SurveyResponse(
                    survey_id=block.survey_id,
                    unit_id=block.unit_id,
                    respondent=r,
                    answered_on=dates[k] or None,
                    answers=block.answers[k * q : (k + 1) * q],
                )
                for k, r in enumerate(ids)
            ),
            batch_size=5000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_survey_definitions_answers"),
        ("units", "0003_unit_kinds_seed"),
    ]

    operations = [
        migrations.CreateModel(
            name="SurveyUnitAnswers",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sheets", models.PositiveIntegerField(default=0)),
                ("respondents", models.TextField(blank=True)),
                ("dates", models.TextField(blank=True)),
                ("answers", models.TextField(blank=True)),
                (
                    "survey",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="surveys.survey",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="units.unit",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="surveyunitanswers",
            constraint=models.UniqueConstraint(
                fields=("survey", "unit"), name="one_answer_block_per_unit"
            ),
        ),
        migrations.RunPython(external_storage, migrations.RunPython.noop),
        migrations.RunPython(sheets_to_blocks, blocks_to_sheets),
        migrations.RemoveIndex(model_name="surveyresponse", name="survey_response_unit"),
        migrations.DeleteModel(name="SurveyResponse"),
    ]
