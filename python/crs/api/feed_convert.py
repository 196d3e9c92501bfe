"""Change-feed values as the API's own resource messages, masked for the consumer's scopes."""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf import any_pb2
from google.protobuf.message import Message

from crs.api import convert
from crs.api.cluster_convert import cluster_out
from crs.api.risk_convert import alert_out
from crs.api.txn_convert import segments_out, transaction_out
from crs.domain.app import Domain
from crs.domain.changefeed.events import DELETED, FeedEventRecord
from crs.domain.clusters.records import ClusterRecord
from crs.domain.clusters.service import ClusterView
from crs.domain.context import Principal
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, RelationshipRecord, decode
from crs.domain.risk.alerts import RiskAlertRecord
from crs.domain.transactions.model import TransactionRecord
from crs.domain.transactions.segments import SegmentRecord
from crs.v1 import changefeed_pb2

# resource type -> (domain, stored record, caller) -> API message. Cards carry tokens, never PANs; customers'
# national identifiers are decrypted only for a caller with `pii` (masked otherwise), as in GetCustomer.
Renderer = Callable[[Domain, bytes, Principal], Message]


def _customer(d: Domain, value: bytes, who: Principal) -> Message:
    rec = decode(CustomerRecord, value)
    return convert.customer_out(rec, d.customers.reveal_national_ids(rec) if who.has("pii") else None)


def _segments(rec: SegmentRecord) -> Message:
    return segments_out(rec.tenant, rec.customer_id, rec)


RENDERERS: dict[str, Renderer] = {
    "customers": _customer,
    "accounts": lambda d, v, w: convert.account_out(decode(AccountRecord, v)),
    "cards": lambda d, v, w: convert.card_out(decode(CardRecord, v)),
    "relationships": lambda d, v, w: convert.relationship_out(decode(RelationshipRecord, v)),
    # The cluster itself (state, size, stats, successors); members are listed with ListClusterMembers.
    "clusters": lambda d, v, w: cluster_out(ClusterView(decode(ClusterRecord, v), [])),
    "transactions": lambda d, v, w: transaction_out(decode(TransactionRecord, v)),
    "riskAlerts": lambda d, v, w: alert_out(decode(RiskAlertRecord, v)),
    "segments": lambda d, v, w: _segments(decode(SegmentRecord, v)),
}


def register_renderer(resource_type: str, renderer: Renderer) -> None:
    """How events of another resource type (transactions, segments, ...) show their values."""
    RENDERERS[resource_type] = renderer


def value_out(domain: Domain, resource_type: str, value: bytes, who: Principal) -> any_pb2.Any | None:
    render = RENDERERS.get(resource_type)
    if render is None or not value:
        return None  # a type without a renderer: the event says what changed, not the values
    out = any_pb2.Any()
    out.Pack(render(domain, value, who))
    return out


def event_out(domain: Domain, ev: FeedEventRecord, who: Principal) -> changefeed_pb2.ChangeEvent:
    value = value_out(domain, ev.resource_type, ev.value.encode(), who) if ev.kind != DELETED else None
    return changefeed_pb2.ChangeEvent(
        event_id=ev.event_id,
        resource=ev.resource,
        resource_type=ev.resource_type,
        kind=ev.kind,  # type: ignore[arg-type]
        changed_fields=ev.changed_fields,
        value=value,
        commit_time=convert.ts(ev.commit_us),
        cursor=ev.position,
    )
