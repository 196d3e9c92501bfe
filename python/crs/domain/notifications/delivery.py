"""Delivery adapters: SMTP e-mail, signed webhooks, SMS through a provider's webhook.

Every delivery carries the notice id (SMTP ``Message-ID``, HTTP ``Idempotency-Key``), so a receiver can drop
the duplicate a crash between sending and recording causes (docs/notifications.md, "Exactly once").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import smtplib
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

SIGNATURE_HEADER = "X-CRS-Signature"
TIMESTAMP_HEADER = "X-CRS-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Message:
    notice_id: str
    channel: str
    address: str
    kind: str
    language: str
    subject: str
    body: str
    facts: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A delivery that did not happen. ``permanent``: retrying cannot help (bad address, rejected)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, message: Message) -> str:
        """Delivers; returns the provider's id (or the notice id). Raises ``DeliveryError``."""
        ...


def message_id(notice_id: str, domain: str) -> str:
    return f"<{notice_id}@{domain}>"


@dataclass(frozen=True, slots=True)
class SmtpSender:
    host: str
    port: int
    sender: str = "notifications@crs.invalid"
    domain: str = "notifications.crs"
    timeout: float = 10.0

    def _send_sync(self, message: Message) -> str:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Message-ID"] = message_id(message.notice_id, self.domain)
        email["Content-Language"] = message.language
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp unavailable: {type(exc).__name__}", permanent=False) from None
        return str(email["Message-ID"])

    async def send(self, message: Message) -> str:
        return await asyncio.to_thread(self._send_sync, message)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp + "." + body`` (hex)."""
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(key_id: str, secret: bytes, timestamp: str, body: bytes) -> str:
    return f"keyId={key_id},v1={sign(secret, timestamp, body)}"


def verify(header: str, secrets: dict[str, bytes], timestamp: str, body: bytes, now: float, tolerance: float) -> bool:
    """Receiver side: the key id is known, the MAC matches, and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    secret = secrets.get(parts.get("keyId", ""))
    if secret is None or not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))


@dataclass(frozen=True, slots=True)
class _Http:
    """A signed JSON POST; 2xx delivered, 4xx (but 408/429) permanent, anything else transient."""

    url: str
    key_id: str
    secret: bytes
    timeout: float = 10.0

    def post(self, payload: dict[str, object], notice_id: str) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise DeliveryError("webhook url is not http(s)", permanent=True)
        conn_cls = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(parsed.hostname, parsed.port, timeout=self.timeout)
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: notice_id,
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: signature_header(self.key_id, self.secret, ts, body),
        }
        try:
            conn.request("POST", parsed.path or "/", body=body, headers=headers)
            response = conn.getresponse()
            text = response.read(2048).decode("utf-8", "replace")
        except OSError as exc:
            raise DeliveryError(f"http unavailable: {type(exc).__name__}", permanent=False) from None
        finally:
            conn.close()
        if 200 <= response.status < 300:
            return _provider_id(text) or notice_id
        permanent = 400 <= response.status < 500 and response.status not in (408, 429)
        raise DeliveryError(f"http {response.status}", permanent=permanent)


def _provider_id(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    return str(data.get("id", ""))[:128] if isinstance(data, dict) else ""


@dataclass(frozen=True, slots=True)
class WebhookSender:
    """The tenant's own endpoint: the notice as signed JSON (the address is the URL)."""

    key_id: str
    secret: bytes
    timeout: float = 10.0

    async def send(self, message: Message) -> str:
        payload: dict[str, object] = {
            "notice_id": message.notice_id,
            "kind": message.kind,
            "language": message.language,
            "subject": message.subject,
            "facts": message.facts,
        }
        http = _Http(message.address, self.key_id, self.secret, self.timeout)
        return await asyncio.to_thread(http.post, payload, message.notice_id)


@dataclass(frozen=True, slots=True)
class SmsProviderSender:
    """SMS through a provider's HTTP API (provider-shaped JSON: to / text / reference), signed the same way."""

    url: str
    key_id: str
    secret: bytes
    sender_name: str = "CRS"
    timeout: float = 10.0

    async def send(self, message: Message) -> str:
        payload: dict[str, object] = {
            "to": message.address,
            "from": self.sender_name,
            "text": message.subject[:160],
            "reference": message.notice_id,
        }
        http = _Http(self.url, self.key_id, self.secret, self.timeout)
        return await asyncio.to_thread(http.post, payload, message.notice_id)
