"""IdentifierService, ClusterService and LookupService: convert, call the domain, convert back."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from crs.api import cluster_convert as out
from crs.api.call import current
from crs.api.encoded import encoded
from crs.api.resources import name, parent
from crs.domain.app import Domain
from crs.domain.errors import InvalidArgument
from crs.domain.names import Name, parse_name
from crs.domain.records import now_us
from crs.v1 import cluster_pb2, cluster_pb2_grpc, lookup_pb2, lookup_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]


def _identifier_name(value: str) -> tuple[Name, str]:
    """tenants/{t}/customers/{c}/identifiers/{i} -> (customer name, identifier id)."""
    head, sep, ident = value.rpartition("/identifiers/")
    if not sep or not ident or "/" in ident:
        raise InvalidArgument.of(
            "name", "must be tenants/{tenant}/customers/{customer}/identifiers/{identifier}", "INVALID_RESOURCE_NAME"
        )
    customer = name(head, "customers")
    parse_name(f"tenants/{customer.tenant}/identifiers/{ident}", "identifiers")  # same id rules
    return customer, ident


class IdentifierServicer(cluster_pb2_grpc.IdentifierServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def CreateIdentifier(
        self, request: cluster_pb2.CreateIdentifierRequest, context: Ctx
    ) -> cluster_pb2.Identifier:
        customer = name(request.parent, "customers", "parent")
        i = request.identifier
        rec = await self.d.clusters.create_identifier(current(), customer, i.kind, i.value, i.region_code)
        return out.identifier_out(customer.tenant, customer.id, rec)

    async def ListIdentifiers(
        self, request: cluster_pb2.ListIdentifiersRequest, context: Ctx
    ) -> cluster_pb2.ListIdentifiersResponse:
        customer = name(request.parent, "customers", "parent")
        items, nxt = await self.d.clusters.list_identifiers(customer, request.page_size, request.page_token)
        return cluster_pb2.ListIdentifiersResponse(
            identifiers=[out.identifier_out(customer.tenant, customer.id, r) for r in items], next_page_token=nxt
        )

    async def DeleteIdentifier(self, request: cluster_pb2.DeleteIdentifierRequest, context: Ctx) -> empty_pb2.Empty:
        customer, ident = _identifier_name(request.name)
        await self.d.clusters.delete_identifier(current(), customer, ident)
        return empty_pb2.Empty()


class ClusterServicer(cluster_pb2_grpc.ClusterServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def ResolveCluster(self, request: cluster_pb2.ResolveClusterRequest, context: Ctx) -> cluster_pb2.Cluster:
        tenant = parent(request.parent)
        key = request.WhichOneof("key")
        c = self.d.clusters
        if key == "customer":
            view = await c.resolve(tenant, customer=name(request.customer, "customers", "customer"))
        elif key == "account":
            view = await c.resolve(tenant, account=name(request.account, "accounts", "account"))
        elif key == "card":
            view = await c.resolve(tenant, card=name(request.card, "cards", "card"))
        elif key == "token":
            view = await c.resolve(tenant, token=request.token)
        elif key == "identifier":
            i = request.identifier
            view = await c.resolve(tenant, identifier=(i.kind, i.value, i.region_code))
        elif key == "cluster":
            view = await c.resolve(tenant, cluster=name(request.cluster, "clusters", "cluster"))
        else:
            raise InvalidArgument.of("key", "set one of customer, account, card, token, identifier or cluster")
        for n in (request.customer, request.account, request.card, request.cluster):
            if n and not n.startswith(f"tenants/{tenant}/"):
                raise InvalidArgument.of("parent", "must be the tenant of the resource named")
        return out.cluster_out(view)

    async def GetCluster(self, request: cluster_pb2.GetClusterRequest, context: Ctx) -> cluster_pb2.Cluster:
        return out.cluster_out(await self.d.clusters.get(name(request.name, "clusters")))

    async def ListClusterMembers(
        self, request: cluster_pb2.ListClusterMembersRequest, context: Ctx
    ) -> cluster_pb2.ListClusterMembersResponse:
        target = name(request.parent, "clusters", "parent")
        items, nxt = await self.d.clusters.list_members(target, request.page_size, request.page_token)
        return cluster_pb2.ListClusterMembersResponse(members=[out.member_out(m) for m in items], next_page_token=nxt)

    async def ExplainCluster(
        self, request: cluster_pb2.ExplainClusterRequest, context: Ctx
    ) -> cluster_pb2.ExplainClusterResponse:
        a = name(request.customer, "customers", "customer")
        b = name(request.other_customer, "customers", "other_customer")
        cluster_id, chain = await self.d.clusters.explain(a, b)
        same = bool(cluster_id) and (a.id == b.id or bool(chain))
        return cluster_pb2.ExplainClusterResponse(
            cluster=f"tenants/{a.tenant}/clusters/{cluster_id}" if same else "",
            same_cluster=same,
            path=[out.link_out(a.tenant, e) for e in chain],
        )

    async def ListClusterEvents(
        self, request: cluster_pb2.ListClusterEventsRequest, context: Ctx
    ) -> cluster_pb2.ListClusterEventsResponse:
        parts = request.parent.split("/")
        target = name(request.parent, "clusters", "parent") if len(parts) == 4 else None
        tenant = target.tenant if target else parent(request.parent)
        start_us = 0
        if request.HasField("start_time"):
            if target is not None:
                raise InvalidArgument.of("start_time", "applies to the tenant-wide listing only")
            start_us = request.start_time.seconds * 1_000_000 + request.start_time.nanos // 1000
            if start_us <= 0:
                raise InvalidArgument.of("start_time", "must be after 1970-01-01")
        events, nxt, resume = await self.d.clusters.list_events(
            tenant, target, request.page_size, request.page_token, start_us
        )
        return cluster_pb2.ListClusterEventsResponse(
            events=[out.event_out(e) for e in events], next_page_token=nxt, resume_token=resume
        )

    async def MergeCustomers(self, request: cluster_pb2.MergeCustomersRequest, context: Ctx) -> cluster_pb2.Cluster:
        names = [name(c, "customers", f"customers[{i}]") for i, c in enumerate(request.customers)]
        return out.cluster_out(await self.d.clusters.merge(current(), names, request.reason))

    async def SplitCustomer(self, request: cluster_pb2.SplitCustomerRequest, context: Ctx) -> cluster_pb2.Cluster:
        customer = name(request.customer, "customers", "customer")
        apart = [name(c, "customers", f"apart_from[{i}]") for i, c in enumerate(request.apart_from)]
        return out.cluster_out(await self.d.clusters.split(current(), customer, apart, request.reason))


class LookupServicer(lookup_pb2_grpc.LookupServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetAuthorizationContext(
        self, request: lookup_pb2.GetAuthorizationContextRequest, context: Ctx
    ) -> lookup_pb2.AuthorizationContext:
        tenant = parent(request.parent)
        rows = await self.d.lookup.authorization_rows(
            tenant, token=request.token, pan=request.pan, fingerprint=request.card_fingerprint
        )
        return encoded(out.authorization_response(self.d.lookup, rows, now_us()), lookup_pb2.AuthorizationContext)
