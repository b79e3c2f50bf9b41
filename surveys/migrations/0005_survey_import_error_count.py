"""The number of a job's errors kept apart (the page said "201 errors" for a file with thousands:
it counted the 200 kept and the "… +N" line). Existing jobs get it from their list."""

from django.db import migrations, models


def counted_from_the_list(apps, schema_editor):
    SurveyImport = apps.get_model("surveys", "SurveyImport")
    for job in SurveyImport.objects.exclude(errors=[]).only("errors"):
        errors = list(job.errors)
        more = 0
        if errors and str(errors[-1]).startswith("… +") and str(errors[-1])[3:].isdigit():
            more = int(str(errors.pop())[3:])
        job.error_count = len(errors) + more
        job.save(update_fields=["error_count"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_fingerprints_from_arrow")]

    operations = [
        migrations.AddField(
            model_name="surveyimport",
            name="error_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(counted_from_the_list, migrations.RunPython.noop),
    ]
