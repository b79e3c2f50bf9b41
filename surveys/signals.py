"""What the surveys app announces to the apps above it. Surveys imports none of its listeners: the
scoring app connects to these in its AppConfig.ready().

results_changed(sender, survey: Survey)
    Sent inside the writing transaction when results of the survey were written or deleted, by
    surveys.services and the surveys admin.
"""

from django.dispatch import Signal

results_changed = Signal()
