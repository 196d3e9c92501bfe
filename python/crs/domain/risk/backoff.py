"""Jittered exponential backoff between compare-and-set attempts on one hot row."""

from __future__ import annotations

import asyncio
import random

_BASE_S = 0.001
_CAP_S = 0.05


async def backoff(attempt: int) -> None:
    """Sleeps up to min(cap, base * 2**attempt), uniformly jittered, so contending writers spread out."""
    await asyncio.sleep(random.uniform(0, min(_CAP_S, _BASE_S * 2**attempt)))
