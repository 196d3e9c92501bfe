"""CardService contract."""

from __future__ import annotations

import re

import grpc
import pytest

from crs.v1 import audit_pb2, card_pb2, customer_pb2, relationship_pb2
from tests.helpers.data import (
    ACME,
    GLOBEX,
    create_account,
    create_customer,
    customer_with_account,
    link_account,
    register_card,
    request_id,
    tokenize,
    uid,
)
from tests.helpers.pans import formatted, luhn_valid, make_luhn_invalid_pan, make_pan
from tests.helpers.rpc import SEEN_FAILURES, assert_no_pan, expect_error, list_all

K = card_pb2
SC = grpc.StatusCode

# Every PAN this module sends, for the final no-PAN-in-errors check.
USED_PANS: list[str] = []


def _pan(prefix="411111", length=16):
    pan = make_pan(prefix, length)
    USED_PANS.append(pan)
    return pan


def _bad_pan(**kw):
    pan = make_luhn_invalid_pan(**kw)
    USED_PANS.append(pan)
    return pan


def _register_req(account_name, pan, **kw):
    fields = {
        "parent": ACME,
        "pan": pan,
        "expiry_month": 7,
        "expiry_year": 2030,
        "cardholder_name": "A HOLDER",
        "account": account_name,
        "request_id": request_id(),
    }
    fields.update(kw)
    return K.RegisterCardRequest(**fields)


def _assert_token_shape(token, pan):
    assert token.isdigit(), token
    assert len(token) == len(pan)
    assert token[:6] == pan[:6] and token[-4:] == pan[-4:]
    assert token != pan
    assert not luhn_valid(token), "token must fail the Luhn check"


@pytest.mark.parametrize(
    ("prefix", "length", "brand"),
    [
        ("411111", 16, K.CARD_BRAND_VISA),
        ("555555", 16, K.CARD_BRAND_MASTERCARD),
        ("378282", 15, K.CARD_BRAND_AMEX),
        ("411111", 19, K.CARD_BRAND_VISA),
        ("411111", 13, K.CARD_BRAND_VISA),
    ],
)
def test_register_and_get(admin, prefix, length, brand):
    cust, acct = customer_with_account(admin)
    pan = _pan(prefix, length)
    card = admin.cards.RegisterCard(_register_req(acct.name, pan), timeout=30)
    assert card.name.startswith("tenants/acme/cards/")
    assert card.account == acct.name
    assert card.customer == cust.name  # defaults to the account owner
    assert card.bin == pan[:6] and card.last4 == pan[-4:]
    _assert_token_shape(card.token, pan)
    assert card.brand == brand
    assert re.fullmatch(r"[0-9a-f]{64}", card.fingerprint), card.fingerprint
    assert card.state == K.CARD_STATE_ACTIVE
    assert (card.expiry_month, card.expiry_year, card.cardholder_name) == (7, 2030, "A HOLDER")
    assert card.etag and card.create_time.seconds > 0
    assert pan not in str(card)
    assert admin.cards.GetCard(K.GetCardRequest(name=card.name), timeout=30) == card


def test_register_with_explicit_cardholder_and_id(admin):
    _, acct = customer_with_account(admin)
    holder = create_customer(admin)
    cid = f"card-{uid()}"
    card = admin.cards.RegisterCard(_register_req(acct.name, _pan(), customer=holder.name, card_id=cid), timeout=30)
    assert card.name == f"tenants/acme/cards/{cid}"
    assert card.customer == holder.name
    f = expect_error(SC.ALREADY_EXISTS, admin.cards.RegisterCard, _register_req(acct.name, _pan(), card_id=cid))
    assert f.resource_info is not None and f.resource_info.resource_name == card.name


def test_formatted_pan_accepted_and_duplicate_detected(admin):
    _, acct = customer_with_account(admin)
    pan = _pan()
    card = admin.cards.RegisterCard(_register_req(acct.name, formatted(pan, " ")), timeout=30)
    assert card.bin == pan[:6] and card.last4 == pan[-4:]
    for variant in (pan, formatted(pan, "-"), formatted(pan, " ")):
        f = expect_error(SC.ALREADY_EXISTS, admin.cards.RegisterCard, _register_req(acct.name, variant))
        assert f.resource_info is not None, f.describe()
        assert f.resource_info.resource_name == card.name, f.describe()
        assert_no_pan(f.text_blob(), [pan], "ALREADY_EXISTS error")
    # Also on a different account of the same tenant.
    _, other = customer_with_account(admin)
    f = expect_error(SC.ALREADY_EXISTS, admin.cards.RegisterCard, _register_req(other.name, pan))
    assert f.resource_info.resource_name == card.name


