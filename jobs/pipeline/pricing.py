"""Up-front cost estimate shown on the brief form before a job is queued, and known models' prices.

``known_price`` reads the maintained table in ``data/model_prices.json``: the
defaults of a connection's price fields (the writer can edit them).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from .backends import Capabilities, capabilities_of
from .brief import Brief
from .config import EngineConfig
from .context import SEGMENT_PROMPT_TOKENS
from .stages.planning import SEGMENT_BATCH, segment_count

TOKENS_PER_WORD = {"en": 1.4, "pl": 1.9}  # prose tokens per word, typical BPE tokenizers
# The share of segments the local checks are expected to flag (polish.py). Which ones are is known only
# once they are written; a fifth is what a model that slips now and then gives (the local server's
# testing_prose.FLAW_RATES: 19 % of passages). The cost ceiling still holds a run that needs more.
FLAGGED_SHARE = 0.2


def estimate_cost(
    brief: Brief,
    config: EngineConfig | None = None,
    backend: str | Capabilities = "openai",
    *,
    plan: dict[str, Any] | None = None,
    part: str = "all",
    polish: str | None = None,
) -> float:
    """Expected USD for a run ($0 for a backend whose calls are not priced).

    Counts what the pipeline actually sends: fixed planning calls, one
    planning call per batch of segments, for every segment a bounded drafting
    prompt plus its prose, the polishing pass the brief chose (``polish``
    overrides it) at the connection's polish tier, one coherence judgment and
    one editorial review. ``flagged`` is priced at
    ``FLAGGED_SHARE`` of the segments: which ones are is known only once they
    are written.

    The words are the ones that will be written: a given ``plan`` (a reviewed
    plan's draft, a revision) has its own total and segment count, and skips
    the planning stages it replaces; otherwise the brief's target. ``part``
    is ``"all"``, ``"planning"`` (stages 01–05: a plan-review job) or
    ``"drafting"`` (06–10).
    """
    if not (backend if isinstance(backend, Capabilities) else capabilities_of(backend)).priced:
        return 0.0
    config = config or EngineConfig()
    mini, gpt4 = config.model_for("mini"), config.model_for("gpt4")
    if plan is not None:
        segments = [s for s in plan.get("segments") or [] if isinstance(s, dict)]
        n = max(len(segments), 1)
        words = sum(int(s.get("target_words") or 0) for s in segments)
        part = "drafting" if part == "all" else part
    else:
        n = segment_count(brief.target_words, config.segment_words)
        words = brief.target_words
    prose = words * TOKENS_PER_WORD.get(brief.language, 1.6)
    batches = -(-n // SEGMENT_BATCH)
    cost = 0.0
    if part in ("all", "planning"):
        cost += config.cost(mini, 600 + 800 + 1200 + 1000, 300 + 800 + 1500 + 800)  # stages 01–04
        cost += config.cost(mini, batches * 700, n * 200)  # 05
    if part in ("all", "drafting"):
        cost += config.cost(gpt4, n * SEGMENT_PROMPT_TOKENS, int(prose))  # 06
        cost += config.cost(gpt4, 2400, 300)  # 07
        chosen = polish or brief.polish
        if chosen != "off":  # 08: resend the prose, get it back (flagged: the expected share of it)
            share = 1.0 if chosen == "every" else FLAGGED_SHARE
            cost += share * config.cost(
                config.model_for(config.polish_tier), int(prose) + n * 150, int(prose)
            )
        cost += config.cost(mini, 300 + n * 60, 100 + n * 15)  # 09
    return round(cost, 4)


# -- the maintained price table (data/model_prices.json) ----------------------------------------------
_PRICES_FILE = Path(__file__).resolve().parent / "data" / "model_prices.json"
_DATED_RE = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4}|\d{8}|latest|preview)$")


@functools.cache
def price_table() -> dict[str, tuple[float, float]]:
    """Known models' list prices, USD per 1M tokens (input, output)."""
    with open(_PRICES_FILE, encoding="utf-8") as fh:
        raw = json.load(fh)["prices"]
    return {model.lower(): (float(p[0]), float(p[1])) for model, p in raw.items()}


def known_price(model: str) -> tuple[float, float] | None:
    """The table's price for ``model``, or None when it is not a model the table knows.

    Matches the id as a provider serves it: ``openai/gpt-4o`` (OpenRouter) and
    ``gpt-4o-2024-08-06`` (a dated snapshot) are priced as ``gpt-4o``; an Azure
    deployment is priced only when it is named after its model. Local servers'
    models (``llama3.1:8b`` on Ollama) are not in the table: they cost nothing
    per token.
    """
    table = price_table()
    name = (model or "").strip().lower()
    candidates = [name, name.rsplit("/", 1)[-1]]
    for candidate in list(candidates):
        stripped = candidate
        while _DATED_RE.search(stripped):
            stripped = _DATED_RE.sub("", stripped)
            candidates.append(stripped)
    for candidate in candidates:
        if candidate in table:
            return table[candidate]
    return None
