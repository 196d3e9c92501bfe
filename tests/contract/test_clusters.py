"""IdentifierService, ClusterService and LookupService contract (both backends)."""

from __future__ import annotations

import time

import grpc
import pytest
from google.type import date_pb2

from crs.v1 import card_pb2, cluster_pb2, customer_pb2, lookup_pb2, relationship_pb2
from tests.helpers.data import (
    ACME,
    GLOBEX,
    create_account,
    create_customer,
    link_account,
    make_iban,
    register_card,
    request_id,
    uid,
)
from tests.helpers.pans import make_pan
from tests.helpers.rpc import RpcFailure, assert_no_pan, expect_error, list_all

C = cluster_pb2
SC = grpc.StatusCode
IBAN_EE = "EE382200221020145685"  # a checksum-valid example IBAN


def _err(fn, code) -> RpcFailure:
    return expect_error(code, fn)


def _add(clients, customer: str, kind: int, value: str, **kw) -> C.Identifier:
    return clients.identifiers.CreateIdentifier(
        C.CreateIdentifierRequest(
            parent=customer, identifier=C.Identifier(kind=kind, value=value, **kw), request_id=request_id()
        ),
        timeout=30,
    )


def _cluster_of(clients, customer: str) -> C.Cluster:
    return clients.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME, customer=customer), timeout=30)


def _bare(clients, **kw) -> customer_pb2.Customer:
    """A customer with only a unique e-mail (no shared weak identifiers with anyone)."""
    u = uid()
    fields = {"emails": [f"bare-{u}@example.org"], "phones": [], "display_name": f"Bare {u}", "legal_name": ""}
    fields.update(kw)
    return create_customer(clients, **fields)


# ---- identifiers ---------------------------------------------------------------------------------------------


def test_derived_identifiers_are_listed_masked_and_never_raw(admin):
    u = uid()
    email = f"Mari.Maasikas.{u}@Example.com"
    c = create_customer(
        admin,
        emails=[email],
        phones=["+372 5123 4567"],
        display_name=f"Mari Maasikas {u}",
        date_of_birth=date_pb2.Date(year=1990, month=4, day=12),
    )
    items = list_all(
        admin.identifiers.ListIdentifiers, C.ListIdentifiersRequest(parent=c.name, page_size=2), "identifiers"
    )
    kinds = {i.kind for i in items}
    assert {C.IDENTIFIER_KIND_EMAIL, C.IDENTIFIER_KIND_PHONE, C.IDENTIFIER_KIND_NAME_DOB} <= kinds
    for i in items:
        assert i.name.startswith(c.name + "/identifiers/")
        assert i.source == C.IDENTIFIER_SOURCE_CUSTOMER_RECORD
        assert i.value == "" and len(i.fingerprint) == 64 and "***" in i.masked_value
    blob = str(items)
    assert email.lower() not in blob.lower() and "51234567" not in blob and "1990-04-12" not in blob


def test_added_identifier_roundtrip_duplicate_and_delete(admin):
    c = _bare(admin)
    ident = _add(admin, c.name, C.IDENTIFIER_KIND_DEVICE_ID, f"Device-{uid()}")
    assert ident.source == C.IDENTIFIER_SOURCE_ADDED and not ident.strong and ident.value == ""
    dup_value = f"dup-{uid()}"
    _add(admin, c.name, C.IDENTIFIER_KIND_WALLET_ID, dup_value)
    _err(lambda: _add(admin, c.name, C.IDENTIFIER_KIND_WALLET_ID, dup_value.upper()), SC.ALREADY_EXISTS)
    admin.identifiers.DeleteIdentifier(C.DeleteIdentifierRequest(name=ident.name), timeout=30)
    names = {
        i.name
        for i in list_all(admin.identifiers.ListIdentifiers, C.ListIdentifiersRequest(parent=c.name), "identifiers")
    }
    assert ident.name not in names
    _err(
        lambda: admin.identifiers.DeleteIdentifier(C.DeleteIdentifierRequest(name=ident.name), timeout=30), SC.NOT_FOUND
    )


