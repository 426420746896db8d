"""Decks that share one supply of sentences across a whole narrative.

Segments are written independently (a resumed run or a regenerated chapter
writes segment *i* without segments before it), yet the narrative must not
loop. So every sentence source has a fixed, seeded order over its whole space
(a single list, or the product of several part lists), and segment *i* of *S*
owns the slice ``[(i-1)·N/S, i·N/S)`` of that order. Two segments never draw
the same item; a segment whose slice is used up gets ``None`` and the writer
falls back to another source, so a 200-chapter saga spends its 40 stock
reactions once each instead of 200 times.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence


def _coprime(n: int, rng: random.Random) -> int:
    if n <= 2:
        return 1
    while True:
        a = rng.randrange(1, n)
        if math.gcd(a, n) == 1:
            return a


class RangeDeck[T]:
    """Items in a narrative-wide seeded order; this segment's slice only."""

    def __init__(self, items: Sequence[T], *, key: str, seed: int, index: int, segments: int) -> None:
        self.items = items if isinstance(items, range | tuple) else list(items)
        n = len(self.items)
        rng = random.Random(seed * 31 + zlib.crc32(key.encode()))
        self._a, self._b = _coprime(n, rng), rng.randrange(max(1, n))
        segments = max(1, segments)
        cycle, i = divmod(max(0, index - 1), segments)
        self._offset = cycle  # past the planned count (a longer edited plan): a new order
        self._next = i * n // segments
        self._end = (i + 1) * n // segments
        self._n = n

    def remaining(self) -> int:
        return self._end - self._next

    def draw(self) -> T | None:
        if self._next >= self._end or not self._n:
            return None
        c = self._next
        self._next += 1
        return self.items[(self._a * c + self._b + self._offset) % self._n]


class ProductDeck:
    """Combinations of several part lists, each combination used once per narrative."""

    def __init__(
        self, parts: Sequence[Sequence[str]], *, key: str, seed: int, index: int, segments: int
    ) -> None:
        self.parts = [p if isinstance(p, tuple) else list(p) for p in parts]
        self._sizes = [len(p) for p in self.parts]
        total = math.prod(self._sizes) if all(self._sizes) else 0
        self._order = RangeDeck(range(total), key=key, seed=seed, index=index, segments=segments)

    def remaining(self) -> int:
        return self._order.remaining()

    def draw(self) -> list[str] | None:
        c = self._order.draw()
        if c is None:
            return None
        out = []
        for part, size in zip(self.parts, self._sizes, strict=True):
            c, digit = divmod(c, size)
            out.append(part[digit])
        return out
