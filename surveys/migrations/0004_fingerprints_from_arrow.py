"""The units' fingerprints (SurveyUnitLoad.fingerprint) recomputed from their stored blocks: the
respondents' ids are now hashed from Arrow's buffers (surveys.fingerprints), not as Python strings
by pandas, so an import of the same answers after this migration still finds them unchanged. The
reverse computes the former fingerprints again."""

import numpy as np
import pandas as pd
from django.db import migrations


def _blocks(apps):
    SurveyUnitAnswers = apps.get_model("surveys", "SurveyUnitAnswers")
    SurveyUnitLoad = apps.get_model("surveys", "SurveyUnitLoad")
    for load in SurveyUnitLoad.objects.order_by("pk").iterator(chunk_size=500):
        block = SurveyUnitAnswers.objects.filter(survey_id=load.survey_id, unit_id=load.unit_id)
        block = block.first()
        if block is not None:
            yield load, block


def arrow_fingerprints(apps, schema_editor):
    from surveys.fingerprints import block_fingerprint

    for load, block in _blocks(apps):
        load.fingerprint = block_fingerprint(
            block.sheets, block.respondents, block.dates, block.answers
        )
        load.save(update_fields=["fingerprint"])


def _former(block) -> str:
    """The fingerprint as the import computed it before (pandas' hash of each id and date)."""
    from surveys.sheets import ids_of

    if not block.sheets:
        return "0-0"
    chars = np.frombuffer(block.answers.encode("ascii"), dtype=np.uint8).reshape(block.sheets, -1)
    matrix = np.where(chars == ord("."), 0, chars - ord("0")).astype(np.uint8)
    n, q = matrix.shape
    padded = np.zeros((n, -(-q // 8) * 8), dtype=np.uint8)
    padded[:, :q] = matrix
    dates = np.array([d or "\\N" for d in block.dates.split("\n")], dtype=object)
    words = [pd.util.hash_array(dates)]
    words += [padded.view(np.uint64)[:, k] for k in range(padded.shape[1] // 8)]
    h = pd.util.hash_array(np.array(ids_of(block.respondents), dtype=object), categorize=False)
    for word in words:
        h = (h ^ word) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
    high = int((h >> np.uint64(32)).astype(np.int64).sum())
    low = int((h & np.uint64(0xFFFFFFFF)).astype(np.int64).sum())
    return f"{high:x}-{low:x}"


def former_fingerprints(apps, schema_editor):
    for load, block in _blocks(apps):
        load.fingerprint = _former(block)
        load.save(update_fields=["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_survey_unit_answers")]

    operations = [migrations.RunPython(arrow_fingerprints, former_fingerprints)]
