"""bench/free_store_server.py answers repeated reads from memory (and forgets them on a write through it);
bench/store_free.py's report compares the two servers per method from a run's rounds (no server started)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.free_store_server import MemoizedReads, main
from bench.run import PING_LABEL
from bench.store_free import report, summarize
from crs.storage.base import Put
from crs.storage.embedded import EmbeddedStore
from crs.storage.schema import cards_by_token, relationships_by_account

GAC = "GetAuthorizationContext by token"
LC = "LookupCard by token"
BY_PAN = "GetAuthorizationContext by PAN"


def test_reads_are_answered_from_memory_until_a_write_through_the_memo(tmp_path: Path) -> None:
    async def scenario() -> None:
        inner = EmbeddedStore(tmp_path / "crs.db")
        memo = MemoizedReads(inner)
        key = ("t", "4999998189010007")
        await inner.apply([Put(cards_by_token, key, b"card-1", "v1")])
        assert (await memo.get(cards_by_token, key)).value == b"card-1"  # type: ignore[union-attr]
        assert await memo.scan(relationships_by_account, ("t", "a"), limit=10) == []
        # a change the memo did not see: the memo keeps answering what it read first
        await inner.apply([Put(cards_by_token, key, b"card-2", "v2")])
        await inner.apply([Put(relationships_by_account, ("t", "a", "r"), b"{}", "v1")])
        assert (await memo.get_many(cards_by_token, [key]))[0].value == b"card-1"  # type: ignore[union-attr]
        assert await memo.scan(relationships_by_account, ("t", "a"), limit=10) == []
        # a write through the memo clears it
        await memo.apply([Put(cards_by_token, ("t", "other"), b"x", "v1")])
        assert (await memo.get(cards_by_token, key)).value == b"card-2"  # type: ignore[union-attr]
        assert len(await memo.scan(relationships_by_account, ("t", "a"), limit=10)) == 1
        assert await memo.healthy()
        await memo.close()

    asyncio.run(scenario())


def test_the_launcher_refuses_more_than_one_worker() -> None:
    assert main(["serve", "--workers", "2"]) == 2
    assert main(["serve"]) == 2
    assert main(["migrate"]) == 2


def _round(label: str, rps: float, cpu: float) -> dict[str, Any]:
    return {"label": label, "rps": rps, "cpu_us_per_req": cpu, "errors": {}}


def _results() -> dict[str, Any]:
    normal = {
        PING_LABEL: [_round(PING_LABEL, 2000, 500), _round(PING_LABEL, 1000, 500)],
        GAC: [_round(GAC, 800, 1000), _round(GAC, 500, 1100)],
        LC: [_round(LC, 600, 900), _round(LC, 300, 900)],
        BY_PAN: [_round(BY_PAN, 1000, 900), _round(BY_PAN, 500, 900)],
    }
    free = {
        PING_LABEL: [_round(PING_LABEL, 2000, 500), _round(PING_LABEL, 2000, 500)],
        GAC: [_round(GAC, 1400, 800), _round(GAC, 1000, 800)],
        LC: [_round(LC, 1000, 700), _round(LC, 800, 700)],
        BY_PAN: [_round(BY_PAN, 1400, 600), _round(BY_PAN, 1600, 600)],
    }
    return {
        "machine": {"CPU": "test", "cores": "2"},
        "date": "2026-11-27 11:00 UTC",
        "customers": 1000,
        "requests": 5000,
        "concurrency": 16,
        "rounds": {"normal": normal, "store-free": free},
    }


def test_shares_are_per_round_over_ping_on_the_same_server() -> None:
    s = summarize(_results())
    assert s["normal"][GAC]["share"] == (0.4 + 0.5) / 2
    assert (s["normal"][GAC]["share_low"], s["normal"][GAC]["share_high"]) == (0.4, 0.5)
    assert s["store-free"][GAC]["share"] == (0.7 + 0.5) / 2
    assert s["normal"][GAC]["cpu_us"] == 1050
    assert "share" not in s["normal"][PING_LABEL]


def test_the_report_names_the_machine_and_what_the_store_costs() -> None:
    text = report(_results())
    assert "CPU test; cores 2" in text
    assert f"| {GAC} | 650 | 1,050 | 45% (40% to 50%) | 1,200 | 800 | 60% (50% to 70%) | 250 µs (24%) |" in text
    assert f"- {GAC}: 60% of Ping on the store-free server (rounds 50% to 70%); the rounds fall on both sides" in text
    assert f"- {LC}: 45% of Ping on the store-free server (rounds 40% to 50%); below the 60% target in every " in text
    assert "costs 700 CPU-µs per call there, against about 833 that 60% of Ping allows" in text
    assert f"- {BY_PAN}: 75% of Ping on the store-free server (rounds 70% to 80%); at or above the 60% target" in text
    assert "Ping, which reads nothing" not in text  # both servers' Ping cost 500 here


def test_the_report_warns_when_ping_differs_between_the_servers() -> None:
    results = _results()
    results["rounds"]["store-free"][PING_LABEL] = [_round(PING_LABEL, 2000, 650), _round(PING_LABEL, 2000, 650)]
    assert "Ping, which reads nothing, cost +30% CPU per call on the store-free server" in report(results)


def test_the_cached_answer_report_splits_the_extra_cpu_into_floor_and_servicer() -> None:
    results = _results()
    assert "Cached answers" not in report(results)  # a run without the third server: its section is left out
    results["rounds"]["cached"] = {
        PING_LABEL: [_round(PING_LABEL, 2000, 500), _round(PING_LABEL, 2000, 500)],
        GAC: [_round(GAC, 1900, 520), _round(GAC, 1800, 520)],
        LC: [_round(LC, 1000, 700), _round(LC, 1000, 700)],
        BY_PAN: [_round(BY_PAN, 1900, 510), _round(BY_PAN, 1900, 510)],
    }
    text = report(results)
    # normal GAC: 1,050 - 500 = 550 µs over Ping; with its answer cached 520 - 500 = 20 µs: the servicer 530 µs
    assert f"| {GAC} | 550 | 1,850 | 520 | 92% (90% to 95%) | 20 | 530 µs (96% of the extra) |" in text
    assert f"- {GAC} with its answer cached: 92% of Ping (rounds 90% to 95%): the call's transport" in text
    assert "response fit within the 60% target in every round" in text
    assert f"- {LC} with its answer cached: 50% of Ping (rounds 50% to 50%): the call's transport" in text
    assert "response do not fit within the 60% target" in text


def test_the_cached_answer_server_answers_each_distinct_request_once() -> None:
    from bench.cached_answer_server import cached
    from bench.cached_answer_server import main as cached_main
    from crs.api.encoded import Encoded
    from crs.v1 import account_pb2, lookup_pb2

    calls: list[str] = []

    async def servicer(_self: object, request: Any, _context: object) -> Any:
        calls.append(request.token)
        if request.token == "encoded":
            return Encoded(b"\x0a\x01x")
        return account_pb2.Account(name=f"acct-{len(calls)}")

    answer = cached(servicer)

    async def scenario() -> list[bytes]:
        out = []
        for token in ("a", "b", "a", "encoded", "encoded", "a"):
            response = await answer(None, lookup_pb2.GetAuthorizationContextRequest(token=token), None)
            assert type(response) is Encoded
            out.append(response.data)
        return out

    data = asyncio.run(scenario())
    assert calls == ["a", "b", "encoded"], "each distinct request reached the servicer once"
    assert data[0] == data[2] == data[5] == account_pb2.Account(name="acct-1").SerializeToString()
    assert data[1] != data[0] and data[3] == data[4] == b"\x0a\x01x"
    assert cached_main(["serve", "--workers", "2"]) == 2 and cached_main(["migrate"]) == 2