def test_derived_identifier_cannot_be_deleted(admin):
    c = _bare(admin)
    derived = admin.identifiers.ListIdentifiers(C.ListIdentifiersRequest(parent=c.name), timeout=30).identifiers[0]
    err = _err(
        lambda: admin.identifiers.DeleteIdentifier(C.DeleteIdentifierRequest(name=derived.name), timeout=30),
        SC.FAILED_PRECONDITION,
    )
    assert err.reason == "DERIVED_IDENTIFIER"


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        (C.IDENTIFIER_KIND_BANK_ACCOUNT, "EE382200221020145680", "identifier.value"),  # bad checksum
        (C.IDENTIFIER_KIND_EMAIL, "not-an-email", "identifier.value"),
        (C.IDENTIFIER_KIND_PHONE, "12", "identifier.value"),
        (C.IDENTIFIER_KIND_CARD_FINGERPRINT, "xyz", "identifier.value"),
        (C.IDENTIFIER_KIND_UNSPECIFIED, "x", "identifier.kind"),
        (C.IDENTIFIER_KIND_DEVICE_ID, "", "identifier.value"),
    ],
)
def test_invalid_identifiers_are_rejected_with_field_violations(admin, kind, value, field):
    c = _bare(admin)
    err = _err(lambda: _add(admin, c.name, kind, value), SC.INVALID_ARGUMENT)
    assert field in err.violation_fields
    if value:
        assert value not in err.text_blob()


def test_identifier_on_other_tenant_customer_is_not_found(admin, globex):
    c = _bare(admin)
    _err(lambda: _add(globex, c.name, C.IDENTIFIER_KIND_DEVICE_ID, "d1"), SC.NOT_FOUND)


# ---- clusters: rules, ids, events -------------------------------------------------------------------------------


def test_new_customer_is_its_own_cluster(admin):
    c = _bare(admin)
    cl = _cluster_of(admin, c.name)
    assert cl.state == C.CLUSTER_STATE_ACTIVE and cl.size == 1 and cl.version == 1
    assert [m.customer for m in cl.members] == [c.name]
    assert cl.stats.customers == 1 and cl.stats.distinct_emails == 1
    got = admin.clusters.GetCluster(C.GetClusterRequest(name=cl.name), timeout=30)
    assert got.name == cl.name and got.size == 1


def test_strong_identifier_merges_and_absorbed_id_resolves_to_survivor(admin):
    a, b = _bare(admin), _bare(admin)
    ca, cb = _cluster_of(admin, a.name), _cluster_of(admin, b.name)
    assert ca.name != cb.name
    iban = make_iban(int(time.time() * 1000) % 10**12)
    _add(admin, a.name, C.IDENTIFIER_KIND_BANK_ACCOUNT, iban)
    _add(admin, b.name, C.IDENTIFIER_KIND_BANK_ACCOUNT, iban[:4] + " " + iban[4:8] + " " + iban[8:])
    merged = _cluster_of(admin, b.name)
    assert merged.name == ca.name, "the older cluster survives a merge"
    assert merged.size == 2 and merged.version == ca.version + 1
    assert {m.customer for m in merged.members} == {a.name, b.name}
    absorbed = admin.clusters.GetCluster(C.GetClusterRequest(name=cb.name), timeout=30)
    assert absorbed.state == C.CLUSTER_STATE_MERGED and list(absorbed.successor_clusters) == [ca.name]
    resolved = admin.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME, cluster=cb.name), timeout=30)
    assert resolved.name == ca.name
    events = admin.clusters.ListClusterEvents(C.ListClusterEventsRequest(parent=ca.name), timeout=30).events
    merges = [e for e in events if e.kind == C.CLUSTER_EVENT_KIND_MERGED]
    assert merges and list(merges[-1].related_clusters) == [cb.name] and b.name in merges[-1].customers
    explained = admin.clusters.ExplainCluster(
        C.ExplainClusterRequest(customer=a.name, other_customer=b.name), timeout=30
    )
    assert explained.same_cluster and explained.cluster == ca.name
    assert [link.rule for link in explained.path] == [C.LINK_RULE_STRONG_IDENTIFIER]
    assert explained.path[0].identifiers[0].kind == C.IDENTIFIER_KIND_BANK_ACCOUNT
    assert iban not in str(explained)


def test_one_weak_identifier_does_not_link_two_do(admin):
    phone = "+3725" + str(int(time.time() * 1000))[-7:]
    email = f"shared-{uid()}@example.net"
    a = _bare(admin, phones=[phone])
    b = _bare(admin, phones=[phone])
    assert _cluster_of(admin, a.name).name != _cluster_of(admin, b.name).name
    c = _bare(admin, phones=[phone], emails=[email])
    d = _bare(admin, phones=[phone], emails=[email.upper()])
    assert _cluster_of(admin, c.name).name == _cluster_of(admin, d.name).name
    path = admin.clusters.ExplainCluster(C.ExplainClusterRequest(customer=c.name, other_customer=d.name), timeout=30)
    assert [link.rule for link in path.path] == [C.LINK_RULE_WEAK_COMBINATION]
    assert {i.kind for i in path.path[0].identifiers} == {C.IDENTIFIER_KIND_EMAIL, C.IDENTIFIER_KIND_PHONE}
    assert _cluster_of(admin, a.name).name != _cluster_of(admin, c.name).name


