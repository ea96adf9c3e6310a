from django.apps import AppConfig


class RiversideConfig(AppConfig):
    """The demo's front door: its sites (the clinic, Riverside Cloud), their layouts,
    the log-in that sends each user to their own site."""

    name = "riverside"
    verbose_name = "Riverside demo"
