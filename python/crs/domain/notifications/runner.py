"""Delivery configuration (``crs serve --notification-delivery FILE``) and the background loop a server runs.

The file::

    {"tenants": ["acme"], "interval_seconds": 5,
     "smtp": {"host": "127.0.0.1", "port": 25, "sender": "billing@bank.example"},
     "webhook": {"key_id": "k1", "secret_env": "CRS_WEBHOOK_SECRET"},
     "sms": {"url": "https://sms.example/api/messages", "key_id": "k1", "secret_env": "CRS_SMS_SECRET"}}

Secrets are read from the environment variables named, never from the file. Every server process may run
the loop: claims, leases and compare-and-set make concurrent runs safe (docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crs.domain.notifications.delivery import Sender, SmsProviderSender, SmtpSender, WebhookSender
from crs.domain.notifications.model import EMAIL, SMS, WEBHOOK
from crs.domain.notifications.service import Notifications

log = logging.getLogger("crs.notifications")


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    tenants: tuple[str, ...] = ()
    interval_seconds: float = 5.0
    senders: dict[str, Sender] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> DeliveryConfig:
        return cls.from_json(json.loads(Path(path).read_text()))

    @classmethod
    def from_json(cls, data: Any) -> DeliveryConfig:
        if not isinstance(data, dict) or not set(data) <= {"tenants", "interval_seconds", "smtp", "webhook", "sms"}:
            raise ValueError("notification delivery: keys are tenants, interval_seconds, smtp, webhook, sms")
        senders: dict[str, Sender] = {}
        if "smtp" in data:
            s = data["smtp"]
            senders[EMAIL] = SmtpSender(
                str(s["host"]), int(s["port"]), str(s.get("sender", "notifications@crs.invalid"))
            )
        if "webhook" in data:
            w = data["webhook"]
            senders[WEBHOOK] = WebhookSender(str(w["key_id"]), _secret(w))
        if "sms" in data:
            m = data["sms"]
            senders[SMS] = SmsProviderSender(str(m["url"]), str(m["key_id"]), _secret(m))
        interval = float(data.get("interval_seconds", 5.0))
        if interval <= 0:
            raise ValueError("notification delivery: interval_seconds must be positive")
        return cls(tuple(str(t) for t in data.get("tenants", [])), interval, senders)


def _secret(section: dict[str, Any]) -> bytes:
    name = str(section.get("secret_env", ""))
    value = os.environ.get(name, "") if name else ""
    if not value:
        raise ValueError(f"notification delivery: set the secret in ${name or '<secret_env>'}")
    return value.encode()


FollowFeed = Callable[[str], Awaitable[int]]


async def run_forever(notifications: Notifications, config: DeliveryConfig, follow: FollowFeed | None = None) -> None:
    """Every ``interval_seconds``, per tenant: the change feed's new events (``follow``, see feed_follower.py),
    the scheduler, then the dispatcher. Errors are logged, not fatal."""
    while True:
        for tenant in config.tenants:
            try:
                if follow is not None:
                    await follow(tenant)
                await notifications.scheduler.run_once(tenant)
                await notifications.dispatcher.run_once(tenant)
            except Exception:
                log.exception("notification run failed; retried next interval")
        await asyncio.sleep(config.interval_seconds)
