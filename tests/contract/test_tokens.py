"""TokenService contract (vault: Tokenize, BatchTokenize, Detokenize)."""

from __future__ import annotations

import re

import grpc
import pytest

from crs.v1 import audit_pb2, card_pb2, token_pb2
from tests.helpers.data import ACME, GLOBEX, customer_with_account, register_card, tokenize, uid
from tests.helpers.pans import formatted, luhn_valid, make_luhn_invalid_pan, make_pan, make_pans
from tests.helpers.rpc import SEEN_FAILURES, assert_no_pan, expect_error, list_all

T = token_pb2
SC = grpc.StatusCode
DETOKENIZE = "/crs.v1.TokenService/Detokenize"

USED_PANS: list[str] = []


def _pan(prefix="411111", length=16):
    pan = make_pan(prefix, length)
    USED_PANS.append(pan)
    return pan


def _assert_token_shape(token, pan):
    assert token.isdigit() and len(token) == len(pan), token
    assert token[:6] == pan[:6] and token[-4:] == pan[-4:]
    assert token != pan
    assert not luhn_valid(token)


@pytest.mark.parametrize(
    ("prefix", "length"),
    [("411111", 16), ("555555", 16), ("378282", 15), ("601100", 19), ("411111", 12), ("411111", 13)],
)
def test_tokenize_deterministic(admin, prefix, length):
    pan = _pan(prefix, length)
    first = tokenize(admin, pan)
    assert first.created is True
    _assert_token_shape(first.token, pan)
    assert first.bin == pan[:6] and first.last4 == pan[-4:]
    assert re.fullmatch(r"[0-9a-f]{64}", first.fingerprint)
    second = tokenize(admin, pan)
    assert second.created is False
    assert (second.token, second.fingerprint, second.bin, second.last4, second.brand) == (
        first.token,
        first.fingerprint,
        first.bin,
        first.last4,
        first.brand,
    )
    third = tokenize(admin, formatted(pan, " "))
    assert third.token == first.token and third.created is False


def test_tokenize_different_pans_different_tokens(admin):
    pans = [_pan() for _ in range(20)]
    tokens = [tokenize(admin, p).token for p in pans]
    assert len(set(tokens)) == 20


def test_tokenize_scope_key(crs_server):
    tok = crs_server.clients("acme-tok")
    pan = _pan()
    r = tokenize(tok, pan)
    _assert_token_shape(r.token, pan)
    for key in ("acme-read", "acme-rw", "acme-detok"):
        f = expect_error(
            SC.PERMISSION_DENIED,
            crs_server.clients(key).tokens.Tokenize,
            T.TokenizeRequest(parent=ACME, pan=pan),
            reason="MISSING_SCOPE",
        )
        assert_no_pan(f.text_blob(), [pan])
        expect_error(
            SC.PERMISSION_DENIED,
            crs_server.clients(key).tokens.BatchTokenize,
            T.BatchTokenizeRequest(parent=ACME, pans=[pan]),
            reason="MISSING_SCOPE",
        )
    f = expect_error(
        SC.UNAUTHENTICATED, crs_server.clients(None).tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=pan)
    )
    assert_no_pan(f.text_blob(), [pan])


def test_register_card_token_equals_tokenize_token(admin):
    _, acct = customer_with_account(admin)
    # Tokenize first, then register.
    pan1 = _pan()
    t1 = tokenize(admin, pan1)
    c1 = register_card(admin, acct.name, pan=pan1)
    assert c1.token == t1.token and c1.fingerprint == t1.fingerprint
    # Register first, then tokenize.
    pan2 = _pan("555555")
    c2 = register_card(admin, acct.name, pan=pan2)
    t2 = tokenize(admin, pan2)
    assert t2.token == c2.token and t2.fingerprint == c2.fingerprint and t2.created is False
    assert t2.brand == c2.brand == card_pb2.CARD_BRAND_MASTERCARD


