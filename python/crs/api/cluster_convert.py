"""Cluster, identifier and authorization-context records -> crs.v1 messages."""

from __future__ import annotations

import datetime as dt

from crs._core import AuthorizationRules, CoreError, authorization_context_head, authorization_context_tail
from crs.api.convert import ts
from crs.domain.clusters.graph import Edge
from crs.domain.clusters.identifiers import KIND_NUMBERS
from crs.domain.clusters.records import ClusterEventRecord, ClusterRecord, IdentifierRecord
from crs.domain.clusters.service import ClusterView, Member, cluster_name, identifier_name
from crs.domain.identity.kinds import IdentifierKind
from crs.domain.lookup import AuthorizationContext, ContextRows, Lookup
from crs.domain.risk.signals import Assessment
from crs.domain.risk.velocity import Velocity
from crs.v1 import cluster_pb2

# The tuples ``_core.authorization_context_tail`` takes (see its stub).
ClusterPart = tuple[str, int, int, int, dict[str, int], list[tuple[int, str, str, int, str]]]
VelocityPart = tuple[list[tuple[str, int, dict[str, tuple[int, int]]]], int, int, int, int]
RiskPart = tuple[int, list[tuple[str, int, str]], VelocityPart | None]


def _customer_name(tenant: str, cid: str) -> str:
    return f"tenants/{tenant}/customers/{cid}"


def identifier_out(tenant: str, customer_id: str, r: IdentifierRecord) -> cluster_pb2.Identifier:
    return cluster_pb2.Identifier(
        name=identifier_name(tenant, customer_id, r.id),
        kind=KIND_NUMBERS[IdentifierKind(r.kind)],  # type: ignore[arg-type]
        masked_value=r.masked,
        fingerprint=r.fingerprint,
        source=r.source,  # type: ignore[arg-type]
        strong=r.strong,
        create_time=ts(r.create_us),
    )


def member_out(m: Member) -> cluster_pb2.ClusterMember:
    c = m.customer
    return cluster_pb2.ClusterMember(
        customer=_customer_name(c.tenant, c.id),
        display_name=c.display_name,
        identifiers=[identifier_out(c.tenant, c.id, i) for i in m.identifiers],
        customer_since=ts(c.create_us),
    )


def _flags(r: ClusterRecord) -> list[cluster_pb2.RiskFlag]:
    return [
        cluster_pb2.RiskFlag(
            code="SHARED_IDENTIFIER",
            kind=kind,  # type: ignore[arg-type]
            masked_value=masked,
            fingerprint=fingerprint,
            customer_count=count,
            reason=reason,
        )
        for kind, masked, fingerprint, count, reason in _flag_parts(r)
    ]


def stats_out(r: ClusterRecord) -> cluster_pb2.ClusterStats:
    return cluster_pb2.ClusterStats(**{k: int(v) for k, v in r.stats.items()})


def cluster_out(v: ClusterView) -> cluster_pb2.Cluster:
    r = v.record
    return cluster_pb2.Cluster(
        name=cluster_name(r.tenant, r.id),
        state=r.state,  # type: ignore[arg-type]
        version=r.version,
        size=r.size,
        successor_clusters=[cluster_name(r.tenant, s) for s in r.successors],
        first_seen_time=ts(r.first_seen_us),
        last_seen_time=ts(r.last_seen_us),
        stats=stats_out(r),
        risk_flags=_flags(r),
        members=[member_out(m) for m in v.members],
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
        etag=f"{r.version}",
    )


def link_out(tenant: str, e: Edge) -> cluster_pb2.ClusterLink:
    link = e.link
    return cluster_pb2.ClusterLink(
        from_customer=_customer_name(tenant, e.a),
        to_customer=_customer_name(tenant, e.b),
        rule=e.rule,  # type: ignore[arg-type]
        identifiers=[
            cluster_pb2.Identifier(
                kind=KIND_NUMBERS[IdentifierKind(i.kind)],  # type: ignore[arg-type]
                masked_value=i.masked,
                fingerprint=i.fingerprint,
                strong=i.strong,
            )
            for i in e.identifiers
        ],
        match_weight=link.weight if link else 0.0,
        comparison_levels=dict(link.levels) if link else {},
        reason=link.reason if link else "",
    )