def test_one_person_at_three_merchants_with_email_variants_is_one_cluster(admin):
    u = uid()
    dob = date_pb2.Date(year=1984, month=11, day=3)
    emails = [f"kristjan.tamm.{u}@gmail.com", f"kristjantamm.{u}+shop@gmail.com", f"Kristjan.Tamm.{u}@googlemail.com"]
    people = [
        create_customer(admin, emails=[e], phones=[], display_name=n, legal_name="", date_of_birth=dob)
        for e, n in zip(emails, ["Kristjan Tamm", "Kristjan Tamm", "Kristjan  TAMM"], strict=True)
    ]
    for p in people:  # each merchant registers the card it saw
        account = create_account(admin, p.name)
        register_card(admin, account.name)
    names = {_cluster_of(admin, p.name).name for p in people}
    assert len(names) == 1
    cl = _cluster_of(admin, people[0].name)
    assert cl.size == 3 and cl.stats.distinct_emails == 1 and cl.stats.distinct_cards == 3


def test_card_used_by_many_names_is_flagged_not_merged(admin):
    owner = _bare(admin)
    account = create_account(admin, owner.name)
    card = register_card(admin, account.name)
    others = [_bare(admin) for _ in range(19)]  # 20 names in all
    for o in others:
        _add(admin, o.name, C.IDENTIFIER_KIND_CARD_FINGERPRINT, card.fingerprint)
    clusters = {_cluster_of(admin, o.name).name for o in [owner, *others]}
    assert len(clusters) == 20, "a card shared beyond the threshold (10) links nobody"
    flagged = _cluster_of(admin, others[-1].name)
    flags = [f for f in flagged.risk_flags if f.code == "SHARED_IDENTIFIER"]
    assert flags and flags[0].kind == C.IDENTIFIER_KIND_CARD_FINGERPRINT and flags[0].customer_count >= 11


def test_analyst_merge_and_split_survive_recomputation(admin):
    a, b = _bare(admin), _bare(admin)
    merged = admin.clusters.MergeCustomers(
        C.MergeCustomersRequest(
            customers=[a.name, b.name], reason="same person per KYC review", request_id=request_id()
        ),
        timeout=30,
    )
    assert merged.size == 2 and {m.customer for m in merged.members} == {a.name, b.name}
    path = admin.clusters.ExplainCluster(C.ExplainClusterRequest(customer=a.name, other_customer=b.name), timeout=30)
    assert [link.rule for link in path.path] == [C.LINK_RULE_ANALYST]
    # A strong link plus an analyst split: the split wins, also after the customers change again.
    iban = make_iban(int(time.time() * 1000) % 10**12 + 7)
    _add(admin, a.name, C.IDENTIFIER_KIND_BANK_ACCOUNT, iban)
    _add(admin, b.name, C.IDENTIFIER_KIND_BANK_ACCOUNT, iban)
    split = admin.clusters.SplitCustomer(
        C.SplitCustomerRequest(customer=b.name, reason="different people, shared account", request_id=request_id()),
        timeout=30,
    )
    assert split.size == 1 and [m.customer for m in split.members] == [b.name]
    assert _cluster_of(admin, a.name).name != split.name
    _add(admin, b.name, C.IDENTIFIER_KIND_DEVICE_ID, f"dev-{uid()}")
    assert _cluster_of(admin, a.name).name != _cluster_of(admin, b.name).name
    old = admin.clusters.GetCluster(C.GetClusterRequest(name=merged.name), timeout=30)
    assert old.state == C.CLUSTER_STATE_SPLIT and split.name in old.successor_clusters
    err = _err(
        lambda: admin.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME, cluster=merged.name), timeout=30),
        SC.FAILED_PRECONDITION,
    )
    assert err.reason == "CLUSTER_SPLIT"


def test_overrides_need_admin_scope(crs_server, admin):
    a, b = _bare(admin), _bare(admin)
    rw = crs_server.clients("acme-rw")
    _err(
        lambda: rw.clusters.MergeCustomers(C.MergeCustomersRequest(customers=[a.name, b.name], reason="x"), timeout=30),
        SC.PERMISSION_DENIED,
    )
    err = _err(
        lambda: admin.clusters.MergeCustomers(C.MergeCustomersRequest(customers=[a.name], reason="x"), timeout=30),
        SC.INVALID_ARGUMENT,
    )
    assert "customers" in err.violation_fields
    err = _err(
        lambda: admin.clusters.SplitCustomer(C.SplitCustomerRequest(customer=a.name, reason=""), timeout=30),
        SC.INVALID_ARGUMENT,
    )
    assert "reason" in err.violation_fields