@pytest.mark.parametrize("kind", ["luhn", "short", "long", "letters", "empty"])
def test_tokenize_invalid(admin, kind):
    good = _pan()
    pan = {
        "luhn": make_luhn_invalid_pan(),
        "short": good[:11],
        "long": good + "1234",
        "letters": good[:6] + "x" + good[7:],
        "empty": "",
    }[kind]
    if len(pan) >= 12:
        USED_PANS.append(pan)
    f = expect_error(SC.INVALID_ARGUMENT, admin.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=pan), field="pan")
    assert_no_pan(f.text_blob(), [good] + ([pan] if len(pan) >= 12 else []))


@pytest.mark.timeout(120)
def test_batch_tokenize_10000(admin):
    n = 10_000
    pans = make_pans(n)
    invalid_at = {
        17: make_luhn_invalid_pan(),
        4242: "12345",
        5000: pans[3][:8] + "abcd" + pans[3][12:],
        9998: make_luhn_invalid_pan(length=19),
        777: "",
    }
    for i, bad in invalid_at.items():
        pans[i] = bad
    dup_at = 9000
    pans[dup_at] = pans[1]  # a duplicate inside the batch: same token
    USED_PANS.extend(p for p in pans if len(p) >= 12)
    pre = tokenize(admin, pans[2])  # already vaulted before the batch
    resp = admin.tokens.BatchTokenize(T.BatchTokenizeRequest(parent=ACME, pans=pans), timeout=120)
    assert len(resp.results) == n
    assert [r.index for r in resp.results] == list(range(n))
    assert resp.failure_count == len(invalid_at)
    assert resp.success_count == n - len(invalid_at)
    for r in resp.results:
        if r.index in invalid_at:
            assert r.WhichOneof("result") == "error", r
            assert r.error
            assert_no_pan(r.error, [p for p in pans if len(p) >= 12] + [invalid_at[r.index]], "batch item error")
            assert not re.search(r"\d{6,}", r.error), f"digits in error text: {r.error!r}"
        else:
            assert r.WhichOneof("result") == "token", r
            _assert_token_shape(r.token.token, pans[r.index])
    assert resp.results[dup_at].token.token == resp.results[1].token.token
    assert resp.results[2].token.token == pre.token and resp.results[2].token.created is False
    assert resp.results[0].token.created is True
    tokens = [r.token.token for r in resp.results if r.WhichOneof("result") == "token" and r.index != dup_at]
    assert len(set(tokens)) == len(tokens)
    # Batch tokens detokenize to their PANs.
    assert (
        admin.tokens.Detokenize(
            T.DetokenizeRequest(parent=ACME, token=resp.results[4321].token.token, purpose="batch check"), timeout=30
        ).pan
        == pans[4321]
    )
    # Batch tokens agree with single Tokenize.
    for i in (0, 123, 9999):
        assert tokenize(admin, pans[i]).token == resp.results[i].token.token
    assert_no_pan(str(resp).replace("\n", " "), [p for p in pans if len(p) >= 12], "batch response")


def test_batch_tokenize_limits(admin):
    resp = admin.tokens.BatchTokenize(T.BatchTokenizeRequest(parent=ACME, pans=[]), timeout=30)
    assert len(resp.results) == 0 and resp.success_count == 0 and resp.failure_count == 0
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.tokens.BatchTokenize,
        T.BatchTokenizeRequest(parent=ACME, pans=["4111111111111111"] * 100_001),
        field="pans",
    )


def _detok_events(admin, actor):
    events = list_all(
        admin.audit.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(parent=ACME, actor=actor),
        "audit_events",
        page_size=1000,
    )
    return [e for e in events if e.method == DETOKENIZE]


def test_detokenize_with_scope_and_purpose(crs_server, admin):
    pan = _pan()
    t = tokenize(admin, pan)
    detok = crs_server.clients("acme-detok")
    purpose = f"chargeback-dispute {uid()}"
    before = len(_detok_events(admin, "acme-detok"))
    resp = detok.tokens.Detokenize(T.DetokenizeRequest(parent=ACME, token=t.token, purpose=purpose), timeout=30)
    assert resp.pan == pan
    events = _detok_events(admin, "acme-detok")
    assert len(events) == before + 1
    ev = events[-1]
    assert ev.outcome == "OK" and ev.purpose == purpose and ev.actor == "acme-detok" and ev.tenant == "acme"
    assert ev.time.seconds > 0 and ev.event_id
    assert_no_pan(str(ev), [pan], "audit event")
    # Admin implies detokenize.
    assert (
        admin.tokens.Detokenize(T.DetokenizeRequest(parent=ACME, token=t.token, purpose="ops"), timeout=30).pan == pan
    )


