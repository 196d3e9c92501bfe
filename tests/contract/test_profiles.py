"""ProfileService contract: get/update with masks and etags, validation, references, tenancy, inheritance."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.type import date_pb2, timeofday_pb2

from crs.v1 import account_pb2, audit_pb2, card_pb2, cluster_pb2, customer_pb2, profile_pb2, profile_pb2_grpc
from tests.helpers.data import (
    ACME,
    create_account,
    create_customer,
    customer_with_account,
    make_iban,
    register_card,
    request_id,
    uid,
)
from tests.helpers.pans import make_pan
from tests.helpers.rpc import assert_no_pan, expect_error, list_all

P = profile_pb2
SC = grpc.StatusCode


@pytest.fixture(scope="module")
def profiles(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "acme-admin")


def _pname(customer: str) -> str:
    return f"{customer}/profile"


def _update(profiles, profile, paths, rid=None, key_stub=None):
    stub = key_stub or profiles
    return stub.UpdateProfile(
        P.UpdateProfileRequest(
            profile=profile, update_mask=field_mask_pb2.FieldMask(paths=paths), request_id=rid or request_id()
        ),
        timeout=30,
    )


def _tod(h: int, m: int = 0) -> timeofday_pb2.TimeOfDay:
    return timeofday_pb2.TimeOfDay(hours=h, minutes=m)


def _threshold(cur="EUR", per_tx=50_000, daily=200_000, start=(2026, 1, 1), until=None):
    t = P.PaymentThreshold(
        currency_code=cur,
        per_transaction_limit_minor=per_tx,
        daily_limit_minor=daily,
        effective_from=date_pb2.Date(year=start[0], month=start[1], day=start[2]),
    )
    if until:
        t.effective_until.CopyFrom(date_pb2.Date(year=until[0], month=until[1], day=until[2]))
    return t


# ------------------------------------------------------------------ get / update basics


def test_new_customer_has_an_empty_profile(admin, profiles):
    c = create_customer(admin)
    got = profiles.GetProfile(P.GetProfileRequest(name=_pname(c.name)), timeout=30)
    assert got.name == _pname(c.name)
    assert got.etag == "" and not got.preferred_currency and not got.default_payment_methods


def test_update_scalars_contact_and_thresholds_roundtrip(admin, profiles):
    c = create_customer(admin)
    profile = P.Profile(
        name=_pname(c.name),
        preferred_currency="EUR",
        preferred_language="et",
        contact_preferences=P.ContactPreferences(
            channel_order=[P.CONTACT_CHANNEL_PUSH, P.CONTACT_CHANNEL_EMAIL],
            quiet_hours=P.QuietHours(start=_tod(22), end=_tod(7, 30), time_zone="Europe/Tallinn"),
            opt_outs=[P.OptOut(channel=P.CONTACT_CHANNEL_SMS, purpose=P.CONTACT_PURPOSE_MARKETING)],
        ),
        payment_thresholds=[
            _threshold(start=(2027, 1, 1)),
            _threshold(start=(2026, 1, 1), until=(2027, 1, 1), per_tx=10_000),
            _threshold(cur="USD", start=(2026, 6, 1)),
        ],
    )
    updated = _update(profiles, profile, ["*"])
    assert updated.etag and updated.update_time.seconds > 0
    assert updated.preferred_currency == "EUR" and updated.preferred_language == "et"
    cp = updated.contact_preferences
    assert list(cp.channel_order) == [P.CONTACT_CHANNEL_PUSH, P.CONTACT_CHANNEL_EMAIL]
    assert (cp.quiet_hours.start.hours, cp.quiet_hours.end.hours, cp.quiet_hours.end.minutes) == (22, 7, 30)
    assert cp.quiet_hours.time_zone == "Europe/Tallinn"
    assert [(o.channel, o.purpose) for o in cp.opt_outs] == [(P.CONTACT_CHANNEL_SMS, P.CONTACT_PURPOSE_MARKETING)]
    # returned by currency, then effective_from
    assert [(t.currency_code, t.effective_from.year) for t in updated.payment_thresholds] == [
        ("EUR", 2026),
        ("EUR", 2027),
        ("USD", 2026),
    ]
    got = profiles.GetProfile(P.GetProfileRequest(name=_pname(c.name)), timeout=30)
    assert got == updated


def test_mask_limits_the_change_and_empty_value_clears(admin, profiles):
    c = create_customer(admin)
    name = _pname(c.name)
    first = _update(profiles, P.Profile(name=name, preferred_currency="EUR", preferred_language="en"), ["*"])
    # only preferred_language is in the mask: the currency sent is ignored
    second = _update(
        profiles, P.Profile(name=name, preferred_currency="USD", preferred_language="fi"), ["preferred_language"]
    )
    assert second.preferred_currency == "EUR" and second.preferred_language == "fi"
    assert second.etag != first.etag
    cleared = _update(profiles, P.Profile(name=name), ["preferred_currency"])
    assert cleared.preferred_currency == "" and cleared.preferred_language == "fi"


def test_etag_mismatch_is_aborted_and_current_etag_applies(admin, profiles):
    c = create_customer(admin)
    name = _pname(c.name)
    first = _update(profiles, P.Profile(name=name, preferred_currency="EUR"), ["preferred_currency"])
    _update(profiles, P.Profile(name=name, preferred_currency="GBP", etag=first.etag), ["preferred_currency"])
    expect_error(
        SC.ABORTED,
        profiles.UpdateProfile,
        P.UpdateProfileRequest(
            profile=P.Profile(name=name, preferred_currency="SEK", etag=first.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["preferred_currency"]),
        ),
        reason="ETAG_MISMATCH",
    )
    # an etag on a profile never written is stale too
    other = create_customer(admin)
    expect_error(
        SC.ABORTED,
        profiles.UpdateProfile,
        P.UpdateProfileRequest(
            profile=P.Profile(name=_pname(other.name), preferred_currency="SEK", etag="0123456789abcdef"),
            update_mask=field_mask_pb2.FieldMask(paths=["preferred_currency"]),
        ),
    )


def test_request_id_replays_the_first_result(admin, profiles):
    c = create_customer(admin)
    rid = request_id()
    profile = P.Profile(name=_pname(c.name), preferred_currency="EUR")
    first = _update(profiles, profile, ["preferred_currency"], rid=rid)
    again = _update(profiles, profile, ["preferred_currency"], rid=rid)
    assert again.etag == first.etag


def test_every_change_is_audited_with_its_fields(admin, profiles):
    c = create_customer(admin)
    name = _pname(c.name)
    _update(profiles, P.Profile(name=name, preferred_currency="EUR"), ["preferred_currency"])
    _update(profiles, P.Profile(name=name, preferred_language="et"), ["contact_preferences", "preferred_language"])
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=name), "audit_events"
    )
    assert [e.method for e in events] == ["/crs.v1.ProfileService/UpdateProfile"] * 2
    assert list(events[0].changed_fields) == ["preferred_currency"]
    assert set(events[1].changed_fields) == {
        "preferred_language",
        "contact_preferences.channel_order",
        "contact_preferences.quiet_hours",
        "contact_preferences.opt_outs",
    }
    assert all(e.actor == "acme-admin" and e.outcome == "OK" for e in events)


# ------------------------------------------------------------------ validation


def test_update_mask_is_required_and_checked(admin, profiles):
    c = create_customer(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        profiles.UpdateProfile,
        P.UpdateProfileRequest(profile=P.Profile(name=_pname(c.name), preferred_currency="EUR")),
        field="update_mask",
    )
    for bad in (["preferred_colour"], ["default_payment_methods.ATM"], ["etag"], []):
        expect_error(
            SC.INVALID_ARGUMENT,
            profiles.UpdateProfile,
            P.UpdateProfileRequest(
                profile=P.Profile(name=_pname(c.name)), update_mask=field_mask_pb2.FieldMask(paths=bad)
            ),
            field="update_mask",
        )


@pytest.mark.parametrize(
    ("profile_fields", "field"),
    [
        ({"preferred_currency": "EURO"}, "profile.preferred_currency"),
        ({"preferred_currency": "eur"}, "profile.preferred_currency"),
        ({"preferred_language": "English"}, "profile.preferred_language"),
        (
            {"contact_preferences": P.ContactPreferences(channel_order=[1, 1])},
            "profile.contact_preferences.channel_order[1]",
        ),
        (
            {"contact_preferences": P.ContactPreferences(channel_order=[9])},
            "profile.contact_preferences.channel_order[0]",
        ),
        (
            {
                "contact_preferences": P.ContactPreferences(
                    quiet_hours=P.QuietHours(start=_tod(22), end=_tod(7), time_zone="Mars/Olympus")
                )
            },
            "profile.contact_preferences.quiet_hours.time_zone",
        ),
        (
            {
                "contact_preferences": P.ContactPreferences(
                    quiet_hours=P.QuietHours(start=_tod(22), end=_tod(7), time_zone="../../etc/passwd")
                )
            },
            "profile.contact_preferences.quiet_hours.time_zone",
        ),
        (
            {
                "contact_preferences": P.ContactPreferences(
                    quiet_hours=P.QuietHours(start=_tod(22), end=_tod(22), time_zone="UTC")
                )
            },
            "profile.contact_preferences.quiet_hours.end",
        ),
        (
            {
                "contact_preferences": P.ContactPreferences(
                    quiet_hours=P.QuietHours(
                        start=timeofday_pb2.TimeOfDay(hours=22, seconds=5), end=_tod(6), time_zone="UTC"
                    )
                )
            },
            "profile.contact_preferences.quiet_hours.start",
        ),
        (
            {"contact_preferences": P.ContactPreferences(opt_outs=[P.OptOut(channel=1)])},
            "profile.contact_preferences.opt_outs[0].purpose",
        ),
        (
            {
                "contact_preferences": P.ContactPreferences(
                    opt_outs=[P.OptOut(channel=1, purpose=3), P.OptOut(channel=1, purpose=3)]
                )
            },
            "profile.contact_preferences.opt_outs[1]",
        ),
        ({"payment_thresholds": [_threshold(cur="XXX")]}, "profile.payment_thresholds[0].currency_code"),
        ({"payment_thresholds": [_threshold(per_tx=0, daily=0)]}, "profile.payment_thresholds[0]"),
        ({"payment_thresholds": [_threshold(per_tx=-5)]}, "profile.payment_thresholds[0].per_transaction_limit_minor"),
        (
            {"payment_thresholds": [_threshold(per_tx=500, daily=100)]},
            "profile.payment_thresholds[0].daily_limit_minor",
        ),
        (
            {"payment_thresholds": [_threshold(start=(2026, 5, 1), until=(2026, 4, 1))]},
            "profile.payment_thresholds[0].effective_until",
        ),
        (
            {"payment_thresholds": [_threshold(start=(2026, 2, 30))]},
            "profile.payment_thresholds[0].effective_from",
        ),
        (
            {"payment_thresholds": [P.PaymentThreshold(currency_code="EUR", daily_limit_minor=5)]},
            "profile.payment_thresholds[0].effective_from",
        ),
        (
            {
                "payment_thresholds": [
                    _threshold(start=(2026, 1, 1), until=(2026, 7, 1)),
                    _threshold(start=(2026, 6, 1)),
                ]
            },
            "profile.payment_thresholds[1].effective_from",
        ),
        (
            {"payment_thresholds": [_threshold(start=(2000 + i, 1, 1), until=(2001 + i, 1, 1)) for i in range(21)]},
            "profile.payment_thresholds",
        ),
        (
            {"default_payment_methods": {"ATM": P.PaymentMethod(bnpl=P.BnplMethod(provider="KLARNA"))}},
            "profile.default_payment_methods",
        ),
        ({"default_payment_methods": {"POS": P.PaymentMethod()}}, "profile.default_payment_methods.POS"),
        (
            {"default_payment_methods": {"POS": P.PaymentMethod(wallet=P.WalletMethod(provider="apple pay"))}},
            "profile.default_payment_methods.POS.wallet.provider",
        ),
        (
            {"default_payment_methods": {"POS": P.PaymentMethod(bank_transfer=P.BankTransferMethod())}},
            "profile.default_payment_methods.POS.bank_transfer.scheme",
        ),
        (
            {"default_payment_methods": {"POS": P.PaymentMethod(account="accounts/x")}},
            "profile.default_payment_methods.POS.account",
        ),
    ],
)
def test_invalid_values_name_the_field(admin, profiles, profile_fields, field):
    c = create_customer(admin)
    profile = P.Profile(name=_pname(c.name), **profile_fields)
    expect_error(SC.INVALID_ARGUMENT, _update, profiles, profile, ["*"], field=field)


def test_opt_back_in_is_refused_on_a_cluster_profile(admin, profiles):
    c = create_customer(admin)
    cluster = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=c.name), timeout=30)
    profile = P.Profile(
        name=f"{cluster.name}/profile",
        contact_preferences=P.ContactPreferences(opt_outs=[P.OptOut(channel=1, purpose=3, opt_back_in=True)]),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        profiles,
        profile,
        ["contact_preferences.opt_outs"],
        field="profile.contact_preferences.opt_outs[0].opt_back_in",
    )


# ------------------------------------------------------------------ payment method references


def test_payment_methods_of_every_kind(admin, profiles):
    c, acct = customer_with_account(admin)
    card = register_card(admin, acct.name)
    methods = {
        "POS": P.PaymentMethod(card_token=card.token),
        "ECOMMERCE": P.PaymentMethod(wallet=P.WalletMethod(provider="APPLE_PAY", reference="device-1")),
        "RECURRING": P.PaymentMethod(account=acct.name),
        "P2P": P.PaymentMethod(bank_transfer=P.BankTransferMethod(account=acct.name, scheme="SEPA_INSTANT")),
        "IN_APP": P.PaymentMethod(bnpl=P.BnplMethod(provider="KLARNA")),
    }
    updated = _update(
        profiles, P.Profile(name=_pname(c.name), default_payment_methods=methods), ["default_payment_methods"]
    )
    assert dict(updated.default_payment_methods) == methods


def test_one_channel_path_changes_only_that_channel(admin, profiles):
    c = create_customer(admin)
    name = _pname(c.name)
    wallet = P.PaymentMethod(wallet=P.WalletMethod(provider="GOOGLE_PAY"))
    bnpl = P.PaymentMethod(bnpl=P.BnplMethod(provider="AFFIRM"))
    _update(profiles, P.Profile(name=name, default_payment_methods={"POS": wallet}), ["default_payment_methods"])
    both = _update(
        profiles,
        P.Profile(name=name, default_payment_methods={"ECOMMERCE": bnpl, "POS": bnpl}),
        ["default_payment_methods.ECOMMERCE"],
    )
    assert dict(both.default_payment_methods) == {"POS": wallet, "ECOMMERCE": bnpl}
    cleared = _update(profiles, P.Profile(name=name), ["default_payment_methods.POS"])
    assert dict(cleared.default_payment_methods) == {"ECOMMERCE": bnpl}


def test_card_token_must_be_a_registered_card_of_the_customer(admin, profiles):
    c, _acct = customer_with_account(admin)
    _other, other_acct = customer_with_account(admin)
    other_card = register_card(admin, other_acct.name)
    name = _pname(c.name)
    path = "profile.default_payment_methods.POS.card_token"
    # a token-shaped number no card has
    unknown = other_card.token[:-1] + str((int(other_card.token[-1]) + 5) % 10)
    cases = [unknown, other_card.token]
    for token in cases:
        f = expect_error(
            SC.INVALID_ARGUMENT,
            _update,
            profiles,
            P.Profile(name=name, default_payment_methods={"POS": P.PaymentMethod(card_token=token)}),
            ["default_payment_methods"],
            field=path,
        )
        assert token not in f.text_blob()
    # a PAN is refused, and never echoed
    pan = make_pan()
    f = expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        profiles,
        P.Profile(name=name, default_payment_methods={"POS": P.PaymentMethod(card_token=pan)}),
        ["default_payment_methods"],
        field=path,
    )
    assert_no_pan(f.text_blob(), [pan], "error")


def test_blocked_card_and_closed_account_are_failed_precondition(admin, profiles):
    c, acct = customer_with_account(admin)
    card = register_card(admin, acct.name)
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="fraud check"),
        timeout=30,
    )
    name = _pname(c.name)
    expect_error(
        SC.FAILED_PRECONDITION,
        _update,
        profiles,
        P.Profile(name=name, default_payment_methods={"POS": P.PaymentMethod(card_token=card.token)}),
        ["default_payment_methods"],
        reason="CARD_NOT_ACTIVE",
    )
    closed = create_account(admin, c.name)
    admin.accounts.CloseAccount(account_pb2.CloseAccountRequest(name=closed.name, reason="moved"), timeout=30)
    expect_error(
        SC.FAILED_PRECONDITION,
        _update,
        profiles,
        P.Profile(name=name, default_payment_methods={"RECURRING": P.PaymentMethod(account=closed.name)}),
        ["default_payment_methods"],
        reason="ACCOUNT_NOT_ACTIVE",
    )


def test_account_must_be_the_customers(admin, profiles, globex):
    c = create_customer(admin)
    _other, other_acct = customer_with_account(admin)
    _g, globex_acct = customer_with_account(globex, parent="tenants/globex")
    for account in (other_acct.name, globex_acct.name, f"{ACME}/accounts/missing-{uid()}"):
        expect_error(
            SC.INVALID_ARGUMENT,
            _update,
            profiles,
            P.Profile(name=_pname(c.name), default_payment_methods={"RECURRING": P.PaymentMethod(account=account)}),
            ["default_payment_methods"],
            field="profile.default_payment_methods.RECURRING.account",
        )


# ------------------------------------------------------------------ names, tenancy, scopes


def test_names_tenancy_and_missing_owners(admin, profiles, globex, crs_server):
    c = create_customer(admin)
    globex_profiles = crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "globex-admin")
    expect_error(SC.NOT_FOUND, globex_profiles.GetProfile, P.GetProfileRequest(name=_pname(c.name)))
    expect_error(
        SC.NOT_FOUND,
        _update,
        profiles,
        P.Profile(name=_pname(c.name), preferred_currency="EUR"),
        ["preferred_currency"],
        key_stub=globex_profiles,
    )
    expect_error(
        SC.NOT_FOUND, profiles.GetProfile, P.GetProfileRequest(name=f"{ACME}/customers/nobody-{uid()}/profile")
    )
    expect_error(
        SC.NOT_FOUND, profiles.GetProfile, P.GetProfileRequest(name=f"{ACME}/clusters/nothing-{uid()}/profile")
    )
    for bad in (c.name, f"{c.name}/profile/x", f"{ACME}/accounts/a/profile", "profile", f"{c.name}/profiles"):
        expect_error(SC.INVALID_ARGUMENT, profiles.GetProfile, P.GetProfileRequest(name=bad), field="name")
    cluster = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=c.name), timeout=30)
    expect_error(
        SC.INVALID_ARGUMENT,
        profiles.GetEffectiveProfile,
        P.GetEffectiveProfileRequest(name=f"{cluster.name}/profile"),
        field="name",
    )


def test_read_key_cannot_update(admin, crs_server):
    c = create_customer(admin)
    reader = crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "acme-read")
    reader.GetProfile(P.GetProfileRequest(name=_pname(c.name)), timeout=30)
    expect_error(
        SC.PERMISSION_DENIED,
        _update,
        reader,
        P.Profile(name=_pname(c.name), preferred_currency="EUR"),
        ["preferred_currency"],
    )


def test_closed_customer_profile_cannot_change(admin, profiles):
    c = create_customer(admin)
    admin.customers.CloseCustomer(customer_pb2.CloseCustomerRequest(name=c.name, reason="left"), timeout=30)
    expect_error(
        SC.FAILED_PRECONDITION,
        _update,
        profiles,
        P.Profile(name=_pname(c.name), preferred_currency="EUR"),
        ["preferred_currency"],
        reason="CUSTOMER_CLOSED",
    )


# ------------------------------------------------------------------ cluster inheritance


def _linked_pair(admin):
    """Two customers in one cluster (a shared bank account identifier), and that cluster's name."""
    a = create_customer(admin, preferred_language="en")
    b = create_customer(admin, preferred_language="lv")
    iban = make_iban(int(uid(), 16) % 10**12)
    for c in (a, b):
        admin.identifiers.CreateIdentifier(
            cluster_pb2.CreateIdentifierRequest(
                parent=c.name,
                identifier=cluster_pb2.Identifier(kind=cluster_pb2.IDENTIFIER_KIND_BANK_ACCOUNT, value=iban),
                request_id=request_id(),
            ),
            timeout=30,
        )
    ca = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=a.name), timeout=30)
    cb = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=b.name), timeout=30)
    assert ca.name == cb.name
    return a, b, ca.name


