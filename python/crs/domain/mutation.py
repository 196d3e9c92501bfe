"""One mutating call = one atomic ``apply``: the change, its audit event and its idempotency record.

``Mutation.run`` implements AIP-155: with a ``request_id`` the first result is stored (48 h) in the
same write as the change; a retry with the same id and the same request returns that stored result
and writes nothing; the same id with a different request is FAILED_PRECONDITION.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

from crs.domain import audit
from crs.domain.changefeed import outbox
from crs.domain.context import CallContext
from crs.domain.errors import Aborted, FailedPrecondition, InvalidArgument
from crs.domain.records import IdempotencyRecord, decode, encode
from crs.domain.validation import is_plain_text
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Store, Write

R = TypeVar("R")
MAX_REQUEST_ID = 128
_REPLAY_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8)  # seconds, about 1.5 s in all


class _Absent:
    """No stored result for this request_id (distinct from a stored ``None`` result)."""


ABSENT = _Absent()


@dataclass
class Change(Generic[R]):
    """What a mutation writes and returns."""

    writes: Sequence[Write]
    result: R
    resource: str
    changed_fields: Sequence[str] = ()
    purpose: str = ""


class Mutation:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def run(
        self,
        ctx: CallContext,
        result_type: type[R],
        build: Callable[[], Awaitable[Change[R]]],
        on_conflict: Callable[[ConditionFailed], Awaitable[Exception | None]] | None = None,
        attempts: int = 3,
    ) -> R:
        """Builds the change, then writes it atomically.

        ``on_conflict`` turns a failed condition into a domain error to raise, or returns None to
        rebuild and try again (for races that a fresh read resolves).
        """
        if len(ctx.request_id) > MAX_REQUEST_ID or not is_plain_text(ctx.request_id):
            raise InvalidArgument.of("request_id", f"must be at most {MAX_REQUEST_ID} printable characters")
        replay = await self._replayed(ctx, result_type)
        if not isinstance(replay, _Absent):
            return replay
        for _attempt in range(attempts):
            change = await build()
            if not change.writes and not ctx.request_id:
                return change.result  # nothing changed, nothing to remember
            writes = list(change.writes)
            if change.writes:
                writes += audit.writes(
                    audit.event(ctx, change.resource, changed_fields=change.changed_fields, purpose=change.purpose)
                )
                # The change feed's outbox rows: in this same apply, never a second write that can fail alone.
                writes += outbox.derive(change.writes, change.resource, change.changed_fields)
            if ctx.request_id:
                writes.append(
                    Put(
                        schema.idempotency_by_request,
                        (ctx.tenant, ctx.request_id),
                        encode(
                            IdempotencyRecord(
                                ctx.method, ctx.request_hash, result_type.__name__, _to_json(change.result)
                            )
                        ),
                        condition=NotExists(),
                    )
                )
            try:
                await outbox.apply(self._store, writes)
                return change.result
            except ConditionFailed as failed:
                # A retry racing the first call with the same request_id loses on whichever condition it
                # meets first; once the first call's record is there, the retry returns its result.
                # A create's own row (derived or client-chosen id) taken by a first call with this request_id.
                own_row = bool(ctx.request_id) and failed.write.table.name.endswith("_by_id")
                replay = await (
                    self._replay_after_conflict(ctx, result_type) if own_row else self._replayed(ctx, result_type)
                )
                if not isinstance(replay, _Absent):
                    return replay
                if failed.write.table is schema.idempotency_by_request:
                    continue
                error = await on_conflict(failed) if on_conflict else None
                if error is not None:
                    raise error from None
        raise Aborted("the resource kept changing under concurrent requests; retry", "CONCURRENT_MODIFICATION")

    async def _replay_after_conflict(self, ctx: CallContext, result_type: type[R]) -> R | _Absent:
        """A retry racing its own first call lost on the row that call creates (same request_id, same derived
        id). On Cassandra the first call's result is written in the batch that follows its claims, so give it
        a moment to land before treating the conflict as real."""
        for delay in (0.0, *_REPLAY_WAITS):
            if delay:
                await asyncio.sleep(delay)
            replay = await self._replayed(ctx, result_type)
            if not isinstance(replay, _Absent) or not ctx.request_id:
                return replay
        return ABSENT

    async def _replayed(self, ctx: CallContext, result_type: type[R]) -> R | _Absent:
        if not ctx.request_id:
            return ABSENT
        stored = await self._store.get(schema.idempotency_by_request, (ctx.tenant, ctx.request_id))
        if stored is None:
            return ABSENT
        rec = decode(IdempotencyRecord, stored.value)
        if rec.method != ctx.method or rec.request_hash != ctx.request_hash:
            raise FailedPrecondition("request_id was already used for a different request", "REQUEST_ID_REUSED")
        return _from_json(result_type, rec.payload)


def _to_json(result: Any) -> str:
    if result is None:
        return "null"
    return json.dumps(asdict(result), separators=(",", ":"), ensure_ascii=False)


def _from_json(result_type: type[R], payload: str) -> R:
    if payload == "null":
        return None  # type: ignore[return-value]
    return decode(result_type, payload.encode())