@pytest.mark.parametrize("kind", ["luhn", "short", "long", "letters", "empty", "symbols"])
def test_register_invalid_pan(admin, kind):
    _, acct = customer_with_account(admin)
    good = _pan()
    pan = {
        "luhn": _bad_pan(),
        "short": good[:11],
        "long": good + "0000",
        "letters": good[:8] + "abcd" + good[12:],
        "empty": "",
        "symbols": good[:8] + "/" + good[8:],
    }[kind]
    f = expect_error(SC.INVALID_ARGUMENT, admin.cards.RegisterCard, _register_req(acct.name, pan), field="pan")
    if kind != "empty":
        assert f.reason == "INVALID_PAN", f.describe()
    assert_no_pan(f.text_blob(), [good, pan] if len(pan) >= 12 else [good], "RegisterCard error")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expiry_month": 13}, "expiry_month"),
        ({"expiry_month": 0}, "expiry_month"),
        ({"expiry_year": 30}, "expiry_year"),
        ({"account": ""}, "account"),
        ({"account": "accounts/x"}, "account"),
    ],
    ids=["month-13", "month-0", "two-digit-year", "no-account", "bad-account-name"],
)
def test_register_invalid_fields(admin, overrides, field):
    _, acct = customer_with_account(admin)
    expect_error(
        SC.INVALID_ARGUMENT, admin.cards.RegisterCard, _register_req(acct.name, _pan(), **overrides), field=field
    )


def test_register_on_missing_account(admin):
    pan = _pan()
    f = expect_error(
        (SC.NOT_FOUND, SC.FAILED_PRECONDITION),
        admin.cards.RegisterCard,
        _register_req(f"tenants/acme/accounts/ghost-{uid()}", pan),
    )
    assert_no_pan(f.text_blob(), [pan])


def test_register_idempotent_replay_and_reuse(admin):
    _, acct = customer_with_account(admin)
    req = _register_req(acct.name, _pan())
    first = admin.cards.RegisterCard(req, timeout=30)
    second = admin.cards.RegisterCard(req, timeout=30)
    assert first == second
    cards = list_all(admin.cards.ListCards, K.ListCardsRequest(parent=ACME, account=acct.name), "cards")
    assert [c.name for c in cards] == [first.name]
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=first.name), "audit_events"
    )
    assert len([e for e in events if e.method == "/crs.v1.CardService/RegisterCard"]) == 1
    other = _register_req(acct.name, _pan(), request_id=req.request_id)
    f = expect_error(SC.FAILED_PRECONDITION, admin.cards.RegisterCard, other, reason="REQUEST_ID_REUSED")
    assert_no_pan(f.text_blob(), [req.pan, other.pan])


def test_get_not_found_and_bad_name(admin):
    name = f"tenants/acme/cards/none-{uid()}"
    f = expect_error(SC.NOT_FOUND, admin.cards.GetCard, K.GetCardRequest(name=name))
    assert f.resource_info is not None and f.resource_info.resource_name == name
    expect_error(SC.INVALID_ARGUMENT, admin.cards.GetCard, K.GetCardRequest(name="cards/1"), field="name")


def test_list_by_account_and_customer(admin):
    owner, acct = customer_with_account(admin)
    holder = create_customer(admin)
    c1 = register_card(admin, acct.name, pan=_pan())
    c2 = register_card(admin, acct.name, pan=_pan(), customer=holder.name)
    _, other_acct = customer_with_account(admin)
    c3 = register_card(admin, other_acct.name, pan=_pan(), customer=holder.name)
    by_acct = [
        c.name
        for c in list_all(
            admin.cards.ListCards, K.ListCardsRequest(parent=ACME, account=acct.name), "cards", page_size=1
        )
    ]
    assert sorted(by_acct) == sorted([c1.name, c2.name])
    by_holder = {
        c.name for c in list_all(admin.cards.ListCards, K.ListCardsRequest(parent=ACME, customer=holder.name), "cards")
    }
    assert by_holder == {c2.name, c3.name}
    by_owner = {
        c.name for c in list_all(admin.cards.ListCards, K.ListCardsRequest(parent=ACME, customer=owner.name), "cards")
    }
    # The owner of the cards' account sees both, including c2 held by someone else.
    assert by_owner == {c1.name, c2.name}, f"missing: { ({c1.name, c2.name} - by_owner) } (c2={c2.name})"


