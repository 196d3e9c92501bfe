"""Structured logs: JSON lines on stderr, one "rpc" line per call with the documented fields."""

from __future__ import annotations

import json

import grpc
import pytest

from crs.v1 import customer_pb2
from tests.helpers.data import ACME, new_customer, uid

FIELDS = {"method", "code", "latency_ms", "tenant", "request_id", "peer", "actor"}


@pytest.mark.timeout(60)
def test_one_json_line_per_rpc(fresh_server):
    server = fresh_server
    admin = server.clients("acme-admin")
    rid = "req-" + uid()  # no long digit runs: must be logged verbatim
    created = admin.customers.CreateCustomer(
        customer_pb2.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=rid), timeout=30
    )
    missing = f"tenants/acme/customers/missing-{uid()}"
    for clients, code in (
        (admin, grpc.StatusCode.NOT_FOUND),
        (server.clients(None), grpc.StatusCode.UNAUTHENTICATED),
        (server.clients("acme-tok"), grpc.StatusCode.PERMISSION_DENIED),
    ):
        with pytest.raises(grpc.RpcError) as exc:
            clients.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=missing), timeout=30)
        assert exc.value.code() == code
    admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=created.name), timeout=30)
    assert server.terminate() == 0

    records = []
    for line in server.log_file.read_text().splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"non-JSON line on stderr: {line[:200]!r}")
    rpc = [r for r in records if r.get("event") == "rpc"]
    for r in rpc:
        assert set(r) >= FIELDS, f"rpc log line lacks {FIELDS - set(r)}: {r}"
        assert isinstance(r["latency_ms"], int | float) and r["latency_ms"] >= 0
    create = [r for r in rpc if r["method"] == "/crs.v1.CustomerService/CreateCustomer"]
    assert len(create) == 1
    assert create[0]["code"] == "OK" and create[0]["request_id"] == rid
    assert create[0]["tenant"] == "acme" and create[0]["actor"] == "acme-admin"
    assert "127.0.0.1" in str(create[0]["peer"])
    gets = [r for r in rpc if r["method"] == "/crs.v1.CustomerService/GetCustomer"]
    assert [r["code"] for r in gets] == ["NOT_FOUND", "UNAUTHENTICATED", "PERMISSION_DENIED", "OK"]
    assert gets[2]["actor"] == "acme-tok"
    # Values never logged.
    text = server.log_file.read_text()
    assert created.emails[0] not in text and created.display_name not in text
    assert server.secrets["acme-admin"] not in text


@pytest.mark.timeout(60)
def test_uuid_request_id_logged_verbatim(fresh_server):
    """AIP-155 recommends UUIDs for request_id. This random UUIDv4 has digit groups that, joined across the
    dashes, contain a Luhn-valid 14-digit window; the log's request_id must still equal the client's."""
    server = fresh_server
    rid = "f8645140-0987-454f-bcb7-77168cade27a"
    server.clients("acme-admin").customers.CreateCustomer(
        customer_pb2.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=rid), timeout=30
    )
    assert server.terminate() == 0
    rpc = [json.loads(line) for line in server.log_file.read_text().splitlines() if '"rpc"' in line]
    create = [r for r in rpc if r.get("method") == "/crs.v1.CustomerService/CreateCustomer"]
    assert len(create) == 1
    assert create[0]["request_id"] == rid, f"logged request_id {create[0]['request_id']!r} != {rid!r}"