def test_closing_a_customer_removes_it_from_its_cluster(admin):
    a, b = _bare(admin), _bare(admin)
    admin.clusters.MergeCustomers(C.MergeCustomersRequest(customers=[a.name, b.name], reason="same"), timeout=30)
    cl = _cluster_of(admin, a.name)
    admin.customers.CloseCustomer(customer_pb2.CloseCustomerRequest(name=b.name, reason="deceased"), timeout=30)
    after = _cluster_of(admin, a.name)
    assert after.name == cl.name and after.size == 1 and after.version == cl.version + 1
    events = admin.clusters.ListClusterEvents(C.ListClusterEventsRequest(parent=cl.name), timeout=30).events
    assert events[-1].kind == C.CLUSTER_EVENT_KIND_MEMBER_REMOVED and list(events[-1].customers) == [b.name]
    err = _err(lambda: _cluster_of(admin, b.name), SC.FAILED_PRECONDITION)
    assert err.reason == "CUSTOMER_CLOSED"


def test_resolve_by_account_card_token_and_identifier(admin):
    c = _bare(admin)
    account = create_account(admin, c.name)
    card = register_card(admin, account.name)
    want = _cluster_of(admin, c.name).name
    device = f"device-{uid()}"
    _add(admin, c.name, C.IDENTIFIER_KIND_DEVICE_ID, device)
    for kw in (
        {"account": account.name},
        {"card": card.name},
        {"token": card.token},
        {"identifier": C.IdentifierValue(kind=C.IDENTIFIER_KIND_DEVICE_ID, value=device.upper())},
    ):
        got = admin.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME, **kw), timeout=30)
        assert got.name == want, kw
    _err(
        lambda: admin.clusters.ResolveCluster(
            C.ResolveClusterRequest(
                parent=ACME, identifier=C.IdentifierValue(kind=C.IDENTIFIER_KIND_DEVICE_ID, value="nobody-" + uid())
            ),
            timeout=30,
        ),
        SC.NOT_FOUND,
    )
    _err(lambda: admin.clusters.ResolveCluster(C.ResolveClusterRequest(parent=ACME), timeout=30), SC.INVALID_ARGUMENT)


def test_list_members_pages(admin):
    people = [_bare(admin) for _ in range(4)]
    admin.clusters.MergeCustomers(
        C.MergeCustomersRequest(customers=[p.name for p in people], reason="household review"), timeout=30
    )
    cl = _cluster_of(admin, people[0].name)
    members = list_all(
        admin.clusters.ListClusterMembers, C.ListClusterMembersRequest(parent=cl.name, page_size=3), "members"
    )
    assert sorted(m.customer for m in members) == sorted(p.name for p in people)


def test_tenant_event_feed_resumes_without_gaps(admin):
    first = admin.clusters.ListClusterEvents(C.ListClusterEventsRequest(parent=ACME, page_size=1000), timeout=30)
    while first.next_page_token:
        first = admin.clusters.ListClusterEvents(
            C.ListClusterEventsRequest(parent=ACME, page_size=1000, page_token=first.next_page_token), timeout=30
        )
    resume = first.resume_token
    assert resume
    a, b = _bare(admin), _bare(admin)
    admin.clusters.MergeCustomers(C.MergeCustomersRequest(customers=[a.name, b.name], reason="feed test"), timeout=30)
    deadline = time.monotonic() + 15
    seen: list[C.ClusterEvent] = []
    token = resume
    while time.monotonic() < deadline:
        page = admin.clusters.ListClusterEvents(
            C.ListClusterEventsRequest(parent=ACME, page_size=2, page_token=token), timeout=30
        )
        seen += page.events
        token = page.next_page_token or page.resume_token
        if any(e.kind == C.CLUSTER_EVENT_KIND_MERGED and {a.name, b.name} & set(e.customers) for e in seen):
            break
        if not page.next_page_token:
            time.sleep(0.5)
    assert any(e.kind == C.CLUSTER_EVENT_KIND_MERGED for e in seen)
    ids = [e.name for e in seen]
    assert len(ids) == len(set(ids)), "no event twice"


