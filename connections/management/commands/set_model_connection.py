import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from connections.models import ModelConnection
from connections.services import connection_create, connection_update, validate_base_url
from jobs.pipeline.connection import DEFAULT_TIER_MODELS
from jobs.pipeline.pricing import known_price
from narraforge.errors import UserFacingError


def _known_price(model: str) -> tuple[float, float]:
    """The operator's prices (NF_MODEL_PRICES), then the maintained list prices; else free (local models)."""
    operator = {m: tuple(p) for m, p in (settings.NF_MODEL_PRICES or {}).items()}
    price = operator.get(model) or known_price(model) or (0.0, 0.0)
    return float(price[0]), float(price[1])


class Command(BaseCommand):
    help = (
        "Create or update a user's model connection (matched by --name, by default the URL's host). "
        "The key comes from --api-key, or from stdin when --api-key is left out or is '-' "
        "(so it need not be in the shell history). Nothing is saved when any input is refused."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--base-url", required=True, help="e.g. https://api.openai.com/v1")
        parser.add_argument(
            "--api-key", help="The key; '-' or left out: read from stdin (if not a terminal)."
        )
        parser.add_argument("--name", help="The connection's name (default: the URL's host).")
        parser.add_argument("--model-mini", help="Model for planning and checks.")
        parser.add_argument("--model-gpt4", help="Model for the prose.")
        parser.add_argument("--context", type=int, help="Context window in tokens (default: ask the server).")
        parser.add_argument("--json-mode", choices=["auto", "json_schema", "json_object", "prompt"])
        parser.add_argument("--default", action="store_true", help="Make it write the user's jobs.")

    def _read_key(self, given: str | None, stdin) -> str | None:
        if given is not None and given != "-":
            return given
        if given is None and (stdin is None or stdin.isatty()):
            return None
        try:
            text = stdin.readline()
        except OSError:  # no readable stdin (a closed or captured one): no key given
            return None
        return text.strip() or None

    def handle(self, *args, email: str, **o) -> None:
        user = User.objects.filter(email__iexact=(email or "").strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        try:  # the address first: the default name is its host
            base_url = validate_base_url(o["base_url"])
        except UserFacingError as exc:
            raise CommandError(str(exc)) from None
        key = self._read_key(o.get("api_key"), o.get("stdin", sys.stdin))
        host = urlsplit(base_url).hostname or ""
        name = (o.get("name") or host or "").strip()
        existing = (
            ModelConnection.objects.filter(user_id=user.pk, name__iexact=name).first() if name else None
        )
        try:
            if existing is None:
                mini = o.get("model_mini") or DEFAULT_TIER_MODELS["mini"]
                gpt4 = o.get("model_gpt4") or DEFAULT_TIER_MODELS["gpt4"]
                (mi, mo), (gi, go) = _known_price(mini), _known_price(gpt4)
                row = connection_create(
                    user=user,
                    name=name,
                    base_url=o["base_url"],
                    api_key=key or "",
                    model_mini=mini,
                    model_gpt4=gpt4,
                    context_window=o.get("context"),
                    json_mode=o.get("json_mode") or "auto",
                    price_mini_input=mi,
                    price_mini_output=mo,
                    price_gpt4_input=gi,
                    price_gpt4_output=go,
                    is_default=o["default"],
                )
                verb = "Created"
            else:
                changes: dict = {"base_url": o["base_url"]}
                for option, field in (("model_mini", "model_mini"), ("model_gpt4", "model_gpt4")):
                    if o.get(option):
                        changes[field] = o[option]
                        changes[f"price_{field[6:]}_input"], changes[f"price_{field[6:]}_output"] = (
                            _known_price(o[option])
                        )
                if o.get("context") is not None:
                    changes["context_window"] = o["context"]
                if o.get("json_mode"):
                    changes["json_mode"] = o["json_mode"]
                if o["default"]:
                    changes["is_default"] = True
                row = connection_update(user=user, connection_id=existing.pk, api_key=key, **changes)
                verb = "Updated"
        except UserFacingError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} connection “{row.name}” of {user.email}: {row.base_url}, "
                f"models {row.model_mini} / {row.model_gpt4}, key {row.masked_key}"
                + (", writes their jobs by default." if row.is_default else ".")
            )
        )
