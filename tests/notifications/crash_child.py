"""Child process for the crash test: dispatches one tenant and dies (os._exit) right after the SMTP server
accepted the message, before the outcome is recorded. argv: data-dir smtp-port clock-us."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from crs.domain.notifications.delivery import SmtpSender
from crs.domain.notifications.model import EMAIL, FixedClock, NoticeRecord
from tests.notifications.world import TENANT, make_world


async def main(data_dir: Path, port: int, now_us: int) -> None:
    world = make_world(data_dir, FixedClock(now_us), senders={EMAIL: SmtpSender("127.0.0.1", port)})

    async def die(_notice: NoticeRecord) -> None:
        os._exit(137)  # like kill -9: no cleanup, no outcome recorded

    world.notifications.dispatcher.after_send = die
    await world.notifications.dispatcher.run_once(TENANT)
    raise SystemExit("the dispatcher returned without sending")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
