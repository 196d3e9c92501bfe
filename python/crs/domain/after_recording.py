"""What happens after RecordTransactions committed a batch: each consumer of newly recorded transactions, in turn.

Every consumer runs even when an earlier one failed; a failure is logged and never fails the call (the
transactions are durable already). How each consumer catches up is in docs/transactions.md ("After recording").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from crs.domain.context import CallContext
from crs.domain.transactions.model import TransactionRecord

OnRecorded = Callable[[CallContext, str, list[TransactionRecord]], Awaitable[None]]
log = logging.getLogger("crs.transactions")


class AfterRecording:
    def __init__(self, consumers: Sequence[tuple[str, OnRecorded]]) -> None:
        self.consumers = list(consumers)

    async def __call__(self, ctx: CallContext, tenant: str, records: list[TransactionRecord]) -> None:
        for name, consumer in self.consumers:
            try:
                await consumer(ctx, tenant, records)
            except Exception:
                log.exception("%s after recording %d transactions failed", name, len(records))
