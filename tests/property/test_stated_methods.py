"""The authorization path's preferred methods (``profiles.stated_methods_from``) are the effective profile's
payment methods (``effective_from(...).merged.payment_methods``) over random own and cluster profiles: the same
merge rule (``effective_profile.merged_methods``), without the rest of the merge."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crs.domain.profile_records import CHECKOUT_CHANNELS, PaymentMethodRecord, ProfileRecord
from crs.domain.profiles import effective_from, stated_methods_from
from crs.domain.records import encode
from crs.storage.base import Record

methods = st.lists(
    st.builds(
        PaymentMethodRecord,
        channel=st.sampled_from(CHECKOUT_CHANNELS),
        kind=st.sampled_from(["CARD", "ACCOUNT", "WALLET", "BANK_TRANSFER", "BNPL"]),
        card_token=st.sampled_from(["", "4999992766200023"]),
        account_id=st.sampled_from(["", "acct-1"]),
        provider=st.sampled_from(["", "PAYPAL", "IDEAL"]),
    ),
    max_size=8,
    unique_by=lambda m: m.channel,
)


def _row(owner_kind: str, owner_id: str, found: list[PaymentMethodRecord] | None) -> Record | None:
    if found is None:
        return None
    return Record(
        encode(ProfileRecord("acme", owner_kind, owner_id, payment_methods=found, preferred_currency="EUR")), "v"
    )


@settings(max_examples=300, deadline=None)
@given(st.none() | methods, st.none() | methods, st.sampled_from(["", "cl-1"]))
def test_stated_methods_are_the_effective_profiles(
    own: list[PaymentMethodRecord] | None, cluster: list[PaymentMethodRecord] | None, cluster_id: str
) -> None:
    stored = [_row("customers", "cus-1", own)]
    if cluster_id:
        stored.append(_row("clusters", cluster_id, cluster))
    expected = effective_from("acme", "cus-1", cluster_id, stored).merged.payment_methods
    got = stated_methods_from(cluster_id, stored)
    assert got == expected
    assert [m.channel for m in got] == sorted({m.channel for m in got}), "one per channel, in channel order"
