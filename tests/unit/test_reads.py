"""reads.both: two independent reads, in turn on an inline-read store and concurrently otherwise."""

from __future__ import annotations

import asyncio
import gc
import warnings
from pathlib import Path

import pytest

from crs.domain import reads
from crs.storage.embedded import EmbeddedStore


class _Store:
    def __init__(self, inline: bool) -> None:
        self.inline_reads = inline


async def _value(v: int, log: list[str], tag: str) -> int:
    log.append(f"start {tag}")
    await asyncio.sleep(0)
    log.append(f"end {tag}")
    return v


async def _fail() -> int:
    raise KeyError("boom")


def test_the_embedded_store_reads_inline(tmp_path: Path) -> None:
    assert EmbeddedStore(tmp_path / "crs.db").inline_reads is True


@pytest.mark.parametrize("inline", [True, False])
def test_results_in_argument_order(inline: bool) -> None:
    log: list[str] = []
    got = asyncio.run(reads.both(_Store(inline), _value(1, log, "a"), _value(2, log, "b")))  # type: ignore[arg-type]
    assert got == (1, 2)
    if inline:
        assert log == ["start a", "end a", "start b", "end b"]  # in turn
    else:
        assert log == ["start a", "start b", "end a", "end b"]  # concurrently


@pytest.mark.parametrize("inline", [True, False])
def test_a_failing_first_read_raises_and_leaves_no_unawaited_coroutine(inline: bool) -> None:
    log: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(KeyError):
            asyncio.run(reads.both(_Store(inline), _fail(), _value(2, log, "b")))  # type: ignore[arg-type]
        gc.collect()
