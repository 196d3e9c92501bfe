"""The back-office consumer test (issue 10): snapshot, then 10,000 changes while the consumer process is
SIGKILLed and restarted twice mid-stream. Every change is seen, none lost, duplicates only for the events after
the consumer's last committed cursor, and they carry the same event id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from google.protobuf import field_mask_pb2

from crs.v1 import account_pb2, changefeed_pb2
from tests.conftest import BACKENDS, _cluster_for
from tests.helpers.data import create_account, create_customer, request_id
from tests.helpers.feed import FEED_ARGS, snapshot, stub
from tests.helpers.server import REPO_ROOT, CrsServer, python_env

CHANGES = 10_000
ACCOUNTS = 100
WRITERS = 4
COMMIT_EVERY = 100
KILL_AT = (3_000, 6_500)  # consumer lines seen when it is killed


def _lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    out = []
    for raw in path.read_text().splitlines():
        try:
            out.append(json.loads(raw))
        except json.JSONDecodeError:  # a line torn by SIGKILL mid-write
            continue
    return out


def _start_consumer(server: CrsServer, consumer: str, out: Path, start: str) -> subprocess.Popen[bytes]:
    env = {**python_env(), "CRS_API_KEY": server.secrets["acme-read"]}
    cmd = [sys.executable, "-m", "tests.helpers.feed_consumer", server.address, consumer, str(out)]
    cmd += ["--start-cursor", start, "--commit-every", str(COMMIT_EVERY)]
    with open(out.with_suffix(".err"), "ab") as err:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = CrsServer(
        root=tmp_path / "crs",
        backend=request.param,
        cassandra=_cluster_for(request, request.param),
        extra_args=FEED_ARGS,
    )
    try:
        yield s.start()
    finally:
        s.close()


def test_snapshot_then_10000_changes_with_consumer_killed_twice(server: CrsServer, tmp_path: Path) -> None:
    clients = server.clients("acme-admin")
    owner = create_customer(clients)
    accounts = [create_account(clients, owner.name) for _ in range(ACCOUNTS)]
    records, end = snapshot(stub(server), ["accounts"])
    assert {a.name for a in accounts} <= {r.resource for r in records}

    consumer = "tenants/acme/consumers/back-office"
    out = tmp_path / "consumer.jsonl"
    proc = _start_consumer(server, consumer, out, end.cursor)
    # Writers own disjoint accounts, so each account's etags have one known order.
    expected: dict[str, list[str]] = {a.name: [] for a in accounts}
    errors: list[BaseException] = []

    def write(mine: list[account_pb2.Account], count: int) -> None:
        try:
            current = {a.name: a for a in mine}
            for i in range(count):
                a = current[mine[i % len(mine)].name]
                change = account_pb2.Account(name=a.name, display_name=f"v{i}", etag=a.etag)
                a = clients.accounts.UpdateAccount(
                    account_pb2.UpdateAccountRequest(
                        account=change,
                        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
                        request_id=request_id(),
                    ),
                    timeout=30,
                )
                current[a.name] = a
                expected[a.name].append(a.etag)
        except BaseException as e:
            errors.append(e)

    started = time.monotonic()
    writers = [threading.Thread(target=write, args=(accounts[w::WRITERS], CHANGES // WRITERS)) for w in range(WRITERS)]
    for t in writers:
        t.start()
    kills = 0
    deadline = time.monotonic() + 240
    try:
        for threshold in KILL_AT:
            while len(_lines(out)) < threshold:
                assert time.monotonic() < deadline, f"consumer stalled at {len(_lines(out))} lines"
                assert proc.poll() is None, out.with_suffix(".err").read_text()
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
            proc = _start_consumer(server, consumer, out, end.cursor)
        for t in writers:
            t.join(timeout=240)
        assert not errors, errors
        want = {etag for etags in expected.values() for etag in etags}
        assert len(want) == CHANGES
        while True:
            seen = {str(x["etag"]) for x in _lines(out) if "event_id" in x}
            if want <= seen:
                break
            assert time.monotonic() < deadline, f"{len(want - seen)} changes never reached the consumer"
            assert proc.poll() is None, out.with_suffix(".err").read_text()
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    elapsed = time.monotonic() - started
    assert kills == 2

    events = [x for x in _lines(out) if "event_id" in x]
    resumes = [x for x in _lines(out) if "resumed_from" in x]
    assert len(resumes) == 3 and resumes[0]["resumed_from"] == end.cursor
    # Deduplicate by event id: one event id is one change (same resource, same value) however often delivered.
    by_id: dict[str, tuple[object, object]] = {}
    for x in events:
        key = (x["resource"], x["etag"])
        assert by_id.setdefault(str(x["event_id"]), key) == key, "one event id, two different changes"
    updates = {eid: key for eid, key in by_id.items() if key[1] in want}
    assert len(updates) == CHANGES, "every change exactly once after dedupe"
    # Duplicates only from the replays after the two kills: at most what was delivered since the last commit.
    duplicates = len(events) - len(by_id)
    assert duplicates <= 2 * (COMMIT_EVERY + 500), duplicates
    # Per-resource order: each account's first deliveries follow its update order.
    first_seen: dict[str, list[str]] = {name: [] for name in expected}
    done: set[str] = set()
    for x in events:
        eid, resource, etag = str(x["event_id"]), str(x["resource"]), str(x["etag"])
        if eid in done or resource not in first_seen or etag not in want:
            continue
        done.add(eid)
        first_seen[resource].append(etag)
    assert first_seen == expected
    print(f"\n{CHANGES} changes, {kills} consumer kills, {duplicates} duplicate deliveries, {elapsed:.1f} s")
    assert changefeed_pb2.CREATED  # the import documents the enum the consumer sees
