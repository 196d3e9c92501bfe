"""A small back-office feed consumer, run as its own process (tests kill it with SIGKILL).

    python -m tests.helpers.feed_consumer TARGET CONSUMER OUT_FILE [--start-cursor C] [--commit-every N]

API key from $CRS_API_KEY. Resumes from the consumer's committed cursor (or --start-cursor when it has none).
Each event is appended to OUT_FILE as one JSON line *before* its cursor is committed (at-least-once: after a
crash, the events since the last commit are delivered again and deduplicated by event id downstream).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import grpc

from crs.v1 import account_pb2, changefeed_pb2, changefeed_pb2_grpc


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("consumer")
    p.add_argument("out")
    p.add_argument("--start-cursor", default="")
    p.add_argument("--commit-every", type=int, default=100)
    args = p.parse_args()
    md = (("authorization", f"Bearer {os.environ['CRS_API_KEY']}"),)
    with grpc.insecure_channel(args.target) as channel, open(args.out, "a", encoding="utf-8") as out:
        feed = changefeed_pb2_grpc.ChangeFeedServiceStub(channel)
        while True:
            try:
                follow(feed, md, args, out)
            except grpc.RpcError as err:
                if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                    raise
                time.sleep(0.2)


def follow(feed: changefeed_pb2_grpc.ChangeFeedServiceStub, md, args, out) -> None:  # type: ignore[no-untyped-def]
    try:
        cursor = feed.GetConsumer(changefeed_pb2.GetConsumerRequest(name=args.consumer), metadata=md).cursor
        request = changefeed_pb2.SubscribeRequest(consumer=args.consumer, resource_types=["accounts"])
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            raise
        cursor = args.start_cursor
        request = changefeed_pb2.SubscribeRequest(
            consumer=args.consumer, resource_types=["accounts"], start_cursor=cursor
        )
    out.write(json.dumps({"resumed_from": cursor}) + "\n")
    out.flush()
    pending = 0
    for item in feed.Subscribe(request, metadata=md):
        if item.HasField("event"):
            ev = item.event
            acct = account_pb2.Account()
            if ev.HasField("value"):
                ev.value.Unpack(acct)
            line = {"event_id": ev.event_id, "resource": ev.resource, "kind": ev.kind, "etag": acct.etag}
            out.write(json.dumps(line) + "\n")
            out.flush()  # in the page cache: survives SIGKILL of this process
            cursor, pending = ev.cursor, pending + 1
        else:
            cursor = item.heartbeat.cursor
            pending = max(pending, 1)
        if pending >= args.commit_every or (pending and item.HasField("heartbeat")):
            feed.CommitCursor(changefeed_pb2.CommitCursorRequest(consumer=args.consumer, cursor=cursor), metadata=md)
            pending = 0


if __name__ == "__main__":
    main()
