from django.core.management.base import BaseCommand, CommandError

from connections.services import connection_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored API key with the first key of NF_CONNECTION_KEYS. Rotate by putting "
        "a new key first and keeping the old ones after it, running this, then removing the old keys."
    )

    def handle(self, *args, **options) -> None:
        report = connection_keys_rotate()
        if report.unreadable:
            raise CommandError(
                f"Re-encrypted {report.rotated} key(s), but {len(report.unreadable)} cannot be read with any "
                "of NF_CONNECTION_KEYS (connections: "
                + ", ".join(report.unreadable[:20])
                + "). Add back the key they were made with and run this again; nothing else was changed."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {report.rotated} API key(s) with the first key of NF_CONNECTION_KEYS; "
                f"{report.without_key} connection(s) have no key. The older keys can now be removed."
            )
        )
