from django.apps import AppConfig


class NarraforgeConfig(AppConfig):
    """The project package as an app: it holds operator commands and shared bases, no tables."""

    name = "narraforge"
    verbose_name = "NarraForge"