def test_clusters_are_tenant_isolated(admin, globex):
    c = _bare(admin)
    cl = _cluster_of(admin, c.name)
    _err(lambda: globex.clusters.GetCluster(C.GetClusterRequest(name=cl.name), timeout=30), SC.NOT_FOUND)
    _err(
        lambda: globex.clusters.ResolveCluster(C.ResolveClusterRequest(parent=GLOBEX, customer=c.name), timeout=30),
        SC.NOT_FOUND,
    )


# ---- GetAuthorizationContext ------------------------------------------------------------------------------------


def test_authorization_context_by_token_pan_and_fingerprint(admin):
    c = _bare(admin)
    account = create_account(admin, c.name)
    pan = make_pan()
    card = register_card(admin, account.name, pan=pan)
    cl = _cluster_of(admin, c.name)
    for kw in ({"token": card.token}, {"pan": pan}, {"card_fingerprint": card.fingerprint}):
        ctx = admin.lookup.GetAuthorizationContext(
            lookup_pb2.GetAuthorizationContextRequest(parent=ACME, **kw), timeout=30
        )
        assert ctx.card.card == card.name and ctx.card.token == card.token and ctx.card.last4 == pan[-4:]
        assert ctx.card.state == card_pb2.CARD_STATE_ACTIVE and ctx.card.usable and not ctx.card.expired
        assert ctx.account.account == account.name
        assert [o.customer for o in ctx.owners] == [c.name] and ctx.owners[0].cluster == cl.name
        assert ctx.cluster.cluster == cl.name and ctx.cluster.size == 1 and ctx.cluster.stats.distinct_cards == 1
        assert_no_pan(str(ctx), [pan])


def test_authorization_context_of_a_joint_account_and_an_authorized_user(admin):
    owner, joint, user = _bare(admin), _bare(admin), _bare(admin)
    account = create_account(admin, owner.name)
    link_account(admin, joint.name, account.name, relationship_pb2.ACCOUNT_ROLE_JOINT_OWNER)
    link_account(admin, user.name, account.name, relationship_pb2.ACCOUNT_ROLE_AUTHORIZED_USER)
    card = register_card(admin, account.name, customer=user.name)
    ctx = admin.lookup.GetAuthorizationContext(
        lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token), timeout=30
    )
    names = [o.customer for o in ctx.owners]
    # the account's owners (relationship order), then the cardholder, who is not one of them
    assert sorted(names[:2]) == sorted([owner.name, joint.name]) and names[2:] == [user.name]
    for o in ctx.owners:
        assert o.cluster == _cluster_of(admin, o.customer).name and o.display_name
    assert ctx.cluster.cluster == _cluster_of(admin, user.name).name and ctx.card.usable
    assert ctx.risk.velocity.windows  # the cardholder's cluster's velocity row (read in the same step)


def test_authorization_context_reflects_card_state_at_once(admin):
    c = _bare(admin)
    account = create_account(admin, c.name)
    card = register_card(admin, account.name)
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="fraud"), timeout=30
    )
    ctx = admin.lookup.GetAuthorizationContext(
        lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token), timeout=30
    )
    assert ctx.card.state == card_pb2.CARD_STATE_BLOCKED and not ctx.card.usable


def test_authorization_context_errors(admin, globex):
    c = _bare(admin)
    account = create_account(admin, c.name)
    pan = make_pan()
    card = register_card(admin, account.name, pan=pan)
    req = lookup_pb2.GetAuthorizationContextRequest
    _err(lambda: admin.lookup.GetAuthorizationContext(req(parent=ACME), timeout=30), SC.INVALID_ARGUMENT)
    err = _err(
        lambda: admin.lookup.GetAuthorizationContext(req(parent=ACME, token=pan), timeout=30), SC.INVALID_ARGUMENT
    )
    assert_no_pan(err.text_blob(), [pan])
    _err(
        lambda: admin.lookup.GetAuthorizationContext(req(parent=ACME, card_fingerprint="ab"), timeout=30),
        SC.INVALID_ARGUMENT,
    )
    err = _err(lambda: globex.lookup.GetAuthorizationContext(req(parent=GLOBEX, pan=pan), timeout=30), SC.NOT_FOUND)
    assert_no_pan(err.text_blob(), [pan])
    _err(lambda: globex.lookup.GetAuthorizationContext(req(parent=GLOBEX, token=card.token), timeout=30), SC.NOT_FOUND)
    _err(lambda: globex.lookup.GetAuthorizationContext(req(parent=ACME, token=card.token), timeout=30), SC.NOT_FOUND)
