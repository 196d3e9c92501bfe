"""TLS and mutual TLS by flags, plaintext refused off loopback, and the back-office client commands."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.helpers.data import create_customer, customer_with_account, register_card
from tests.helpers.pans import make_pan
from tests.helpers.server import generate_card_keys, python_env, write_api_keys


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, issuer_key, ca: bool):  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _cert("crs-test-ca", ca_key, None, None, ca=True)
    files: dict[str, Path] = {}
    for role in ("server", "client"):
        k = _key()
        c = _cert(f"crs-{role}", k, ca, ca_key, ca=False)
        files[f"{role}.key"] = d / f"{role}.key"
        files[f"{role}.crt"] = d / f"{role}.crt"
        files[f"{role}.key"].write_bytes(_pem_key(k))
        files[f"{role}.crt"].write_bytes(c.public_bytes(serialization.Encoding.PEM))
    files["ca.crt"] = d / "ca.crt"
    files["ca.crt"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return files


def _start(tmp_path: Path, *flags: str) -> tuple[subprocess.Popen[bytes], int]:
    generate_card_keys(tmp_path / "keys.json")
    write_api_keys(tmp_path / "api-keys.json")
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "crs", "serve", "--workers", "1", "--metrics-port", "0",
            "--port", "0", "--port-file", str(port_file),
            "--data-dir", str(tmp_path / "data"), "--keys-file", str(tmp_path / "keys.json"),
            "--api-keys-file", str(tmp_path / "api-keys.json"), *flags,
        ],
        stderr=subprocess.DEVNULL,
        env=python_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip().isdigit()):
        assert proc.poll() is None, "server exited during start-up"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    return proc, int(port_file.read_text())


def _health(channel: grpc.Channel) -> int:
    return int(health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status)


@pytest.mark.timeout(60)
def test_tls_serves_only_tls(tmp_path: Path, pki: dict[str, Path]) -> None:
    proc, port = _start(tmp_path, "--tls-cert", str(pki["server.crt"]), "--tls-key", str(pki["server.key"]))
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=pki["ca.crt"].read_bytes())
        with grpc.secure_channel(f"127.0.0.1:{port}", creds) as ch:
            assert _health(ch) == health_pb2.HealthCheckResponse.SERVING
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch, pytest.raises(grpc.RpcError):
            _health(ch)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


@pytest.mark.timeout(60)
def test_mutual_tls_requires_a_client_certificate(tmp_path: Path, pki: dict[str, Path]) -> None:
    proc, port = _start(
        tmp_path,
        "--tls-cert", str(pki["server.crt"]), "--tls-key", str(pki["server.key"]),
        "--tls-client-ca", str(pki["ca.crt"]),
    )  # fmt: skip
    try:
        ca = pki["ca.crt"].read_bytes()
        anonymous = grpc.ssl_channel_credentials(root_certificates=ca)
        with grpc.secure_channel(f"127.0.0.1:{port}", anonymous) as ch, pytest.raises(grpc.RpcError):
            _health(ch)
        mutual = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=pki["client.key"].read_bytes(),
            certificate_chain=pki["client.crt"].read_bytes(),
        )
        with grpc.secure_channel(f"127.0.0.1:{port}", mutual) as ch:
            assert _health(ch) == health_pb2.HealthCheckResponse.SERVING
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_plaintext_off_loopback_is_refused(tmp_path: Path) -> None:
    generate_card_keys(tmp_path / "keys.json")
    write_api_keys(tmp_path / "api-keys.json")
    proc = subprocess.run(
        [
            sys.executable, "-m", "crs", "serve", "--workers", "1", "--metrics-port", "0",
            "--host", "0.0.0.0", "--port", "0",
            "--data-dir", str(tmp_path / "data"), "--keys-file", str(tmp_path / "keys.json"),
            "--api-keys-file", str(tmp_path / "api-keys.json"),
        ],
        capture_output=True, text=True, env=python_env(), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "only served on loopback" in proc.stderr


def _cli(server, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**python_env(), "CRS_API_KEY": server.secrets["acme-admin"]}
    return subprocess.run(
        [sys.executable, "-m", "crs", *args, "--target", server.address, "--tenant", "acme"],
        input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.timeout(90)
def test_back_office_client_commands(fresh_server) -> None:  # type: ignore[no-untyped-def]
    admin = fresh_server.clients("acme-admin")
    customer = create_customer(admin)
    _, account = customer_with_account(admin)
    pan = make_pan()
    card = register_card(admin, account.name, pan=pan)
    got = _cli(fresh_server, "customers", "get", customer.name.rsplit("/", 1)[1])
    assert got.returncode == 0, got.stderr
    assert customer.name in got.stdout
    listed = _cli(fresh_server, "customers", "list", "--all", "--page-size", "1")
    assert listed.returncode == 0 and customer.name in listed.stdout
    looked = _cli(fresh_server, "cards", "lookup", "--pan-stdin", stdin=pan + "\n")
    assert looked.returncode == 0, looked.stderr
    assert card.name in looked.stdout and pan not in looked.stdout
    tail = _cli(fresh_server, "audit", "tail", "--resource", card.name)
    assert tail.returncode == 0 and "RegisterCard" in tail.stdout
    missing = _cli(fresh_server, "customers", "get", "nobody")
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr
