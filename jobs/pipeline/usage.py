"""Model-call records and usage totals (per stage, per tier)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .config import TIERS


@dataclass(frozen=True)
class ModelCall:
    stage: str
    tier: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    segment: int | None = None  # 1-based segment for per-segment stages

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelCall:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _bucket() -> dict[str, Any]:
    return {"prompt_tokens": 0, "completion_tokens": 0, "tokens": 0, "cost_usd": 0.0, "calls": 0}


def _add(bucket: dict[str, Any], call: ModelCall) -> None:
    bucket["prompt_tokens"] += call.prompt_tokens
    bucket["completion_tokens"] += call.completion_tokens
    bucket["tokens"] += call.tokens
    bucket["cost_usd"] += call.cost_usd
    bucket["calls"] += 1


class Ledger:
    """Every model call of a run, including those carried in from a checkpoint."""

    def __init__(self, calls: list[ModelCall] | None = None) -> None:
        self.calls: list[ModelCall] = list(calls or [])
        self.cost_usd = sum(c.cost_usd for c in self.calls)

    def add(self, call: ModelCall) -> None:
        self.calls.append(call)
        self.cost_usd += call.cost_usd

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls)

    def by_tier(self) -> dict[str, dict[str, Any]]:
        out = {tier: _bucket() for tier in TIERS}
        for call in self.calls:
            _add(out.setdefault(call.tier, _bucket()), call)
        for bucket in out.values():
            bucket["cost_usd"] = round(bucket["cost_usd"], 6)
        return out

    def by_stage(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for call in self.calls:
            bucket = out.setdefault(call.stage, {**_bucket(), "tier": call.tier, "model": call.model})
            _add(bucket, call)
        for bucket in out.values():
            bucket["cost_usd"] = round(bucket["cost_usd"], 6)
        return out
