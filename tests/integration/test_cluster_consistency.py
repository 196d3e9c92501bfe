"""Clusters across server processes on one store, and offline rebuild (docs/clusters.md, "Consistency")."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from crs.v1 import cluster_pb2, lookup_pb2
from tests.helpers.data import ACME, create_account, create_customer, make_iban, register_card, request_id, uid
from tests.helpers.server import python_env

C = cluster_pb2


def _add_iban(clients, customer: str, iban: str) -> None:
    clients.identifiers.CreateIdentifier(
        C.CreateIdentifierRequest(
            parent=customer,
            identifier=C.Identifier(kind=C.IDENTIFIER_KIND_BANK_ACCOUNT, value=iban),
            request_id=request_id(),
        ),
        timeout=60,
    )


def _cluster(clients, customer: str) -> C.Cluster:
    return clients.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME, customer=customer), timeout=60)


def _bare(clients):
    u = uid()
    return create_customer(clients, emails=[f"p-{u}@example.org"], phones=[], display_name=f"P {u}", legal_name="")


def test_a_write_on_one_process_is_visible_on_another_at_once(server_factory, tmp_path: Path):
    a = server_factory().start()
    b = server_factory(root=tmp_path / "twin", sibling_of=a).start()
    ca, cb = a.clients(), b.clients()
    x, y = _bare(ca), _bare(ca)
    account = create_account(ca, x.name)
    card = register_card(ca, account.name)
    # Read on the second process right after the first acknowledged: no waiting (the store is read).
    ctx = cb.lookup.GetAuthorizationContext(
        lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token), timeout=30
    )
    assert ctx.card.card == card.name and ctx.cluster.size == 1
    iban = make_iban(int(time.time() * 1000) % 10**12)
    _add_iban(ca, x.name, iban)
    _add_iban(ca, y.name, iban)
    ctx = cb.lookup.GetAuthorizationContext(
        lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token), timeout=30
    )
    assert ctx.cluster.size == 2 and ctx.cluster.stats.distinct_bank_accounts == 1
    assert _cluster(cb, y.name).name == ctx.cluster.cluster


def _race(clients: list, customers: list[str], iban: str) -> list[BaseException]:
    """Every customer adds the same bank account at once, alternating between the two processes."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(customers))

    def add(i: int, customer: str) -> None:
        try:
            start.wait()
            _add_iban(clients[i % 2], customer, iban)
        except BaseException as e:  # collected and asserted by the caller
            errors.append(e)

    threads = [threading.Thread(target=add, args=(i, c)) for i, c in enumerate(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_concurrent_writes_through_two_processes_leave_one_cluster_per_strong_identifier(server_factory, tmp_path):
    a = server_factory().start()
    b = server_factory(root=tmp_path / "twin", sibling_of=a).start()
    clients = [a.clients(), b.clients()]
    for round_no in range(3):
        people = [_bare(clients[i % 2]) for i in range(6)]
        iban = make_iban(int(time.time() * 1000) % 10**12 + round_no)
        errors = _race(clients, [p.name for p in people], iban)
        assert not errors, errors
        names = {_cluster(clients[0], p.name).name for p in people}
        assert len(names) == 1, f"round {round_no}: {len(names)} clusters share one bank account"
        assert _cluster(clients[1], people[0].name).size == len(people)


def test_analyst_split_survives_a_full_rebuild(server_factory, tmp_path):
    server = server_factory().start()
    clients = server.clients()
    x, y = _bare(clients), _bare(clients)
    iban = make_iban(int(time.time() * 1000) % 10**12 + 99)
    _add_iban(clients, x.name, iban)
    _add_iban(clients, y.name, iban)
    assert _cluster(clients, x.name).name == _cluster(clients, y.name).name
    clients.clusters.SplitCustomer(
        C.SplitCustomerRequest(customer=y.name, reason="two people, one joint account", request_id=request_id()),
        timeout=60,
    )
    before = (_cluster(clients, x.name).name, _cluster(clients, y.name).name)
    assert before[0] != before[1]
    server.terminate()
    cmd = [sys.executable, "-m", "crs", "clusters", "rebuild", "--tenant", "acme", "--store", server.backend]
    cmd += ["--data-dir", str(server.data_dir), "--keys-file", str(server.keys_file), *server._backend_args()]
    done = subprocess.run(cmd, env=python_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "customers reconciled" in done.stdout
    server.start()
    clients = server.clients()
    after = (_cluster(clients, x.name).name, _cluster(clients, y.name).name)
    assert after == before, "a rebuild renames nothing that did not change, and keeps the split"
