"""No PAN ever reaches the logs, error messages or the database files in clear."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from crs.v1 import card_pb2, token_pb2
from tests.helpers.data import ACME, GLOBEX, customer_with_account, register_card, request_id, tokenize
from tests.helpers.pans import formatted, make_luhn_invalid_pan, make_pan, make_pans
from tests.helpers.rpc import RpcFailure, parse_error
from tests.helpers.scan import find_pans, masked, scan_files
from tests.helpers.server import CrsServer

K = card_pb2
T = token_pb2


class Workload:
    """Drives every PAN-carrying path; remembers every PAN sent and every error received."""

    def __init__(self, server: CrsServer) -> None:
        self.admin = server.clients("acme-admin")
        self.reader = server.clients("acme-read")
        self.tok = server.clients("acme-tok")
        self.detok = server.clients("acme-detok")
        self.globex = server.clients("globex-admin")
        self.anon = server.clients(None)
        self.used: list[str] = []
        self.failures: list[RpcFailure] = []
        self.cards: list[tuple[str, card_pb2.Card]] = []
        self.tokens: dict[str, str] = {}
        _, self.account = customer_with_account(self.admin)

    def pan(self, prefix: str = "411111", length: int = 16) -> str:
        p = make_pan(prefix, length)
        self.used.append(p)
        return p

    def bad(self, length: int = 16) -> str:
        p = make_luhn_invalid_pan(length=length)
        self.used.append(p)
        return p

    def fails(self, fn: Any, req: Any) -> None:
        try:
            fn(req, timeout=60)
        except grpc.RpcError as e:
            self.failures.append(parse_error(e))
            return
        raise AssertionError(f"{fn} unexpectedly succeeded")

    def _register_req(self, pan: str, **kw: Any) -> card_pb2.RegisterCardRequest:
        fields = {
            "parent": ACME,
            "pan": pan,
            "expiry_month": 1,
            "expiry_year": 2030,
            "account": self.account.name,
            "request_id": request_id(),
        }
        fields.update(kw)
        return K.RegisterCardRequest(**fields)

    def register(self) -> None:
        admin = self.admin
        for i in range(40):
            p = self.pan(("411111", "555555", "378282", "601100")[i % 4], (16, 16, 15, 19)[i % 4])
            shown = (p, formatted(p, " "), formatted(p, "-"))[i % 3]
            self.cards.append((p, register_card(admin, self.account.name, pan=shown)))
        for p, _ in self.cards[:10]:
            self.fails(admin.cards.RegisterCard, self._register_req(p))  # ALREADY_EXISTS
        for n in (16, 19, 13):
            self.fails(admin.cards.RegisterCard, self._register_req(self.bad(n)))
        self.fails(self.reader.cards.RegisterCard, self._register_req(self.pan()))
        self.fails(admin.cards.RegisterCard, self._register_req(self.pan(), expiry_month=13))
        self.fails(admin.cards.RegisterCard, self._register_req(self.pan(), account="tenants/acme/accounts/ghost"))
        rid = request_id()
        register_card(admin, self.account.name, pan=self.pan(), request_id=rid)
        self.fails(admin.cards.RegisterCard, self._register_req(self.pan(), request_id=rid))  # reused request_id
        self.fails(admin.cards.RegisterCard, self._register_req(self.pan() + "x"))
        self.fails(admin.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=f"card:{self.pan()}"))

    def tokenize(self) -> None:
        for _ in range(40):
            p = self.pan()
            self.tokens[p] = tokenize(self.tok, p).token
        for n in (16, 12, 19):
            self.fails(self.tok.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=self.bad(n)))
        for clients in (self.reader, self.anon):
            self.fails(clients.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=self.pan()))
        self.fails(self.globex.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=self.pan()))

    def batch(self) -> None:
        batch = make_pans(3000)
        for i in range(0, 3000, 100):
            batch[i] = make_luhn_invalid_pan()
        self.used.extend(batch)
        resp = self.tok.tokens.BatchTokenize(T.BatchTokenizeRequest(parent=ACME, pans=batch), timeout=120)
        assert resp.failure_count == 30 and resp.success_count == 2970
        errors = [r.error for r in resp.results if r.WhichOneof("result") == "error"]
        assert len(errors) == 30
        hits = find_pans("\n".join(errors).encode(), self.used)
        assert not hits, f"PAN(s) {masked(hits)} in batch item errors"
        self.fails(self.reader.tokens.BatchTokenize, T.BatchTokenizeRequest(parent=ACME, pans=batch[:50]))

    def lookup(self) -> None:
        for p, card in self.cards[:20]:
            got = self.reader.cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=p), timeout=30)
            assert got.card.name == card.name
        for _ in range(10):
            self.fails(self.reader.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=self.pan()))
        for n in (16, 15):
            self.fails(self.reader.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=self.bad(n)))
        for p, _ in self.cards[20:25]:
            self.fails(self.globex.cards.LookupCard, K.LookupCardRequest(parent=GLOBEX, pan=p))
            self.fails(self.globex.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=p))
            self.fails(self.tok.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=p))
            self.fails(self.anon.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=p))

    def detokenize(self) -> None:
        # The responses contain the PAN: that is the test's own output and is not scanned.
        for p, t in list(self.tokens.items())[:10]:
            resp = self.detok.tokens.Detokenize(
                T.DetokenizeRequest(parent=ACME, token=t, purpose="dispute"), timeout=30
            )
            assert resp.pan == p
        for p, card in self.cards[:5]:
            resp = self.detok.tokens.Detokenize(
                T.DetokenizeRequest(parent=ACME, token=card.token, purpose="dispute"), timeout=30
            )
            assert resp.pan == p
            self.fails(self.detok.tokens.Detokenize, T.DetokenizeRequest(parent=ACME, token=card.token))
            self.fails(self.tok.tokens.Detokenize, T.DetokenizeRequest(parent=ACME, token=card.token, purpose="x"))
            self.fails(self.globex.tokens.Detokenize, T.DetokenizeRequest(parent=GLOBEX, token=card.token, purpose="x"))


@pytest.mark.timeout(240)
def test_no_pan_in_logs_errors_or_database(fresh_server):
    server = fresh_server
    w = Workload(server)
    w.register()
    w.tokenize()
    w.batch()
    w.lookup()
    w.detokenize()
    assert len(w.failures) > 60
    assert len(set(w.used)) > 3000

    # 1. Error messages and details the clients saw.
    for f in w.failures:
        hits = find_pans(f.text_blob().encode("utf-8", "replace"), w.used)
        assert not hits, f"PAN(s) {masked(hits)} in a {f.code.name} error: {f.message[:80]!r}"

    # 2. The database files while the server is running (WAL not yet checkpointed).
    data_files = server.store_files()
    if server.backend == "embedded":
        assert server.db_file.exists(), f"no database at {server.db_file}: {data_files}"
        assert server.wal_file.exists(), f"no WAL at {server.wal_file}: {data_files}"
    leaks = scan_files(data_files, w.used)
    assert not leaks, {k: masked(v) for k, v in leaks.items()}

    # 3. After a clean stop: logs, stdout, every file in the data dir.
    rc = server.terminate()
    assert rc == 0, f"server exited with {rc}"
    assert b'"rpc"' in server.log_file.read_bytes(), "the server log has no per-RPC lines"
    files = [server.log_file, server.stdout_file, *sorted(server.data_dir.rglob("*")), *server.store_files()]
    leaks = scan_files(files, w.used)
    assert not leaks, {k: masked(v) for k, v in leaks.items()}
