"""GetAuthorizationContext reads each table it needs once, in three store calls, and writes nothing (store
metrics: a ``get_each`` or ``get_each_and_scan`` is one operation labelled with the tables it read, a
``get_through`` one labelled ``index>table``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crs.v1 import lookup_pb2
from tests.helpers.data import ACME, create_account, create_customer, register_card
from tests.helpers.metrics import Samples, free_port, scrape
from tests.helpers.server import CrsServer

_OPS = "crs_store_operation_duration_seconds_count"


def _store_ops(s: Samples) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for (name, labels), v in s.items():
        if name == _OPS:
            d = dict(labels)
            key = (d["table"], d["op"])
            out[key] = out.get(key, 0.0) + v
    return out


@pytest.mark.timeout(120)
def test_three_store_calls_and_one_read_per_table(tmp_path: Path) -> None:
    port = free_port()
    server = CrsServer(root=tmp_path / "crs", extra_args=("--metrics-port", str(port)))
    try:
        server.start()
        admin = server.clients("acme-admin")
        customer = create_customer(admin)
        account = create_account(admin, customer.name)
        card = register_card(admin, account.name)
        request = lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token)
        admin.lookup.GetAuthorizationContext(request, timeout=10)  # warm
        before = _store_ops(scrape(port))
        ctx = admin.lookup.GetAuthorizationContext(request, timeout=10)
        after = _store_ops(scrape(port))
        assert ctx.cluster.size == 1
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        used = {k: n for k, n in delta.items() if n}
        assert used, "the call read the store"
        assert all(op != "apply" for (_table, op) in used), f"a read-only call wrote: {used}"
        # the card index and the card; the account step (account, cardholder's cluster, relationships); the last
        last = "clusters_by_id,customers_by_id,profiles_by_cluster,profiles_by_customer,velocity_by_cluster"
        assert used == {
            ("cards_by_token>cards_by_id", "get_through"): 1,
            ("accounts_by_id,cluster_by_customer,relationships_by_account", "get_each_and_scan"): 1,
            (last, "get_each"): 1,
        }, f"store calls: {used}"
        by_table: dict[str, float] = {}
        for (tables, _op), n in used.items():
            for table in tables.replace(">", ",").split(","):
                by_table[table] = by_table.get(table, 0) + n
        assert all(n == 1 for n in by_table.values()), f"more than one round trip to a table: {by_table}"
        # The preferred method: the cardholder's and its cluster's profile rows (the cluster id already read).
        assert {
            "cards_by_token",
            "cards_by_id",
            "clusters_by_id",
            "cluster_by_customer",
            "velocity_by_cluster",
            "profiles_by_customer",
            "profiles_by_cluster",
        } <= set(by_table)
    finally:
        server.close()
