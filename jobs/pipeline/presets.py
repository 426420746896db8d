"""Connection presets: what a writer picks to fill a new connection's fields.

Each preset names a kind of OpenAI-compatible server, its usual base URL and
sensible defaults (models per tier, JSON mode, whether a key is needed). The
writer can change every field afterwards; the "Test connection" button then
says what the server really offers. Prices come from the price table
(``pricing.known_price``): a hosted model's list price, a local server's 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pricing import known_price


@dataclass(frozen=True)
class Preset:
    key: str  # stored with the connection (``ModelConnection.preset``)
    label: str
    base_url: str
    model_mini: str
    model_gpt4: str
    json_mode: str = "auto"
    context_window: int | None = None  # None: ask the server (or its list's metadata)
    needs_key: bool = True
    local: bool = False  # runs on the writer's (or operator's) machine: free, a private address
    hint: str = ""  # one or two sentences for the writer

    def prices(self) -> dict[str, tuple[float, float]]:
        """Per tier (input, output) USD per 1M tokens: the table's, or 0 (local server, unknown model)."""
        out = {}
        for tier, model in (("mini", self.model_mini), ("gpt4", self.model_gpt4)):
            out[tier] = (0.0, 0.0) if self.local else (known_price(model) or (0.0, 0.0))
        return out

    def as_dict(self) -> dict[str, object]:
        """For the form's preset picker (a data attribute the small script reads)."""
        prices = self.prices()
        return {
            "key": self.key,
            "label": self.label,
            "base_url": self.base_url,
            "model_mini": self.model_mini,
            "model_gpt4": self.model_gpt4,
            "json_mode": self.json_mode,
            "context_window": self.context_window or "",
            "needs_key": self.needs_key,
            "hint": self.hint,
            "price_mini_input": prices["mini"][0],
            "price_mini_output": prices["mini"][1],
            "price_gpt4_input": prices["gpt4"][0],
            "price_gpt4_output": prices["gpt4"][1],
        }


PRESETS: tuple[Preset, ...] = (
    Preset(
        "openai",
        "OpenAI",
        "https://api.openai.com/v1",
        "gpt-4o-mini",
        "gpt-4o",
        json_mode="json_schema",
        context_window=128_000,
        hint="Create a key at platform.openai.com → API keys. Usage is billed to your OpenAI account.",
    ),
    Preset(
        "openrouter",
        "OpenRouter",
        "https://openrouter.ai/api/v1",
        "openai/gpt-4o-mini",
        "openai/gpt-4o",
        hint="One key for many providers (openrouter.ai → Keys). "
        "Model ids look like “anthropic/claude-sonnet-4”.",
    ),
    Preset(
        "azure",
        "Azure OpenAI",
        "https://YOUR-RESOURCE.openai.azure.com/openai/v1",
        "gpt-4o-mini",
        "gpt-4o",
        json_mode="json_schema",
        context_window=128_000,
        hint="Replace YOUR-RESOURCE with your Azure OpenAI resource name; the models are your "
        "deployment names. Use a key from the resource's “Keys and Endpoint” page.",
    ),
    Preset(
        "ollama",
        "Ollama",
        "http://localhost:11434/v1",
        "llama3.1:8b",
        "llama3.1:8b",
        json_mode="json_object",
        needs_key=False,
        local=True,
        hint="Run “ollama serve” and pull the model first (“ollama pull llama3.1:8b”). No key is needed. "
        "The address must be reachable from the NarraForge server.",
    ),
    Preset(
        "lmstudio",
        "LM Studio",
        "http://localhost:1234/v1",
        "local-model",
        "local-model",
        json_mode="json_schema",
        needs_key=False,
        local=True,
        hint="Start LM Studio's local server (Developer → Start server) with a model loaded; "
        "“Test connection” lists the model ids it serves. No key is needed.",
    ),
    Preset(
        "llamacpp",
        "llama.cpp server",
        "http://localhost:8080/v1",
        "local-model",
        "local-model",
        needs_key=False,
        local=True,
        hint="Start llama-server with your GGUF model (add --api-key to require a key). "
        "The context window is read from the server (its --ctx-size).",
    ),
    Preset(
        "vllm",
        "vLLM",
        "http://localhost:8000/v1",
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
        json_mode="json_schema",
        needs_key=False,
        local=True,
        hint="“vllm serve MODEL” (add --api-key to require a key). The model id is the name it was started "
        "with; the context window is read from the server.",
    ),
    Preset(
        "custom",
        "Other OpenAI-compatible server",
        "",
        "",
        "",
        hint="Any server that speaks the OpenAI Chat Completions API: its base URL usually ends in /v1.",
    ),
)
PRESETS_BY_KEY: dict[str, Preset] = {p.key: p for p in PRESETS}


def preset_for(key: str) -> Preset | None:
    return PRESETS_BY_KEY.get(key or "")