def event_out(ev: ClusterEventRecord) -> cluster_pb2.ClusterEvent:
    return cluster_pb2.ClusterEvent(
        name=f"tenants/{ev.tenant}/clusterEvents/{ev.event_id}",
        kind=ev.kind,  # type: ignore[arg-type]
        cluster=cluster_name(ev.tenant, ev.cluster_id),
        cluster_version=ev.cluster_version,
        related_clusters=[cluster_name(ev.tenant, c) for c in ev.related],
        customers=[_customer_name(ev.tenant, c) for c in ev.customers],
        reason=ev.reason,
        event_time=ts(ev.time_us),
    )


def _flag_parts(r: ClusterRecord) -> list[tuple[int, str, str, int, str]]:
    """The cluster's risk flags as (identifier kind number, masked value, fingerprint, customer count, reason):
    the fields of each ``RiskFlag``, for ``_flags`` and for ``_core.authorization_context_tail``."""
    out = []
    for f in r.risk_flags:
        kind = IdentifierKind(str(f["kind"]))
        count = int(f["count"])
        reason = f"{kind.value.lower()} carried by {count} customers: too widely shared to link"
        out.append((KIND_NUMBERS[kind], str(f["masked"]), str(f["fingerprint"]), count, reason))
    return out


def _cluster_part(c: ClusterRecord) -> ClusterPart:
    return (cluster_name(c.tenant, c.id), c.version, c.size, c.first_seen_us, c.stats, _flag_parts(c))


def _risk_part(a: Assessment, v: Velocity | None) -> RiskPart:
    velocity = (
        (
            [(window, t.count, t.by_currency) for window, t in v.windows.items()],
            v.at_us,
            v.watermark_us,
            v.late_dropped,
            v.duplicates,
        )
        if v is not None
        else None
    )
    return (a.score, [(s.code, s.score, s.reason) for s in a.signals], velocity)


def authorization_encoded(ctx: AuthorizationContext, now_us: int) -> bytes:
    """The encoded ``AuthorizationContext``, in ``_core``: the card, account, owners, as-of time and preferred
    method from the stored records (the head), then the cluster and its risk summary (fields 4 and 6) from the
    values the domain computed (the tail; encodings of one message concatenated parse as their merge). Equal to
    the message the protobuf runtime builds field by field, which
    ``tests/property/test_authorization_encoding.py`` holds."""
    found = ctx.lookup
    now = dt.datetime.fromtimestamp(now_us / 1e6, dt.UTC)
    head = authorization_context_head(
        found.card_json,
        found.account_json,
        found.owners_json,
        ctx.clusters_of,
        (now_us, now.year, now.month),
        ctx.preferred_method,
    )
    if ctx.cluster is None and ctx.risk is None:
        return head
    return head + authorization_context_tail(
        _cluster_part(ctx.cluster) if ctx.cluster is not None else None,
        _risk_part(ctx.risk, ctx.velocity) if ctx.risk is not None else None,
    )


def authorization_response(lookup: Lookup, rows: ContextRows, now_us: int) -> bytes:
    """The encoded ``AuthorizationContext`` from the rows one lookup read: computed and encoded in one ``_core``
    call by the tenant's rules there (``core_encoded``), or, where the core leaves it to Python
    (``Lookup.core_rules`` is None or the call raises ``CoreError``), by the Python rules and
    ``authorization_encoded``. Both give the same bytes (``tests/property/test_authorization_core.py``)."""
    rules = lookup.core_rules(rows.tenant)
    if rules is not None:
        try:
            return core_encoded(rules, rows, now_us)
        except CoreError:
            pass
    return authorization_encoded(lookup.context_of(rows, now_us), now_us)


def core_encoded(rules: AuthorizationRules, rows: ContextRows, now_us: int) -> bytes:
    """``rules.authorization_context`` on the rows (raises ``CoreError`` for what it leaves to Python)."""
    found, prefs = rows.lookup, rows.preferences
    now = dt.datetime.fromtimestamp(now_us / 1e6, dt.UTC)
    return rules.authorization_context(
        (found.card_json, found.account_json, found.owners_json),
        rows.clusters_of,
        (
            rows.cluster.value if rows.cluster else None,
            rows.velocity.value if rows.velocity else None,
            prefs[0].value if prefs and prefs[0] else None,
            prefs[1].value if len(prefs) > 1 and prefs[1] else None,
        ),
        (now_us, now.year, now.month),
    )