def test_customer_inherits_cluster_values_unless_overridden(admin, profiles):
    a, b, cluster = _linked_pair(admin)
    acct = create_account(admin, a.name)
    card = register_card(admin, acct.name)
    wallet = P.PaymentMethod(wallet=P.WalletMethod(provider="APPLE_PAY"))
    cluster_profile = _update(
        profiles,
        P.Profile(
            name=f"{cluster}/profile",
            preferred_currency="EUR",
            preferred_language="et",
            default_payment_methods={"POS": wallet, "ECOMMERCE": wallet},
            contact_preferences=P.ContactPreferences(
                channel_order=[P.CONTACT_CHANNEL_EMAIL, P.CONTACT_CHANNEL_SMS],
                quiet_hours=P.QuietHours(start=_tod(21), end=_tod(8), time_zone="Europe/Riga"),
                opt_outs=[
                    P.OptOut(channel=P.CONTACT_CHANNEL_EMAIL, purpose=P.CONTACT_PURPOSE_MARKETING),
                    P.OptOut(channel=P.CONTACT_CHANNEL_SMS, purpose=P.CONTACT_PURPOSE_MARKETING),
                ],
            ),
            payment_thresholds=[_threshold()],
        ),
        ["*"],
    )
    assert cluster_profile.name == f"{cluster}/profile"
    got = profiles.GetProfile(P.GetProfileRequest(name=f"{cluster}/profile"), timeout=30)
    assert got == cluster_profile
    # a's own overrides: currency, the POS card, and an explicit opt-back-in to e-mail marketing
    _update(
        profiles,
        P.Profile(
            name=_pname(a.name),
            preferred_currency="USD",
            default_payment_methods={"POS": P.PaymentMethod(card_token=card.token)},
            contact_preferences=P.ContactPreferences(
                opt_outs=[
                    P.OptOut(channel=P.CONTACT_CHANNEL_EMAIL, purpose=P.CONTACT_PURPOSE_MARKETING, opt_back_in=True),
                    P.OptOut(channel=P.CONTACT_CHANNEL_PUSH, purpose=P.CONTACT_PURPOSE_SERVICE),
                ]
            ),
        ),
        ["preferred_currency", "default_payment_methods", "contact_preferences.opt_outs"],
    )
    ea = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(a.name)), timeout=30)
    assert ea.name == _pname(a.name) and ea.cluster == cluster
    pa = ea.profile
    assert pa.preferred_currency == "USD" and pa.preferred_language == "et"
    assert pa.default_payment_methods["POS"].card_token == card.token
    assert pa.default_payment_methods["ECOMMERCE"] == wallet
    assert pa.contact_preferences.quiet_hours.time_zone == "Europe/Riga"
    assert {(o.channel, o.purpose) for o in pa.contact_preferences.opt_outs} == {
        (P.CONTACT_CHANNEL_SMS, P.CONTACT_PURPOSE_MARKETING),
        (P.CONTACT_CHANNEL_PUSH, P.CONTACT_PURPOSE_SERVICE),
    }
    assert len(pa.payment_thresholds) == 1
    assert dict(ea.sources) == {
        "preferred_currency": P.PROFILE_SOURCE_CUSTOMER,
        "preferred_language": P.PROFILE_SOURCE_CLUSTER,
        "default_payment_methods.POS": P.PROFILE_SOURCE_CUSTOMER,
        "default_payment_methods.ECOMMERCE": P.PROFILE_SOURCE_CLUSTER,
        "contact_preferences.channel_order": P.PROFILE_SOURCE_CLUSTER,
        "contact_preferences.quiet_hours": P.PROFILE_SOURCE_CLUSTER,
        "contact_preferences.opt_outs.SMS.MARKETING": P.PROFILE_SOURCE_CLUSTER,
        "contact_preferences.opt_outs.PUSH.SERVICE": P.PROFILE_SOURCE_CUSTOMER,
        "payment_thresholds": P.PROFILE_SOURCE_CLUSTER,
    }
    # b has no profile of its own: everything from the cluster (its record's language loses to the cluster's)
    eb = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(b.name)), timeout=30)
    assert eb.profile.preferred_currency == "EUR" and eb.profile.preferred_language == "et"
    assert set(eb.sources.values()) == {P.PROFILE_SOURCE_CLUSTER}
    assert len(eb.profile.contact_preferences.opt_outs) == 2
    # the cluster changes: b follows at once, a keeps its override
    _update(profiles, P.Profile(name=f"{cluster}/profile", preferred_currency="SEK"), ["preferred_currency"])
    eb2 = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(b.name)), timeout=30)
    ea2 = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(a.name)), timeout=30)
    assert eb2.profile.preferred_currency == "SEK" and ea2.profile.preferred_currency == "USD"
    # a clears its currency override: it inherits again
    _update(profiles, P.Profile(name=_pname(a.name)), ["preferred_currency"])
    ea3 = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(a.name)), timeout=30)
    assert ea3.profile.preferred_currency == "SEK" and ea3.sources["preferred_currency"] == P.PROFILE_SOURCE_CLUSTER


