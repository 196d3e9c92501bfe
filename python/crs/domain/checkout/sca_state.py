"""A payer's SCA state, kept from the transactions reported by the switch (``observe``).

One row per customer (``sca_state_by_customer``), updated with a compare-and-set on its version. It keeps
what the RTS counters need, robust to out-of-order and duplicate reports: the remote payments without SCA
since the last successful SCA (the newest ``MAX_PENDING`` individually, older ones as an aggregate), the
last SCA time, the number of successful SCAs, merchants paid with SCA and recurring series whose first
payment had SCA. Where a late report makes the counters uncertain they err towards more payments since the
last SCA, i.e. towards a challenge, never towards an exemption the regulation does not allow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crs.domain.records import decode, encode
from crs.domain.risk.cas_rows import update_rows
from crs.domain.risk.config import TenantRiskConfig
from crs.domain.risk.txn import REMOTE_CHANNELS, RESULT_APPROVED, SCA_SUCCEEDED, RiskTxn
from crs.storage import schema
from crs.storage.base import Key, Record, Store

_WHAT = "the payer's SCA state"
MAX_PENDING = 50
MAX_SEEN = 200
MAX_MERCHANTS = 50
MAX_SERIES = 50


@dataclass(slots=True)
class ScaState:
    last_sca_us: int = 0
    successful_scas: int = 0
    # Remote payments without SCA after last_sca_us: [transaction id, occurred_us, EUR cents or -1 unknown].
    pending: list[list[str | int]] = field(default_factory=list)
    overflow_count: int = 0  # older pending payments, aggregated
    overflow_eur_cents: int = 0
    overflow_unknown: bool = False
    overflow_newest_us: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # transaction id -> occurred_us (newest MAX_SEEN)
    merchants: dict[str, int] = field(default_factory=dict)  # merchant id -> last payment with SCA
    # merchant id -> {"amount_minor", "currency", "established_us"}: first payment of the series had SCA.
    series: dict[str, dict[str, int | str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Counters:
    count: int
    eur_cents: int | None  # None: a payment in a currency without a rate is among them


def counters(state: ScaState) -> Counters:
    count = state.overflow_count + len(state.pending)
    unknown = state.overflow_unknown or any(int(p[2]) < 0 for p in state.pending)
    eur = state.overflow_eur_cents + sum(int(p[2]) for p in state.pending if int(p[2]) >= 0)
    return Counters(count, None if unknown else eur)


def _bounded(d: dict[str, int], limit: int) -> None:
    if len(d) > limit:
        for key, _v in sorted(d.items(), key=lambda kv: (kv[1], kv[0]))[: len(d) - limit]:
            del d[key]


def apply_txn(state: ScaState, txn: RiskTxn, eur_cents: int | None) -> bool:
    """Adds one reported transaction in place; False when it was already seen (nothing changes)."""
    if txn.transaction_id in state.seen:
        return False
    state.seen[txn.transaction_id] = txn.occurred_us
    _bounded(state.seen, MAX_SEEN)
    t = txn.occurred_us
    if txn.sca_outcome == SCA_SUCCEEDED:
        state.successful_scas += 1
        if t > state.last_sca_us:
            state.last_sca_us = t
            state.pending = [p for p in state.pending if int(p[1]) > t]
            if t >= state.overflow_newest_us:
                state.overflow_count, state.overflow_eur_cents, state.overflow_unknown = 0, 0, False
                state.overflow_newest_us = 0
        if txn.merchant_id:
            state.merchants[txn.merchant_id] = max(t, state.merchants.get(txn.merchant_id, 0))
            _bounded(state.merchants, MAX_MERCHANTS)
            if txn.recurring and txn.merchant_id not in state.series:
                state.series[txn.merchant_id] = {"amount_minor": txn.amount_minor, "currency": txn.currency}
                state.series[txn.merchant_id]["established_us"] = t
                if len(state.series) > MAX_SERIES:
                    oldest = min(state.series, key=lambda k: (int(state.series[k]["established_us"]), k))
                    del state.series[oldest]
        return True
    counted = txn.channel in REMOTE_CHANNELS and txn.result == RESULT_APPROVED and not txn.recurring
    if counted and t > state.last_sca_us:
        state.pending.append([txn.transaction_id, t, -1 if eur_cents is None else eur_cents])
        state.pending.sort(key=lambda p: (int(p[1]), str(p[0])))
        while len(state.pending) > MAX_PENDING:
            _tid, old_t, old_eur = state.pending.pop(0)
            state.overflow_count += 1
            state.overflow_newest_us = max(state.overflow_newest_us, int(old_t))
            if int(old_eur) < 0:
                state.overflow_unknown = True
            else:
                state.overflow_eur_cents += int(old_eur)
    return True


class ScaStates:
    def __init__(self, store: Store, config: TenantRiskConfig) -> None:
        self._store = store
        self._config = config

    async def read(self, tenant: str, customer_id: str) -> ScaState:
        stored = await self._store.get(schema.sca_state_by_customer, (tenant, customer_id))
        return decode(ScaState, stored.value) if stored else ScaState()

    async def observe_many(self, txns: Sequence[RiskTxn]) -> None:
        """``observe`` for a batch: each payer's transactions applied in order, one compare-and-set per payer
        (all in one apply where the store checks several conditions atomically)."""
        by_payer: dict[Key, list[RiskTxn]] = {}
        for t in txns:
            if t.customer_id:
                by_payer.setdefault((t.tenant, t.customer_id), []).append(t)
        await update_rows(self._store, schema.sca_state_by_customer, list(by_payer), self._updater(by_payer), _WHAT)

    def _updater(self, by_payer: dict[Key, list[RiskTxn]]) -> Callable[[Key, Record | None], tuple[bytes | None, bool]]:
        def update(key: Key, stored: Record | None) -> tuple[bytes | None, bool]:
            state = decode(ScaState, stored.value) if stored else ScaState()
            changed = False
            for t in by_payer[key]:
                changed = (
                    apply_txn(state, t, self._config.of(t.tenant).to_eur_cents(t.amount_minor, t.currency)) or changed
                )
            return (encode(state) if changed else None), changed

        return update

    async def observe(self, txn: RiskTxn) -> bool:
        """Updates the payer's SCA state from one reported transaction; False for a duplicate or no payer."""
        if not txn.customer_id:
            return False
        key: Key = (txn.tenant, txn.customer_id)
        done = await update_rows(self._store, schema.sca_state_by_customer, [key], self._updater({key: [txn]}), _WHAT)
        return done[key]
