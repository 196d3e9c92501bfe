"""How CRS's two CQL clients authenticate to Cassandra and encrypt the connection.

Both clients take the same settings: the Python driver (writes, lightweight transactions, schema, health;
``make_cluster``) and ``crs._core.CqlReader`` (the store's reads). One ``CqlSecurity`` feeds both, so they
can never disagree on whether a connection is encrypted or who it logs in as.

- Credentials: a role name and its password (Cassandra's ``PasswordAuthenticator``). The password is never
  taken from the command line (``ps`` shows it); the CLI reads it from a file or the environment.
- TLS: the CA that signed the nodes' certificates (required for TLS: a connection the client cannot verify
  is not encrypted in any useful sense), and optionally a client certificate and key for mutual TLS
  (``require_client_auth`` on the nodes). The node's certificate must name the address the client dials
  (an IP subjectAltName) unless ``verify_hostname`` is off, which keeps the chain check and skips the name.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class CqlSecurityError(ValueError):
    """The settings are incomplete or a file cannot be read (raised before any connection is tried)."""


@dataclass(frozen=True)
class CqlSecurity:
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # PEM: the CA(s) the nodes' certificates chain to; set = TLS on
    cert_file: Path | None = None  # PEM: client certificate chain, for mutual TLS
    key_file: Path | None = None  # PEM: its private key (unencrypted PKCS#8, PKCS#1 or SEC1)
    verify_hostname: bool = True  # the node certificate must name the dialled address

    def __post_init__(self) -> None:
        if (self.username is None) != (self.password is None):
            raise CqlSecurityError("a Cassandra username and password go together")
        if self.username is not None and not self.username:
            raise CqlSecurityError("the Cassandra username is empty")
        if (self.cert_file is None) != (self.key_file is None):
            raise CqlSecurityError("a Cassandra client certificate and its key go together")
        if self.cert_file is not None and self.ca_file is None:
            raise CqlSecurityError("a Cassandra client certificate needs TLS: give the CA of the nodes too")

    @property
    def tls(self) -> bool:
        return self.ca_file is not None

    def describe(self) -> str:
        """For logs: what is on, never the secret."""
        parts = [f"user {self.username}" if self.username else "no credentials"]
        if self.tls:
            parts.append("TLS" + (" with client certificate" if self.cert_file else ""))
            if not self.verify_hostname:
                parts.append("hostname not verified")
        else:
            parts.append("plaintext")
        return ", ".join(parts)

    def driver_options(self) -> dict[str, Any]:
        """Keyword arguments for ``cassandra.cluster.Cluster``."""
        options: dict[str, Any] = {}
        if self.username is not None:
            from cassandra.auth import PlainTextAuthProvider

            options["auth_provider"] = PlainTextAuthProvider(username=self.username, password=self.password)
        if self.ca_file is not None:
            options["ssl_context"] = self.ssl_context()
        return options

    def ssl_context(self) -> ssl.SSLContext:
        if self.ca_file is None:
            raise CqlSecurityError("TLS needs the CA of the nodes")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_verify_locations(cafile=str(self.ca_file))
            if self.cert_file is not None and self.key_file is not None:
                ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        except (OSError, ssl.SSLError) as e:
            raise CqlSecurityError(f"cannot load the Cassandra TLS files: {type(e).__name__}: {e}") from None
        # The driver passes the node's address as the server name only when check_hostname is on.
        ctx.check_hostname = self.verify_hostname
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def reader_options(self) -> dict[str, Any]:
        """Keyword arguments for ``crs._core.CqlReader`` (PEM bytes, read here so the reader does no file I/O)."""
        return {
            "username": self.username,
            "password": self.password,
            "tls_ca": _read(self.ca_file),
            "tls_cert": _read(self.cert_file),
            "tls_key": _read(self.key_file),
            "tls_verify_hostname": self.verify_hostname,
        }


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as e:
        raise CqlSecurityError(f"cannot read {path}: {e.strerror}") from None


def password_from(file: Path | None, value: str | None) -> str | None:
    """The password from a file (its first line, trailing newline dropped) or a value (environment)."""
    if file is not None and value:
        raise CqlSecurityError("give the Cassandra password as a file or in the environment, not both")
    if file is not None:
        try:
            text = file.read_text()
        except OSError as e:
            raise CqlSecurityError(f"cannot read the Cassandra password file {file}: {e.strerror}") from None
        lines = text.splitlines()
        if not lines or not lines[0]:
            raise CqlSecurityError(f"the Cassandra password file {file} is empty")
        return lines[0]
    return value or None