def test_language_falls_back_to_the_customer_record(admin, profiles):
    c = create_customer(admin, preferred_language="fi")
    e = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(c.name)), timeout=30)
    assert e.profile.preferred_language == "fi"
    assert dict(e.sources) == {"preferred_language": P.PROFILE_SOURCE_CUSTOMER_RECORD}
    assert e.cluster.startswith(f"{ACME}/clusters/")


def test_cluster_profile_card_must_belong_to_a_member(admin, profiles):
    a, _b, cluster = _linked_pair(admin)
    member_card = register_card(admin, create_account(admin, a.name).name)
    _outsider, outsider_acct = customer_with_account(admin)
    outsider_card = register_card(admin, outsider_acct.name)
    name = f"{cluster}/profile"
    ok = _update(
        profiles,
        P.Profile(name=name, default_payment_methods={"RECURRING": P.PaymentMethod(card_token=member_card.token)}),
        ["default_payment_methods.RECURRING"],
    )
    assert ok.default_payment_methods["RECURRING"].card_token == member_card.token
    expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        profiles,
        P.Profile(name=name, default_payment_methods={"POS": P.PaymentMethod(card_token=outsider_card.token)}),
        ["default_payment_methods.POS"],
        field="profile.default_payment_methods.POS.card_token",
    )


