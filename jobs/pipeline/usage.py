"""Model-call records and usage totals (per stage, per tier).

``Usage`` is the one typed value for "what was spent", per model tier. The
engine's ledger produces it, the job machinery adds and subtracts it across
attempts, and billing bills it; JSON columns hold ``Usage.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import TIERS

_COST_DIGITS = 9  # sums of many sub-cent costs: round away float noise, keep every real digit


@dataclass(frozen=True)
class TierUsage:
    """Tokens and cost on one model tier."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TierUsage) -> TierUsage:
        return TierUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            round(self.cost_usd + other.cost_usd, _COST_DIGITS),
        )

    def __sub__(self, other: TierUsage) -> TierUsage:
        """Clamped at zero. The token total is the clamped difference of the totals (billing's
        logs know only totals, so a split that does not match must not lose tokens)."""
        total = max(self.tokens - other.tokens, 0)
        completion = min(max(self.completion_tokens - other.completion_tokens, 0), total)
        return TierUsage(
            total - completion, completion, max(round(self.cost_usd - other.cost_usd, _COST_DIGITS), 0.0)
        )

    def max(self, other: TierUsage) -> TierUsage:
        """The larger cost and the larger token total (the split of the one with more tokens)."""
        more = other if other.tokens > self.tokens else self
        return TierUsage(more.prompt_tokens, more.completion_tokens, max(self.cost_usd, other.cost_usd))

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any] | None) -> TierUsage:
        """Tolerant of stored shapes: a dict with only ``tokens`` counts them as prompt tokens."""
        entry = entry if isinstance(entry, Mapping) else {}
        prompt = int(entry.get("prompt_tokens", 0) or 0)
        completion = int(entry.get("completion_tokens", 0) or 0)
        total = entry.get("tokens")
        if total is not None and int(total or 0) != prompt + completion:
            prompt, completion = max(int(total or 0) - completion, 0), min(completion, int(total or 0))
        return cls(prompt, completion, round(float(entry.get("cost_usd", 0.0) or 0.0), _COST_DIGITS))


def _zero_tiers() -> dict[str, TierUsage]:
    return {tier: TierUsage() for tier in TIERS}


@dataclass(frozen=True)
class Usage:
    """Spend per model tier ("mini", "gpt4"); every tier is always present."""

    tiers: Mapping[str, TierUsage] = field(default_factory=_zero_tiers)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", {**_zero_tiers(), **dict(self.tiers)})

    def __getitem__(self, tier: str) -> TierUsage:
        return self.tiers[tier]

    def _combine(self, other: Usage, op) -> Usage:
        keys = list(self.tiers) + [t for t in other.tiers if t not in self.tiers]
        return Usage({t: op(self.tiers.get(t, TierUsage()), other.tiers.get(t, TierUsage())) for t in keys})

    def __add__(self, other: Usage) -> Usage:
        return self._combine(other, TierUsage.__add__)

    def __sub__(self, other: Usage) -> Usage:
        return self._combine(other, TierUsage.__sub__)

    def max(self, other: Usage) -> Usage:
        return self._combine(other, TierUsage.max)

    @property
    def tokens(self) -> int:
        return sum(t.tokens for t in self.tiers.values())

    @property
    def cost_usd(self) -> float:
        return round(sum(t.cost_usd for t in self.tiers.values()), _COST_DIGITS)

    def with_call(self, call: ModelCall) -> Usage:
        return self + Usage({call.tier: TierUsage(call.prompt_tokens, call.completion_tokens, call.cost_usd)})

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {tier: usage.to_dict() for tier, usage in self.tiers.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage:
        """From a stored ``to_dict()`` (or a ledger's ``by_tier()``); non-tier keys are ignored."""
        data = data if isinstance(data, Mapping) else {}
        return cls({t: TierUsage.from_dict(e) for t, e in data.items() if t in TIERS or isinstance(e, dict)})

    @classmethod
    def from_calls(cls, calls: list[ModelCall]) -> Usage:
        usage = cls()
        for call in calls:
            usage = usage.with_call(call)
        return usage


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
        # Spelled out: every checkpoint lists every call, and asdict's deep copy made a saga's
        # 400 checkpoints of ~450 calls cost seconds.
        return {
            "stage": self.stage,
            "tier": self.tier,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "latency_s": self.latency_s,
            "segment": self.segment,
        }

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

    def usage(self) -> Usage:
        return Usage.from_dict(self.by_tier())

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
