from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Model connections"

    def ready(self) -> None:
        # Registers the deploy check (NF_CONNECTION_KEYS unset); it needs settings, hence here.
        from connections import checks  # noqa: F401
