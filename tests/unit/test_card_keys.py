"""``Cards.card_for``: the card a token, PAN or card fingerprint names, with the index row and the card read in one
store call, and the same answers as ``card_id_for`` followed by ``load_card`` (which it replaced on the lookup
path), including for an index row whose card is missing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from crs._core import KeyRing, is_token_shaped
from crs.domain.app import Domain
from crs.domain.errors import InvalidArgument, NotFound
from crs.storage import schema
from crs.storage.base import Put
from crs.storage.embedded import EmbeddedStore

TENANT = "acme"
TOKEN = "4999992766200023"  # token-shaped: 16 digits failing the Luhn check
CARD = b'{"id": "card-1", "account_id": "acct-1", "customer_id": "cus-1"}'


@pytest.fixture
def domain(tmp_path: Path) -> Iterator[Domain]:
    KeyRing.generate(str(tmp_path / "keys.json"))
    store = EmbeddedStore(tmp_path / "crs.db")
    d = Domain(store, KeyRing.from_file(str(tmp_path / "keys.json")))
    yield d
    asyncio.run(store.close())


def _both(d: Domain, **key: str) -> tuple[object, object]:
    """What ``card_for`` answers, and what ``card_id_for`` then ``load_card`` answer (value or error)."""

    async def joined() -> object:
        try:
            return await d.cards.card_for(TENANT, **key)
        except (NotFound, InvalidArgument) as e:
            return (type(e), str(e), getattr(e, "resource_name", ""))

    async def stepwise() -> object:
        try:
            return await d.cards.load_card(TENANT, await d.cards.card_id_for(TENANT, **key))
        except (NotFound, InvalidArgument) as e:
            return (type(e), str(e), getattr(e, "resource_name", ""))

    return asyncio.run(joined()), asyncio.run(stepwise())


def test_card_for_answers_what_the_two_steps_answer(domain: Domain) -> None:
    assert is_token_shaped(TOKEN)
    fingerprint = "ab" * 32
    asyncio.run(
        domain.store.apply(
            [
                Put(schema.cards_by_id, (TENANT, "card-1"), CARD, "v1"),
                Put(schema.cards_by_token, (TENANT, TOKEN), b"card-1", "v1"),
                Put(schema.cards_by_fingerprint, (TENANT, fingerprint), b"card-gone", "v1"),
            ]
        )
    )
    joined, stepwise = _both(domain, token=TOKEN)
    assert joined == stepwise == (CARD, {"id": "card-1", "account_id": "acct-1", "customer_id": "cus-1"})
    # an index row naming a card that is not there: NOT_FOUND naming that card
    joined, stepwise = _both(domain, fingerprint=fingerprint)
    assert joined == stepwise == (NotFound, "tenants/acme/cards/card-gone not found", "tenants/acme/cards/card-gone")
    # no index row: NOT_FOUND saying what was given; another tenant's row is not seen
    for key in ({"token": "4999992766200031"}, {"fingerprint": "cd" * 32}):
        joined, stepwise = _both(domain, **key)
        assert joined == stepwise
        assert joined[:2] == (NotFound, f"no card is registered for this {next(iter(key))}")  # type: ignore[index]
    # malformed keys: INVALID_ARGUMENT before any read
    for key in ({"token": "4111111111111111"}, {"fingerprint": "AB" * 32}, {}):
        joined, stepwise = _both(domain, **key)
        assert joined == stepwise and joined[0] is InvalidArgument  # type: ignore[index]
