"""Credentials and TLS settings of the two CQL clients: what goes together, where the password may come from,
and that neither the settings' text nor an error ever shows the password. (A real node that enforces them:
tests/slow/test_cassandra_secure.py.)"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from crs._core import CqlError, CqlReader
from crs.cli import main
from crs.storage.cql_security import CqlSecurity, CqlSecurityError, password_from

SECRET = "pw-7f3c9e-never-shown"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a client certificate signed by it (PEM, RSA 2048), made with openssl."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=test-ca")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=c")
    (d / "client.ext").write_text("basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n")
    run(
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "client.crt",
        "-days",
        "1",
        "-extfile",
        "client.ext",
    )  # fmt: skip (v3: webpki refuses v1)
    return d


def test_plain_by_default() -> None:
    s = CqlSecurity()
    assert not s.tls and s.username is None
    assert s.driver_options() == {}
    assert s.describe() == "no credentials, plaintext"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "crs"}, "username and password go together"),
        ({"password": SECRET}, "username and password go together"),
        ({"username": "", "password": SECRET}, "username is empty"),
        ({"ca_file": Path("ca.pem"), "cert_file": Path("c.crt")}, "certificate and its key go together"),
        ({"key_file": Path("c.key"), "ca_file": Path("ca.pem")}, "certificate and its key go together"),
        ({"cert_file": Path("c.crt"), "key_file": Path("c.key")}, "needs TLS"),
    ],
)
def test_settings_that_do_not_go_together_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CqlSecurityError, match=message) as info:
        CqlSecurity(**kwargs)  # type: ignore[arg-type]
    assert SECRET not in str(info.value)


def test_the_password_is_in_no_text(pki: Path) -> None:
    s = CqlSecurity("crs_app", SECRET, pki / "ca.pem", pki / "client.crt", pki / "client.key")
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert s.describe() == "user crs_app, TLS with client certificate"
    assert CqlSecurity("u", SECRET, pki / "ca.pem", verify_hostname=False).describe() == (
        "user u, TLS, hostname not verified"
    )


def test_driver_options_log_in_and_verify_the_nodes(pki: Path) -> None:
    from cassandra.auth import PlainTextAuthProvider

    s = CqlSecurity("crs_app", SECRET, pki / "ca.pem", pki / "client.crt", pki / "client.key")
    options = s.driver_options()
    assert isinstance(options["auth_provider"], PlainTextAuthProvider)
    assert options["auth_provider"].username == "crs_app"
    ctx = options["ssl_context"]
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert [c["subject"] for c in ctx.get_ca_certs()] == [((("commonName", "test-ca"),),)]
    unnamed = CqlSecurity(ca_file=pki / "ca.pem", verify_hostname=False).ssl_context()
    assert unnamed.verify_mode == ssl.CERT_REQUIRED and not unnamed.check_hostname  # the chain is still checked


def test_reader_options_carry_the_pem_bytes(pki: Path) -> None:
    s = CqlSecurity("crs_app", SECRET, pki / "ca.pem", pki / "client.crt", pki / "client.key")
    got = s.reader_options()
    assert got["username"] == "crs_app" and got["password"] == SECRET
    assert got["tls_ca"] == (pki / "ca.pem").read_bytes()
    assert got["tls_cert"] == (pki / "client.crt").read_bytes() and got["tls_key"] == (pki / "client.key").read_bytes()
    assert got["tls_verify_hostname"] is True


def test_unreadable_tls_files_fail_before_any_connection(tmp_path: Path) -> None:
    s = CqlSecurity(ca_file=tmp_path / "missing.pem")
    with pytest.raises(CqlSecurityError, match=r"cannot read .*missing\.pem"):
        s.reader_options()
    with pytest.raises(CqlSecurityError, match="cannot load the Cassandra TLS files"):
        s.ssl_context()


def test_password_from_a_file_or_the_environment(tmp_path: Path) -> None:
    f = tmp_path / "pw"
    f.write_text(SECRET + "\n")
    assert password_from(f, None) == SECRET
    assert password_from(None, SECRET) == SECRET
    assert password_from(None, None) is None and password_from(None, "") is None
    with pytest.raises(CqlSecurityError, match="not both"):
        password_from(f, SECRET)
    f.write_text("\n")
    with pytest.raises(CqlSecurityError, match="is empty"):
        password_from(f, None)
    with pytest.raises(CqlSecurityError, match="cannot read the Cassandra password file"):
        password_from(tmp_path / "nope", None)


def test_the_reader_refuses_settings_that_do_not_go_together(pki: Path) -> None:
    ca = (pki / "ca.pem").read_bytes()
    args = (["127.0.0.1:1"], "dc1", "crs", 1.0, None, 0.5)
    with pytest.raises(ValueError, match="username and password go together"):
        CqlReader(*args, username="crs")
    with pytest.raises(ValueError, match="tls_cert and tls_key go together"):
        CqlReader(*args, tls_ca=ca, tls_cert=(pki / "client.crt").read_bytes())
    with pytest.raises(ValueError, match="tls_cert needs tls_ca"):
        CqlReader(*args, tls_cert=b"x", tls_key=b"y")
    with pytest.raises(CqlError, match="tls_ca holds no PEM certificate"):
        CqlReader(*args, tls_ca=b"no pem here")
    with pytest.raises(CqlError, match="tls_key holds no PEM private key") as info:
        CqlReader(*args, tls_ca=ca, tls_cert=(pki / "client.crt").read_bytes(), tls_key=SECRET.encode())
    assert SECRET not in str(info.value)


def test_a_valid_tls_configuration_gets_as_far_as_connecting(pki: Path) -> None:
    """The PEM files parse and make a client configuration: the failure is the closed port, not TLS."""
    with pytest.raises(CqlError, match="cannot connect") as info:
        CqlReader(
            ["127.0.0.1:1"], "dc1", "crs", 1.0, None, 0.5, username="crs_app", password=SECRET,
            tls_ca=(pki / "ca.pem").read_bytes(), tls_cert=(pki / "client.crt").read_bytes(),
            tls_key=(pki / "client.key").read_bytes(),
        )  # fmt: skip
    assert SECRET not in str(info.value)


def test_cli_takes_no_password_flag_and_explains_missing_pieces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRS_CASSANDRA_PASSWORD", raising=False)
    for flag in ("--cassandra-password", "--cassandra-pass", "--cassandra-password=" + SECRET):
        with pytest.raises(SystemExit):  # `ps` would show it; and it is not taken for --cassandra-password-file
            main(["migrate", flag, SECRET] if "=" not in flag else ["migrate", flag])
        err = capsys.readouterr().err
        assert SECRET not in err
        assert "--cassandra-password-file or CRS_CASSANDRA_PASSWORD" in err or "ambiguous option" in err
    assert main(["migrate", "--cassandra-username", "crs_app"]) == 2
    assert "username and password go together" in capsys.readouterr().err
    monkeypatch.setenv("CRS_CASSANDRA_PASSWORD", SECRET)
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "password is set but no --cassandra-username" in err and SECRET not in err
    monkeypatch.delenv("CRS_CASSANDRA_PASSWORD")
    assert main(["migrate", "--cassandra-tls-cert", str(tmp_path / "c.crt")]) == 2
    assert "certificate and its key go together" in capsys.readouterr().err


def test_an_embedded_store_command_ignores_cassandra_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`crs seed` on the embedded store runs although a Cassandra password file it never uses is missing."""
    monkeypatch.setenv("CRS_CASSANDRA_PASSWORD_FILE", str(tmp_path / "missing"))
    keys = tmp_path / "keys.json"
    assert main(["keys", "generate", str(keys)]) == 0
    args = ["seed", "--customers", "2", "--data-dir", str(tmp_path / "data"), "--keys-file", str(keys)]
    assert main(args) == 0, capsys.readouterr().err
    assert main([*args, "--store", "cassandra", "--salt", "9"]) == 2
    assert "cannot read the Cassandra password file" in capsys.readouterr().err
