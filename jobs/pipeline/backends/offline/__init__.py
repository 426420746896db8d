"""The embedded offline engine: a deterministic procedural writer (see ``backend``)."""

from __future__ import annotations

from .backend import OfflineBackend

__all__ = ["OfflineBackend"]
