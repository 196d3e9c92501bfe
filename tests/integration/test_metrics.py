"""Prometheus metrics scraped from a running server (--metrics-port) move with the calls it served."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crs.v1 import customer_pb2
from tests.helpers.data import ACME, create_customer
from tests.helpers.metrics import free_port, scrape, value
from tests.helpers.server import CrsServer

GET = "/crs.v1.CustomerService/GetCustomer"
CREATE = "/crs.v1.CustomerService/CreateCustomer"


@pytest.mark.timeout(120)
def test_metrics_count_calls_by_method_and_code(tmp_path: Path) -> None:
    port = free_port()
    server = CrsServer(root=tmp_path / "crs", extra_args=("--metrics-port", str(port)))
    try:
        server.start()
        admin = server.clients("acme-admin")
        created = [create_customer(admin) for _ in range(3)]
        for c in created:
            admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=c.name), timeout=10)
        with pytest.raises(grpc.RpcError):
            admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=f"{ACME}/customers/missing"), timeout=10)
        with pytest.raises(grpc.RpcError):
            server.clients(None).customers.GetCustomer(customer_pb2.GetCustomerRequest(name=created[0].name))
        health_pb2_grpc.HealthStub(server.base_channel()).Check(health_pb2.HealthCheckRequest(), timeout=5)

        s = scrape(port)
        assert value(s, "crs_grpc_requests_total", method=CREATE, code="OK") == 3
        assert value(s, "crs_grpc_requests_total", method=GET, code="OK") == 3
        assert value(s, "crs_grpc_requests_total", method=GET, code="NOT_FOUND") == 1
        assert value(s, "crs_grpc_requests_total", method=GET, code="UNAUTHENTICATED") == 1
        assert not any("Health" in dict(labels).get("method", "") for (_, labels) in s), "health is not counted"
        assert value(s, "crs_grpc_request_duration_seconds_count", method=GET) == 5
        assert value(s, "crs_grpc_request_duration_seconds_bucket", method=GET, le="+Inf") == 5
        assert value(s, "crs_grpc_in_flight_requests", method=GET) == 0
        assert value(s, "crs_grpc_shed_requests_total") == 0
        assert value(s, "crs_store_operation_duration_seconds_count", table="customers_by_id", op="apply") == 3
        assert value(s, "crs_store_operation_duration_seconds_count", table="customers_by_id", op="get") >= 4
        assert value(s, "crs_store_errors_total") == 0
        assert value(s, "crs_cluster_index_size") == 1  # the last create reconciled a one-customer graph
        assert value(s, "crs_key_ids_in_use", key_id="k1", active="true") == 1
        text = "\n".join(f"{n}{dict(ls)}" for (n, ls) in s)
        assert "key" not in text.replace("key_id", "").replace("crs_key_ids_in_use", ""), "only key ids"
    finally:
        server.close()
