"""The `crs keys generate` and `crs apikey add` commands work with a real server."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import subprocess
import sys

import grpc
import pytest

from crs.v1 import customer_pb2, token_pb2
from tests.helpers.data import ACME, new_customer, request_id
from tests.helpers.server import python_env


def crs_cli(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "crs", *map(str, args)],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=timeout,
        check=False,
    )


def test_keys_generate_format(tmp_path):
    path = tmp_path / "keys.json"
    proc = crs_cli("keys", "generate", path)
    assert proc.returncode == 0, proc.stderr
    ring = json.loads(path.read_text())
    assert ring["version"] == 1
    assert ring["active_key_id"] in ring["encryption_keys"]
    for v in ring["encryption_keys"].values():
        assert len(base64.b64decode(v)) == 32
    assert ring["index_key"]["id"] and len(base64.b64decode(ring["index_key"]["key"])) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Key material is not printed.
    assert ring["encryption_keys"][ring["active_key_id"]] not in proc.stdout + proc.stderr


@pytest.mark.timeout(90)
def test_apikey_add_and_use(server_factory):
    server = server_factory()
    proc = crs_cli(
        "apikey",
        "add",
        "--file",
        server.api_keys_file,
        "--tenant",
        "acme",
        "--scopes",
        "read,write",
        "--id",
        "cli-key",
    )
    assert proc.returncode == 0, proc.stderr
    secret = proc.stdout.strip().splitlines()[-1].strip()
    assert secret
    entries = json.loads(server.api_keys_file.read_text())["api_keys"]
    mine = [e for e in entries if e["id"] == "cli-key"]
    assert len(mine) == 1 and len(entries) == 8  # appended, the others kept
    assert mine[0]["tenant"] == "acme" and sorted(mine[0]["scopes"]) == ["read", "write"]
    assert mine[0]["sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in server.api_keys_file.read_text()
    server.start()
    clients = server.clients(raw_header=f"Bearer {secret}")
    created = clients.customers.CreateCustomer(
        customer_pb2.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id()),
        timeout=30,
    )
    assert created.name.startswith("tenants/acme/")
    with pytest.raises(grpc.RpcError) as exc:
        clients.tokens.Tokenize(token_pb2.TokenizeRequest(parent=ACME, pan="4111111111111111"), timeout=30)
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
