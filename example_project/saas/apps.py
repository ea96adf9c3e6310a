from django.apps import AppConfig


class SaasConfig(AppConfig):
    name = "saas"
    verbose_name = "Riverside Cloud"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the billing signal receivers)