def test_unchanged_method_is_not_rechecked_when_sent_again(admin, profiles):
    c, acct = customer_with_account(admin)
    card = register_card(admin, acct.name)
    name = _pname(c.name)
    pos = P.PaymentMethod(card_token=card.token)
    _update(profiles, P.Profile(name=name, default_payment_methods={"POS": pos}), ["default_payment_methods"])
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="lost"), timeout=30
    )
    bnpl = P.PaymentMethod(bnpl=P.BnplMethod(provider="KLARNA"))
    both = _update(
        profiles,
        P.Profile(name=name, default_payment_methods={"POS": pos, "ECOMMERCE": bnpl}),
        ["default_payment_methods"],
    )
    assert dict(both.default_payment_methods) == {"POS": pos, "ECOMMERCE": bnpl}
    # moving the blocked card to another channel is a change, and is refused
    expect_error(
        SC.FAILED_PRECONDITION,
        _update,
        profiles,
        P.Profile(name=name, default_payment_methods={"MOTO": pos}),
        ["default_payment_methods.MOTO"],
        reason="CARD_NOT_ACTIVE",
    )


def test_after_a_merge_the_survivors_profile_applies(admin, profiles):
    a = create_customer(admin)
    b = create_customer(admin)
    ca = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=a.name), timeout=30)
    cb = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=b.name), timeout=30)
    assert ca.name != cb.name
    _update(profiles, P.Profile(name=f"{ca.name}/profile", preferred_currency="EUR"), ["preferred_currency"])
    _update(profiles, P.Profile(name=f"{cb.name}/profile", preferred_currency="USD"), ["preferred_currency"])
    eb = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(b.name)), timeout=30)
    assert eb.profile.preferred_currency == "USD" and eb.cluster == cb.name
    iban = make_iban(int(uid(), 16) % 10**12)
    for c in (a, b):
        admin.identifiers.CreateIdentifier(
            cluster_pb2.CreateIdentifierRequest(
                parent=c.name,
                identifier=cluster_pb2.Identifier(kind=cluster_pb2.IDENTIFIER_KIND_BANK_ACCOUNT, value=iban),
                request_id=request_id(),
            ),
            timeout=30,
        )
    merged = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=b.name), timeout=30)
    assert merged.name == ca.name, "the older cluster survives"
    eb = profiles.GetEffectiveProfile(P.GetEffectiveProfileRequest(name=_pname(b.name)), timeout=30)
    assert eb.cluster == ca.name and eb.profile.preferred_currency == "EUR"
    assert eb.sources["preferred_currency"] == P.PROFILE_SOURCE_CLUSTER
    # the absorbed cluster's profile stays readable but can no longer change
    old = profiles.GetProfile(P.GetProfileRequest(name=f"{cb.name}/profile"), timeout=30)
    assert old.preferred_currency == "USD"
    expect_error(
        SC.FAILED_PRECONDITION,
        _update,
        profiles,
        P.Profile(name=f"{cb.name}/profile", preferred_currency="GBP"),
        ["preferred_currency"],
        reason="CLUSTER_NOT_ACTIVE",
    )
