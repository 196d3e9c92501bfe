"""Optimistic concurrency (AIP-154): the caller's etag check and the lost compare-and-set, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from crs.domain.errors import Aborted, NotFound
from crs.storage.base import ConditionFailed


def check(etag: str, current_version: str, kind: str) -> None:
    """An empty etag means "no check"; a stale one is ABORTED."""
    if etag and etag != current_version:
        raise Aborted(f"etag does not match the current {kind}; read it again", "ETAG_MISMATCH")


def conflict(kind: str) -> Callable[[ConditionFailed], Awaitable[Exception]]:
    """The ``on_conflict`` of an update: the row vanished (NOT_FOUND) or changed under us (ABORTED)."""

    async def handle(failed: ConditionFailed) -> Exception:
        if failed.current is None:
            return NotFound(f"{kind} not found", "NOT_FOUND")
        return Aborted(f"the {kind} was changed by another request; read it again and retry", "ETAG_MISMATCH")

    return handle