def test_detokenize_without_scope_is_denied_and_audited(crs_server, admin):
    pan = _pan()
    t = tokenize(admin, pan)
    for key in ("acme-tok", "acme-rw", "acme-read"):
        before = len(_detok_events(admin, key))
        f = expect_error(
            SC.PERMISSION_DENIED,
            crs_server.clients(key).tokens.Detokenize,
            T.DetokenizeRequest(parent=ACME, token=t.token, purpose="curious"),
            reason="MISSING_SCOPE",
        )
        assert_no_pan(f.text_blob(), [pan])
        events = _detok_events(admin, key)
        assert len(events) == before + 1, f"refused Detokenize by {key} not audited"
        assert events[-1].outcome == "PERMISSION_DENIED"
        assert events[-1].actor == key


def test_detokenize_without_purpose_is_rejected_and_audited(crs_server, admin):
    pan = _pan()
    t = tokenize(admin, pan)
    detok = crs_server.clients("acme-detok")
    before = len(_detok_events(admin, "acme-detok"))
    f = expect_error(
        SC.INVALID_ARGUMENT, detok.tokens.Detokenize, T.DetokenizeRequest(parent=ACME, token=t.token), field="purpose"
    )
    assert_no_pan(f.text_blob(), [pan])
    events = _detok_events(admin, "acme-detok")
    assert len(events) == before + 1
    assert events[-1].outcome == "INVALID_ARGUMENT"


def test_detokenize_unknown_token(crs_server):
    detok = crs_server.clients("acme-detok")
    expect_error(
        SC.NOT_FOUND,
        detok.tokens.Detokenize,
        T.DetokenizeRequest(parent=ACME, token=make_luhn_invalid_pan(), purpose="x"),
    )


def test_detokenize_unauthenticated(crs_server, admin):
    t = tokenize(admin, _pan())
    for clients in (crs_server.clients(None), crs_server.clients(raw_header="Bearer bogus")):
        expect_error(
            SC.UNAUTHENTICATED, clients.tokens.Detokenize, T.DetokenizeRequest(parent=ACME, token=t.token, purpose="x")
        )


def test_cross_tenant(admin, globex):
    pan = _pan()
    t = tokenize(admin, pan)
    for parent in (ACME, GLOBEX):
        f = expect_error(
            SC.NOT_FOUND, globex.tokens.Detokenize, T.DetokenizeRequest(parent=parent, token=t.token, purpose="steal")
        )
        assert_no_pan(f.text_blob(), [pan])
    expect_error(SC.NOT_FOUND, globex.tokens.Tokenize, T.TokenizeRequest(parent=ACME, pan=pan))
    expect_error(SC.NOT_FOUND, globex.tokens.BatchTokenize, T.BatchTokenizeRequest(parent=ACME, pans=[pan]))
    # Globex vaulting the same PAN gets its own entry, with a per-tenant fingerprint.
    g = tokenize(globex, pan, parent=GLOBEX)
    assert g.created is True
    assert g.fingerprint != t.fingerprint
    assert (
        globex.tokens.Detokenize(T.DetokenizeRequest(parent=GLOBEX, token=g.token, purpose="own"), timeout=30).pan
        == pan
    )
    if g.token != t.token:
        expect_error(
            SC.NOT_FOUND, globex.tokens.Detokenize, T.DetokenizeRequest(parent=GLOBEX, token=t.token, purpose="steal")
        )


def test_zz_no_pan_in_any_error_message():
    assert SEEN_FAILURES
    for f in SEEN_FAILURES:
        assert_no_pan(f.text_blob(), USED_PANS, f"error {f.code.name}")


@pytest.mark.timeout(60)
def test_concurrent_tokenize_same_pan(admin):
    pan = _pan()
    futures = [admin.tokens.Tokenize.future(T.TokenizeRequest(parent=ACME, pan=pan), timeout=30) for _ in range(8)]
    results = [f.result() for f in futures]
    assert len({r.token for r in results}) == 1
    assert sum(r.created for r in results) == 1, [r.created for r in results]
