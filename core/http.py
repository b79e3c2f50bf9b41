"""Response headers shared by the views that send data rather than pages."""

from django.views.decorators.cache import cache_control

# Exports, PDF reports, API answers and evidence files hold one user's view of the figures: no
# shared cache (a proxy) may keep them, and the browser does not store them on disk.
private_no_store = cache_control(private=True, no_store=True)
