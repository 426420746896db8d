from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Signal handlers import models, which exist only once the app registry is ready.
        from accounts import signals  # noqa: F401
