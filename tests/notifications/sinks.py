"""Real local receivers for the delivery adapters: an SMTP server (aiosmtpd) and an HTTP webhook receiver."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crs.domain.notifications.delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)


@dataclass
class SmtpSink:
    """Accepts mail on 127.0.0.1; ``reject`` maps a recipient to an SMTP code (e.g. 550) to refuse it."""

    messages: list[EmailMessage] = field(default_factory=list)
    reject: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        code = self.reject.get(address)
        if code:
            return f"{code} {'mailbox unavailable' if code >= 500 else 'try again later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        with self.lock:
            self.messages.append(email.message_from_bytes(raw))
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0: pick a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@dataclass
class HttpSink:
    """Verifies the HMAC signature and records each request; ``fail_next`` answers that many with ``fail_status``."""

    secrets: dict[str, bytes]
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 503
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        with self.lock:
            return [r["idempotency_key"] for r in self.requests]


@contextmanager
def http_server(secrets: dict[str, bytes]) -> Iterator[tuple[HttpSink, str]]:
    sink = HttpSink(secrets)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify(
                self.headers.get(SIGNATURE_HEADER, ""),
                sink.secrets,
                self.headers.get(TIMESTAMP_HEADER, ""),
                body,
                time.time(),
                300,
            )
            with sink.lock:
                if not ok:
                    sink.bad_signatures += 1
                    status = 401
                elif sink.fail_next > 0:
                    sink.fail_next -= 1
                    status = sink.fail_status
                else:
                    sink.requests.append(
                        {
                            "path": self.path,
                            "idempotency_key": self.headers.get(IDEMPOTENCY_HEADER, ""),
                            "signature": self.headers.get(SIGNATURE_HEADER, ""),
                            "json": json.loads(body),
                        }
                    )
                    status = 200
            reply = json.dumps({"id": f"prov-{len(sink.requests)}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink, f"http://127.0.0.1:{server.server_address[1]}/hooks/crs"
    finally:
        server.shutdown()
        server.server_close()