def test_list_pagination_and_errors(admin):
    _, acct = customer_with_account(admin)
    made = [register_card(admin, acct.name, pan=_pan()).name for _ in range(7)]
    seen = []
    req = K.ListCardsRequest(parent=ACME, account=acct.name, page_size=3)
    pages = 0
    while True:
        resp = admin.cards.ListCards(req, timeout=30)
        pages += 1
        seen += [c.name for c in resp.cards]
        if pages == 1:
            made.append(register_card(admin, acct.name, pan=_pan()).name)
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    assert len(seen) == len(set(seen))
    for n in made[:7]:
        assert seen.count(n) == 1
    assert pages >= 3
    expect_error(SC.INVALID_ARGUMENT, admin.cards.ListCards, K.ListCardsRequest(parent=ACME))
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.ListCards,
        K.ListCardsRequest(parent=ACME, account=acct.name, customer="tenants/acme/customers/x"),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.ListCards,
        K.ListCardsRequest(parent=ACME, account=acct.name, page_size=-1),
        field="page_size",
    )
    first = admin.cards.ListCards(K.ListCardsRequest(parent=ACME, account=acct.name, page_size=2), timeout=30)
    _, acct2 = customer_with_account(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.ListCards,
        K.ListCardsRequest(parent=ACME, account=acct2.name, page_size=2, page_token=first.next_page_token),
        field="page_token",
    )
    tampered = first.next_page_token[:3] + ("x" if first.next_page_token[3] != "x" else "y") + first.next_page_token[4:]
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.ListCards,
        K.ListCardsRequest(parent=ACME, account=acct.name, page_size=2, page_token=tampered),
        field="page_token",
        reason="INVALID_PAGE_TOKEN",
    )


def test_update_card_state(admin):
    _, acct = customer_with_account(admin)
    card = register_card(admin, acct.name, pan=_pan())
    blocked = admin.cards.UpdateCardState(
        K.UpdateCardStateRequest(
            name=card.name,
            state=K.CARD_STATE_BLOCKED,
            reason="suspected fraud",
            etag=card.etag,
            request_id=request_id(),
        ),
        timeout=30,
    )
    assert blocked.state == K.CARD_STATE_BLOCKED and blocked.state_reason == "suspected fraud"
    assert blocked.etag != card.etag
    assert blocked.token == card.token
    expect_error(
        SC.ABORTED,
        admin.cards.UpdateCardState,
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_ACTIVE, etag=card.etag, request_id=request_id()),
        reason="ETAG_MISMATCH",
    )
    active = admin.cards.UpdateCardState(
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_ACTIVE, reason="cleared", request_id=request_id()),
        timeout=30,
    )
    assert active.state == K.CARD_STATE_ACTIVE
    closed = admin.cards.UpdateCardState(
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_CLOSED, reason="closed", request_id=request_id()),
        timeout=30,
    )
    assert closed.state == K.CARD_STATE_CLOSED
    for target in (K.CARD_STATE_ACTIVE, K.CARD_STATE_BLOCKED):
        expect_error(
            SC.FAILED_PRECONDITION,
            admin.cards.UpdateCardState,
            K.UpdateCardStateRequest(name=card.name, state=target, request_id=request_id()),
        )
    got = admin.cards.GetCard(K.GetCardRequest(name=card.name), timeout=30)
    assert got.state == K.CARD_STATE_CLOSED


def test_update_card_state_errors_and_replay(admin):
    _, acct = customer_with_account(admin)
    card = register_card(admin, acct.name, pan=_pan())
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.UpdateCardState,
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_UNSPECIFIED, request_id=request_id()),
        field="state",
    )
    expect_error(
        SC.NOT_FOUND,
        admin.cards.UpdateCardState,
        K.UpdateCardStateRequest(
            name=f"tenants/acme/cards/none-{uid()}", state=K.CARD_STATE_LOST, request_id=request_id()
        ),
    )
    req = K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_LOST, reason="lost", request_id=request_id())
    first = admin.cards.UpdateCardState(req, timeout=30)
    assert admin.cards.UpdateCardState(req, timeout=30) == first
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=card.name), "audit_events"
    )
    ok_updates = [e for e in events if e.method == "/crs.v1.CardService/UpdateCardState" and e.outcome == "OK"]
    assert len(ok_updates) == 1, events
    changed = K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_STOLEN, request_id=req.request_id)
    expect_error(SC.FAILED_PRECONDITION, admin.cards.UpdateCardState, changed, reason="REQUEST_ID_REUSED")


