"""DiagnosticsService.Ping contract: the authenticated no-op (both backends)."""

from __future__ import annotations

import grpc

from crs.v1 import diagnostics_pb2
from tests.helpers.rpc import expect_error
from tests.helpers.server import ALL_SCOPES

SC = grpc.StatusCode


def test_ping_names_the_caller(crs_server):
    reply = crs_server.clients("acme-admin").diagnostics.Ping(diagnostics_pb2.PingRequest(), timeout=10)
    assert reply.tenant == "tenants/acme"
    assert reply.api_key_id == "acme-admin"
    assert list(reply.scopes) == sorted(ALL_SCOPES)
    other = crs_server.clients("globex-admin").diagnostics.Ping(diagnostics_pb2.PingRequest(), timeout=10)
    assert (other.tenant, other.api_key_id) == ("tenants/globex", "globex-admin")


def test_ping_needs_no_scope(crs_server):
    # acme-tok holds "tokenize" only: no read scope, and Ping still answers
    reply = crs_server.clients("acme-tok").diagnostics.Ping(diagnostics_pb2.PingRequest(), timeout=10)
    assert (reply.api_key_id, list(reply.scopes)) == ("acme-tok", ["tokenize"])


def test_ping_refuses_a_bad_key(crs_server):
    for clients in (
        crs_server.clients(None),
        crs_server.clients(raw_header="Bearer not-a-real-key"),
        crs_server.clients(raw_header="Basic " + crs_server.secrets["acme-admin"]),
    ):
        expect_error(
            SC.UNAUTHENTICATED, clients.diagnostics.Ping, diagnostics_pb2.PingRequest(), reason="UNAUTHENTICATED"
        )
