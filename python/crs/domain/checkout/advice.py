"""DecisionService.GetCheckoutAdvice: ranked payment methods and the SCA recommendation with its facts."""

from __future__ import annotations

from dataclasses import dataclass

from crs.domain.cards import ACTIVE as CARD_ACTIVE
from crs.domain.checkout import sca_rules
from crs.domain.checkout.methods import PaymentHistory, PaymentPreferences, RankedMethod, rank
from crs.domain.checkout.sca_state import ScaStates, counters
from crs.domain.context import CallContext
from crs.domain.errors import Violations
from crs.domain.names import Name
from crs.domain.records import now_us
from crs.domain.risk.service import Risk, RiskReport
from crs.domain.risk.txn import CHANNEL_UNSPECIFIED, CHANNELS, REMOTE_CHANNELS
from crs.domain.risk.windows import DAY_US
from crs.domain.validation import check_currency, check_text

MAX_AMOUNT_MINOR = 10**15


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    amount_minor: int
    currency: str
    merchant_id: str
    channel: int
    country: str
    recurring: bool = False
    fraud_rate_ppm: int | None = None  # the acquirer's; None: the tenant's configured rate


@dataclass(frozen=True, slots=True)
class ScaFactsOut:
    count_since_sca: int
    amount_since_sca_eur_cents: int | None
    prior_successful_scas: int
    last_sca_us: int
    cluster_age_days: int
    amount_eur_cents: int | None
    fraud_rate_ppm: int | None
    tra_threshold_eur_cents: int | None
    low_value_counter: str


@dataclass(frozen=True, slots=True)
class Advice:
    subject: str
    customer_id: str
    methods: list[RankedMethod]
    decision: sca_rules.ScaDecision
    facts: ScaFactsOut
    risk: RiskReport


def validate(req: CheckoutRequest) -> None:
    v = Violations()
    if not 0 < req.amount_minor <= MAX_AMOUNT_MINOR:
        v.add("amount.amount_minor", "must be a positive amount in minor units")
    check_currency(v, "amount.currency_code", req.currency)
    if req.channel not in CHANNELS or req.channel == CHANNEL_UNSPECIFIED:
        v.add("channel", "must be set to a defined payment channel")
    if len(req.country) != 2 or not req.country.isascii() or not req.country.isupper():
        v.add("country_code", "must be an ISO 3166-1 alpha-2 code such as NL")
    check_text(v, "merchant_id", req.merchant_id, required=True, limit=128)
    if req.fraud_rate_ppm is not None and not 0 <= req.fraud_rate_ppm <= 1_000_000:
        v.add("acquirer_fraud_rate_ppm", "must be between 0 and 1000000")
    v.raise_if_any()


class Checkout:
    def __init__(self, risk: Risk, sca: ScaStates, history: PaymentHistory, preferences: PaymentPreferences) -> None:
        self._risk = risk
        self.sca = sca
        self.history = history
        self.preferences = preferences

    async def advice(
        self, ctx: CallContext, tenant: str, req: CheckoutRequest, *, token: str = "", customer: Name | None = None
    ) -> Advice:
        validate(req)
        name, subject = await self._risk.subject(tenant, token=token, customer=customer)
        customer_id = subject.customer_ids[0]
        cfg = self._risk.config.of(tenant)
        eur = cfg.to_eur_cents(req.amount_minor, req.currency)
        state = await self.sca.read(tenant, customer_id)
        report = await self._risk.assess(
            ctx, name, subject, amount_eur_cents=eur, known_merchant=req.merchant_id in state.merchants
        )
        prefs = await self.preferences.preferences(tenant, customer_id)
        held = await self.history.methods_used(tenant, customer_id)
        usable = subject.card is not None and subject.card.state == CARD_ACTIVE
        card_name = f"tenants/{tenant}/cards/{subject.card.id}" if subject.card and usable else ""
        methods = rank(held, prefs, req.channel, req.country, card_name)
        c = counters(state)
        fraud = req.fraud_rate_ppm if req.fraud_rate_ppm is not None else cfg.acquirer_fraud_rate_ppm
        fraud_rate = fraud if fraud >= 0 else None
        series = state.series.get(req.merchant_id)
        facts = sca_rules.ScaFacts(
            amount_eur_cents=eur,
            remote=req.channel in REMOTE_CHANNELS,
            risk_score=report.assessment.score,
            challenge_score=cfg.challenge_score,
            tra_max_score=cfg.tra_max_score,
            count_since_sca=c.count,
            # Unknown (a payment in a currency without a rate): treated as over the cumulative limit.
            amount_since_sca_eur_cents=(
                c.eur_cents if c.eur_cents is not None else sca_rules.LOW_VALUE_MAX_CUMULATIVE_EUR_CENTS + 1
            ),
            low_value_counter=cfg.low_value_counter,
            recurring=req.recurring,
            recurring_series_established=series is not None,
            recurring_same_amount=series is not None
            and (series["amount_minor"], series["currency"]) == (req.amount_minor, req.currency),
            trusted_beneficiary=req.merchant_id in prefs.trusted_beneficiaries,
            fraud_rate_ppm=fraud_rate,
        )
        decision = sca_rules.decide(facts)
        cluster = subject.cluster
        now = now_us()
        out = ScaFactsOut(
            count_since_sca=c.count,
            amount_since_sca_eur_cents=c.eur_cents,
            prior_successful_scas=state.successful_scas,
            last_sca_us=state.last_sca_us,
            cluster_age_days=(now - cluster.first_seen_us) // DAY_US if cluster and cluster.first_seen_us else 0,
            amount_eur_cents=eur,
            fraud_rate_ppm=fraud_rate,
            tra_threshold_eur_cents=sca_rules.tra_threshold_eur_cents(fraud_rate) if fraud_rate is not None else None,
            low_value_counter=cfg.low_value_counter,
        )
        return Advice(name, customer_id, methods, decision, out, report)