def test_lookup_by_pan_and_token(admin):
    owner = create_customer(admin)
    joint = create_customer(admin)
    holder = create_customer(admin)
    acct = create_account(admin, owner.name)
    link_account(admin, joint.name, acct.name, relationship_pb2.ACCOUNT_ROLE_JOINT_OWNER)
    link_account(admin, create_customer(admin).name, acct.name, relationship_pb2.ACCOUNT_ROLE_BENEFICIARY)
    pan = _pan()
    card = register_card(admin, acct.name, pan=pan, customer=holder.name)
    by_pan = admin.cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
    by_fmt = admin.cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=formatted(pan, "-")), timeout=30)
    by_token = admin.cards.LookupCard(K.LookupCardRequest(parent=ACME, token=card.token), timeout=30)
    for resp in (by_pan, by_fmt, by_token):
        assert resp.card == card
        assert resp.account.name == acct.name
        names = [c.name for c in resp.owners]
        assert len(names) == 3, names
        assert set(names[:2]) == {owner.name, joint.name}
        assert names[2] == holder.name
        assert pan not in str(resp)
    # Cardholder == owner: listed once.
    card2 = register_card(admin, acct.name, pan=_pan())
    resp = admin.cards.LookupCard(K.LookupCardRequest(parent=ACME, token=card2.token), timeout=30)
    assert sorted(c.name for c in resp.owners) == sorted([owner.name, joint.name])


def test_lookup_owners_masked_without_pii(crs_server, admin):
    plain = "3900101" + uid()[:4].translate(str.maketrans("abcdef", "123456"))
    owner = create_customer(
        admin,
        national_identifiers=[
            customer_pb2.NationalIdentifier(type=customer_pb2.NATIONAL_ID_TYPE_PERSONAL_CODE, value=plain)
        ],
    )
    acct = create_account(admin, owner.name)
    pan = _pan()
    register_card(admin, acct.name, pan=pan)
    seen = crs_server.clients("acme-read").cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
    nid = seen.owners[0].national_identifiers[0]
    assert nid.masked is True and nid.value == "*" * (len(plain) - 4) + plain[-4:]
    assert plain not in str(seen)
    full = admin.cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
    assert full.owners[0].national_identifiers[0].value == plain
    # Without pii the response is encoded in _core, with pii by the protobuf runtime: the same message but for
    # the national identifiers' values
    assert (seen.card, seen.account) == (full.card, full.account) and seen.card.name
    del full.owners[0].national_identifiers[:], seen.owners[0].national_identifiers[:]
    assert list(seen.owners) == list(full.owners)


def test_lookup_errors(admin):
    unknown = _pan()
    f = expect_error(SC.NOT_FOUND, admin.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=unknown))
    assert_no_pan(f.text_blob(), [unknown])
    bad = _bad_pan()
    f = expect_error(
        SC.INVALID_ARGUMENT,
        admin.cards.LookupCard,
        K.LookupCardRequest(parent=ACME, pan=bad),
        field="pan",
        reason="INVALID_PAN",
    )
    assert_no_pan(f.text_blob(), [bad])
    expect_error(SC.NOT_FOUND, admin.cards.LookupCard, K.LookupCardRequest(parent=ACME, token=_bad_pan()))
    expect_error(SC.INVALID_ARGUMENT, admin.cards.LookupCard, K.LookupCardRequest(parent=ACME))
    # A vaulted-but-unregistered PAN (Tokenize only) is not a card.
    vaulted = _pan()
    tok = tokenize(admin, vaulted)
    expect_error(SC.NOT_FOUND, admin.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=vaulted))
    expect_error(SC.NOT_FOUND, admin.cards.LookupCard, K.LookupCardRequest(parent=ACME, token=tok.token))


def test_scopes_and_auth(crs_server, admin):
    _, acct = customer_with_account(admin)
    pan = _pan()
    card = register_card(admin, acct.name, pan=pan)
    reader = crs_server.clients("acme-read")
    assert reader.cards.LookupCard(K.LookupCardRequest(parent=ACME, pan=pan), timeout=30).card.name == card.name
    f = expect_error(
        SC.PERMISSION_DENIED, reader.cards.RegisterCard, _register_req(acct.name, _pan()), reason="MISSING_SCOPE"
    )
    assert_no_pan(f.text_blob(), USED_PANS)
    expect_error(
        SC.PERMISSION_DENIED,
        reader.cards.UpdateCardState,
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_BLOCKED, request_id=request_id()),
        reason="MISSING_SCOPE",
    )
    tok = crs_server.clients("acme-tok")
    for call, req in (
        (tok.cards.GetCard, K.GetCardRequest(name=card.name)),
        (tok.cards.ListCards, K.ListCardsRequest(parent=ACME, account=acct.name)),
        (tok.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=pan)),
    ):
        f = expect_error(SC.PERMISSION_DENIED, call, req, reason="MISSING_SCOPE")
        assert_no_pan(f.text_blob(), [pan])
    for clients in (crs_server.clients(None), crs_server.clients(raw_header="Bearer wrong")):
        f = expect_error(SC.UNAUTHENTICATED, clients.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=pan))
        assert_no_pan(f.text_blob(), [pan])
        expect_error(SC.UNAUTHENTICATED, clients.cards.RegisterCard, _register_req(acct.name, _pan()))
    assert admin.cards.GetCard(K.GetCardRequest(name=card.name), timeout=30).state == K.CARD_STATE_ACTIVE


