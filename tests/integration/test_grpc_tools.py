"""Smoke tests with the real grpcurl and grpc-health-probe binaries."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.helpers.server import tool

SERVICES = [
    "crs.v1.CustomerService",
    "crs.v1.AccountService",
    "crs.v1.RelationshipService",
    "crs.v1.CardService",
    "crs.v1.TokenService",
    "crs.v1.AuditService",
    "grpc.health.v1.Health",
]


def run(args, timeout=30):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.timeout(60)
def test_grpcurl_list_and_describe(crs_server):
    grpcurl = tool("grpcurl")
    rc, out, err = run([grpcurl, "-plaintext", crs_server.address, "list"])
    assert rc == 0, err
    listed = set(out.split())
    for s in SERVICES:
        assert s in listed, f"{s} not listed via reflection: {sorted(listed)}"
    rc, out, err = run([grpcurl, "-plaintext", crs_server.address, "describe", "crs.v1.CustomerService"])
    assert rc == 0, err
    assert "rpc CreateCustomer ( .crs.v1.CreateCustomerRequest ) returns ( .crs.v1.Customer )" in out, out
    rc, out, err = run([grpcurl, "-plaintext", crs_server.address, "describe", "crs.v1.CreateCustomerRequest"])
    assert rc == 0, err
    assert "request_id" in out and ".crs.v1.Customer customer" in out, out
    rc, out, err = run([grpcurl, "-plaintext", crs_server.address, "describe", "crs.v1.Card"])
    assert rc == 0, err
    assert "fingerprint" in out


@pytest.mark.timeout(60)
def test_grpcurl_describe_method(crs_server):
    """`grpcurl describe <service>.<method>` resolves the method symbol through reflection."""
    grpcurl = tool("grpcurl")
    rc, out, err = run([grpcurl, "-plaintext", crs_server.address, "describe", "crs.v1.CustomerService.CreateCustomer"])
    assert rc == 0, err
    assert "rpc CreateCustomer" in out and ".crs.v1.CreateCustomerRequest" in out, out


def _field(obj, camel, snake):
    """grpcurl prints proto field names or lowerCamelCase JSON names depending on version/flags."""
    return obj[camel] if camel in obj else obj[snake]


@pytest.mark.timeout(60)
def test_grpcurl_create_and_get_customer(crs_server):
    grpcurl = tool("grpcurl")
    auth = f"authorization: Bearer {crs_server.secrets['acme-admin']}"
    email = f"grpcurl-{uuid.uuid4().hex[:10]}@example.com"
    body = {
        "parent": "tenants/acme",
        "requestId": str(uuid.uuid4()),
        "customer": {"kind": "CUSTOMER_KIND_PERSON", "displayName": "Curl Person", "emails": [email]},
    }
    rc, out, err = run(
        [
            grpcurl,
            "-plaintext",
            "-H",
            auth,
            "-d",
            json.dumps(body),
            crs_server.address,
            "crs.v1.CustomerService/CreateCustomer",
        ]
    )
    assert rc == 0, err
    created = json.loads(out)
    assert created["name"].startswith("tenants/acme/customers/")
    assert _field(created, "displayName", "display_name") == "Curl Person" and created["emails"] == [email]
    rc, out, err = run(
        [
            grpcurl,
            "-plaintext",
            "-H",
            auth,
            "-d",
            json.dumps({"name": created["name"]}),
            crs_server.address,
            "crs.v1.CustomerService/GetCustomer",
        ]
    )
    assert rc == 0, err
    got = json.loads(out)
    assert got["name"] == created["name"] and got["status"] == "CUSTOMER_STATUS_ACTIVE"
    # Without the key: Unauthenticated.
    rc, out, err = run(
        [
            grpcurl,
            "-plaintext",
            "-d",
            json.dumps({"name": created["name"]}),
            crs_server.address,
            "crs.v1.CustomerService/GetCustomer",
        ]
    )
    assert rc != 0 and "Unauthenticated" in (out + err), out + err


@pytest.mark.timeout(60)
def test_grpc_health_probe(crs_server):
    probe = tool("grpc-health-probe")
    rc, out, err = run([probe, f"-addr={crs_server.address}"])
    assert rc == 0, out + err
    for svc in ("crs.v1.CardService", "crs.v1.CustomerService", "crs.v1.TokenService"):
        rc, out, err = run([probe, f"-addr={crs_server.address}", f"-service={svc}"])
        assert rc == 0, f"{svc}: {out}{err}"
    rc, out, err = run([probe, f"-addr={crs_server.address}", "-service=crs.v1.NoSuchService"])
    assert rc != 0, out + err


@pytest.mark.timeout(30)
def test_health_every_service_without_key(crs_server):
    """Health needs no API key; "" and every crs.v1 service report SERVING; unknown services NOT_FOUND."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(crs_server.base_channel())
    for svc in ["", *(s for s in SERVICES if s.startswith("crs.v1."))]:
        resp = stub.Check(health_pb2.HealthCheckRequest(service=svc), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING, svc
    with pytest.raises(grpc.RpcError) as exc:
        stub.Check(health_pb2.HealthCheckRequest(service="crs.v1.Nope"), timeout=5)
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
