"""Each risk signal at its threshold and just below it (defaults of RiskConfig)."""

from __future__ import annotations

from crs.domain.clusters.records import ClusterRecord
from crs.domain.records import CardRecord
from crs.domain.risk import signals as S
from crs.domain.risk import windows as W
from crs.domain.risk.config import RiskConfig
from crs.domain.risk.velocity import of_state

NOW = 1_764_000_000_000_000
CFG = RiskConfig()


def codes(f: S.Facts, cfg: RiskConfig = CFG) -> dict[str, int]:
    return {s.code: s.score for s in S.assess(cfg, f).signals}


def velocity(n: int, spacing_us: int, amount: int = 100, currency: str = "EUR") -> S.Facts:
    st = W.VelocityState()
    for i in range(n):
        W.apply_event(st, f"t{i}", NOW - i * spacing_us, currency, amount, lateness_us=40 * W.DAY_US)
    return S.Facts(now_us=NOW, velocity=of_state("cl", st, NOW))


def test_velocity_thresholds() -> None:
    assert "VELOCITY_1M" not in codes(velocity(4, 1_000_000))
    assert codes(velocity(5, 1_000_000))["VELOCITY_1M"] == 25
    assert "VELOCITY_1H" not in codes(velocity(19, 60_000_000))
    assert "VELOCITY_1H" in codes(velocity(20, 60_000_000))
    assert "VELOCITY_24H_COUNT" in codes(velocity(50, 20 * 60_000_000))
    assert "VELOCITY_30D" in codes(velocity(500, 3_600_000_000))
    assert "VELOCITY_24H_AMOUNT" not in codes(velocity(1, 1, amount=4_999_99))
    assert "VELOCITY_24H_AMOUNT" in codes(velocity(1, 1, amount=5_000_00))
    usd = velocity(1, 1, amount=6_000_00, currency="USD")
    assert "VELOCITY_24H_AMOUNT" not in codes(usd)  # no rate: not counted in the EUR sum
    assert "VELOCITY_24H_AMOUNT" in codes(usd, RiskConfig(eur_rates={"USD": "0.9"}))


def cluster(**kw: object) -> ClusterRecord:
    return ClusterRecord("acme", "cl", **kw)  # type: ignore[arg-type]


def card(age_days: float) -> CardRecord:
    return CardRecord(
        "acme", "k", "a", "c", "tok", "fp", "411111", "1234", "VISA", 12, 2030, create_us=NOW - int(age_days * W.DAY_US)
    )


def test_identity_thresholds() -> None:
    assert "CLUSTER_MANY_NAMES" not in codes(S.Facts(NOW, cluster=cluster(stats={"distinct_names": 2})))
    assert codes(S.Facts(NOW, cluster=cluster(stats={"distinct_names": 3})))["CLUSTER_MANY_NAMES"] == 30
    assert "CARD_MANY_NAMES" not in codes(S.Facts(NOW, card=card(100), card_carrier_names=2))
    assert codes(S.Facts(NOW, card=card(100), card_carrier_names=3))["CARD_MANY_NAMES"] == 40
    assert "NEW_IDENTITY_BURST" not in codes(S.Facts(NOW, new_identities=4))
    assert "NEW_IDENTITY_BURST" in codes(S.Facts(NOW, new_identities=5))
    flag = {"kind": "PHONE", "fingerprint": "f", "masked": "+372***67", "count": 12}
    shared = S.assess(CFG, S.Facts(NOW, cluster=cluster(risk_flags=[flag, flag, flag]))).signals
    assert [s.code for s in shared] == ["SHARED_IDENTIFIER"] * 2  # at most two flags scored
    assert "+372***67" in shared[0].reason and "12 customers" in shared[0].reason


def test_new_card_on_old_cluster_boundaries() -> None:
    old = cluster(first_seen_us=NOW - 180 * W.DAY_US)
    assert "NEW_CARD_ON_OLD_CLUSTER" in codes(S.Facts(NOW, cluster=old, card=card(7)))
    assert "NEW_CARD_ON_OLD_CLUSTER" not in codes(S.Facts(NOW, cluster=old, card=card(7.001)))
    young = cluster(first_seen_us=NOW - 180 * W.DAY_US + 1)
    assert "NEW_CARD_ON_OLD_CLUSTER" not in codes(S.Facts(NOW, cluster=young, card=card(1)))


def test_contact_change_boundaries() -> None:
    recent = NOW - 7 * W.DAY_US
    assert codes(S.Facts(NOW, contact_changed_us=recent)) == {"RECENT_CONTACT_CHANGE": 15}
    assert codes(S.Facts(NOW, contact_changed_us=recent - 1)) == {}
    large = S.Facts(NOW, contact_changed_us=recent, amount_eur_cents=500_00)
    assert codes(large) == {"CONTACT_CHANGE_BEFORE_LARGE_PAYMENT": 35}
    assert codes(S.Facts(NOW, contact_changed_us=recent, amount_eur_cents=499_99)) == {"RECENT_CONTACT_CHANGE": 15}


def test_scores_are_per_tenant_and_never_negative() -> None:
    cfg = RiskConfig(scores={"KNOWN_MERCHANT": -50, "RECENT_CONTACT_CHANGE": 5})
    got = S.assess(cfg, S.Facts(NOW, known_merchant=True, contact_changed_us=NOW))
    assert {s.code: s.score for s in got.signals} == {"KNOWN_MERCHANT": -50, "RECENT_CONTACT_CHANGE": 5}
    assert got.score == 0


def test_a_card_that_is_not_active() -> None:
    stolen = card(100)
    stolen.state = 4
    got = S.assess(CFG, S.Facts(NOW, card=stolen)).signals
    assert [(x.code, x.score) for x in got] == [("CARD_NOT_ACTIVE", 60)] and "reported stolen" in got[0].reason
    assert codes(S.Facts(NOW, card=card(100))) == {}
