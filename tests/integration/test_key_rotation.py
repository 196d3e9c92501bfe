"""Card-data key rotation: a new active key, old data still decrypts, tokens stay stable."""

from __future__ import annotations

import base64
import json
import os

import pytest

from crs.v1 import card_pb2, token_pb2
from tests.helpers.data import ACME, customer_with_account, register_card, tokenize
from tests.helpers.pans import make_pan


@pytest.mark.timeout(120)
def test_rotation_keeps_old_data_readable(fresh_server):
    server = fresh_server
    admin = server.clients("acme-admin")
    _, acct = customer_with_account(admin)
    old_pan = make_pan()
    old_card = register_card(admin, acct.name, pan=old_pan)
    vaulted_pan = make_pan()
    vaulted = tokenize(admin, vaulted_pan)
    assert server.terminate() == 0

    ring = json.loads(server.keys_file.read_text())
    assert ring["version"] == 1 and ring["active_key_id"] in ring["encryption_keys"]
    new_id = "k-rotated"
    ring["encryption_keys"][new_id] = base64.b64encode(os.urandom(32)).decode()
    ring["active_key_id"] = new_id
    server.keys_file.write_text(json.dumps(ring))

    server.start()
    admin = server.clients("acme-admin")
    for pan, token in ((old_pan, old_card.token), (vaulted_pan, vaulted.token)):
        got = admin.tokens.Detokenize(
            token_pb2.DetokenizeRequest(parent=ACME, token=token, purpose="rotation check"), timeout=30
        )
        assert got.pan == pan
        again = tokenize(admin, pan)
        assert again.token == token and again.created is False
    assert admin.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=old_pan), timeout=30).card == old_card
    new_pan = make_pan()
    new_card = register_card(admin, acct.name, pan=new_pan)
    assert (
        admin.tokens.Detokenize(
            token_pb2.DetokenizeRequest(parent=ACME, token=new_card.token, purpose="x"), timeout=30
        ).pan
        == new_pan
    )
    assert new_card.fingerprint != old_card.fingerprint
