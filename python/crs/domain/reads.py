"""Independent reads of one call: concurrent on a store whose reads are network trips, in turn on one whose
reads complete inline (``Store.inline_reads``), where a task per read would only add event-loop work."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from crs.storage.base import Store

A = TypeVar("A")
B = TypeVar("B")


async def both(store: Store, first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """The results of two independent reads, as ``asyncio.gather(first, second)`` returns them."""
    if not store.inline_reads:
        a, b = await asyncio.gather(first, second)
        return a, b
    try:
        a = await first
    except BaseException:
        second.close()  # never started: close it so it is not reported as never awaited
        raise
    return a, await second
