
app_name = "reports"

urlpatterns: list = [
    # Dashboards, analyses, exports and the JSON API (issue 5) register here.
]
