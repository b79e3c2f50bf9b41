from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The invented province and its users (`load_demo`), and the `screenshots` dev tool. No models."""

    name = "demo"
