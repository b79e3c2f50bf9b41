
app_name = "scoring"

urlpatterns: list = [
    # The scoring sheet, appraisal, deductions, evidence, imports and exports (issue 4), and the
    # recompute status (issue 3) register here.
]