def test_cross_tenant(admin, globex):
    _, acct = customer_with_account(admin)
    pan = _pan()
    card = register_card(admin, acct.name, pan=pan)
    expect_error(SC.NOT_FOUND, globex.cards.GetCard, K.GetCardRequest(name=card.name))
    expect_error(SC.NOT_FOUND, globex.cards.ListCards, K.ListCardsRequest(parent=ACME, account=acct.name))
    expect_error(SC.NOT_FOUND, globex.cards.LookupCard, K.LookupCardRequest(parent=ACME, pan=pan))
    expect_error(SC.NOT_FOUND, globex.cards.LookupCard, K.LookupCardRequest(parent=ACME, token=card.token))
    f = expect_error(SC.NOT_FOUND, globex.cards.LookupCard, K.LookupCardRequest(parent=GLOBEX, pan=pan))
    assert_no_pan(f.text_blob(), [pan])
    expect_error(SC.NOT_FOUND, globex.cards.LookupCard, K.LookupCardRequest(parent=GLOBEX, token=card.token))
    expect_error(
        SC.NOT_FOUND,
        globex.cards.UpdateCardState,
        K.UpdateCardStateRequest(name=card.name, state=K.CARD_STATE_BLOCKED, request_id=request_id()),
    )
    expect_error(SC.NOT_FOUND, globex.cards.RegisterCard, _register_req(acct.name, _pan()))
    # Globex naming acme objects inside its own tenant's requests: NOT_FOUND, nothing listed.
    g_cust0 = create_customer(globex, parent=GLOBEX)
    g_acct0 = create_account(globex, g_cust0.name, parent=GLOBEX)
    expect_error(SC.NOT_FOUND, globex.cards.RegisterCard, _register_req(acct.name, _pan(), parent=GLOBEX))
    expect_error(
        SC.NOT_FOUND,
        globex.cards.RegisterCard,
        _register_req(g_acct0.name, _pan(), parent=GLOBEX, customer=acct.customer),
    )
    expect_error(SC.NOT_FOUND, globex.cards.ListCards, K.ListCardsRequest(parent=GLOBEX, account=acct.name))
    expect_error(SC.NOT_FOUND, globex.cards.ListCards, K.ListCardsRequest(parent=GLOBEX, customer=acct.customer))
    # The same PAN is independent per tenant: globex can register it on its own account (no cross-tenant
    # ALREADY_EXISTS oracle), with a different fingerprint.
    g_cust = create_customer(globex, parent="tenants/globex")
    g_acct = create_account(globex, g_cust.name, parent="tenants/globex")
    g_card = register_card(globex, g_acct.name, pan=pan, parent="tenants/globex")
    assert g_card.name.startswith("tenants/globex/cards/")
    assert g_card.fingerprint != card.fingerprint
    assert admin.cards.GetCard(K.GetCardRequest(name=card.name), timeout=30) == card


def test_zz_no_pan_in_any_error_message():
    """Runs last in this module: none of the errors seen above mentions any PAN used."""
    assert SEEN_FAILURES, "no failures were recorded"
    full = [p for p in USED_PANS if len(p) >= 12]
    for f in SEEN_FAILURES:
        assert_no_pan(f.text_blob(), full, f"error {f.code.name}")


@pytest.mark.timeout(60)
def test_concurrent_register_same_pan(admin):
    _, acct = customer_with_account(admin)
    pan = _pan()
    futures = [admin.cards.RegisterCard.future(_register_req(acct.name, pan), timeout=30) for _ in range(6)]
    oks, codes = [], []
    for f in futures:
        try:
            oks.append(f.result())
        except grpc.RpcError as e:
            codes.append(e.code())
    assert len(oks) == 1, f"{len(oks)} registrations succeeded; errors {codes}"
    assert codes == [SC.ALREADY_EXISTS] * 5
    cards = list_all(admin.cards.ListCards, K.ListCardsRequest(parent=ACME, account=acct.name), "cards")
    assert [c.name for c in cards] == [oks[0].name]
