from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CarepayConfig(AppConfig):
    name = "django_carepay"
    label = "carepay"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, checks_deploy  # noqa: F401  (registers the system checks)
        from .backends import connect_setting_changed

        connect_setting_changed()
