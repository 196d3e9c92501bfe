//! The authorization path's rules, evaluated in the core: the risk signals of
//! `crs.domain.risk.signals.assess` that an authorization lookup can raise
//! (velocity, shared identifiers, names in the cluster, card state, a new card
//! on an old cluster; the lookup has no payment amount, merchant, contact
//! change or identity burst to look at) and the stated preferred method of
//! `crs.domain.checkout.sources.ProfilePreferences`.
//!
//! The Python rules stay the reference (`GetRiskSignals`, checkout and every
//! input this module leaves to them); `tests/property/test_authorization_core.py`
//! holds both equal on random records and settings. Whatever this module does
//! not reproduce exactly is refused with an error (an exchange rate that is not
//! a plain decimal, an amount beyond the exact range, a record of another
//! shape), and the caller then computes the whole answer in Python.
//! The settings come from Python (`RiskConfig`, the card state names, the
//! identifier kind numbers, the channel numbers, the known method names), so
//! the data lives in one place; the reasons' wording is written in both.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::errors::{CoreError, Result};
use crate::velocity_windows::Windows;

const DAY_US: i128 = 24 * 3_600_000_000;
/// At most this many shared-identifier flags of a cluster are scored.
const MAX_SHARED_FLAGS_SCORED: usize = 2;
/// Amounts are worded from integers below this bound (where Python's float
/// formatting of `cents / 100` gives the same digits); beyond it the caller
/// takes the Python path.
const MAX_WORDED_CENTS: i128 = 1_000_000_000_000_000;
/// Decimal arithmetic in Python keeps 28 significant digits; below this bound
/// every product here is exact there too.
const DECIMAL_EXACT: i128 = 10_000_000_000_000_000_000_000_000_000;

const UNSUPPORTED_RATE: &str = "exchange rate not reproduced in the core";
const OUT_OF_RANGE: &str = "amount beyond the core's exact range";

/// An exchange rate `mantissa / 10^scale` (EUR per unit of the currency).
#[derive(Debug, Clone, Copy)]
struct Rate {
    mantissa: i128,
    scale: u32,
}

/// A plain decimal string (`123`, `0.92`) as a `Rate`; anything else (signs,
/// exponents, spaces, underscores) is left to Python.
fn rate(text: &str) -> Result<Rate> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return Err(CoreError::InvalidArgument(UNSUPPORTED_RATE));
    }
    let all = format!("{whole}{fraction}");
    let mantissa: i128 = all
        .parse()
        .map_err(|_| CoreError::InvalidArgument(UNSUPPORTED_RATE))?;
    let scale =
        u32::try_from(fraction.len()).map_err(|_| CoreError::InvalidArgument(UNSUPPORTED_RATE))?;
    if mantissa >= DECIMAL_EXACT || scale > 24 {
        return Err(CoreError::InvalidArgument(UNSUPPORTED_RATE));
    }
    Ok(Rate { mantissa, scale })
}

/// One tenant's settings, as `RiskConfig` and the Python modules hold them.
#[derive(Debug, Clone)]
pub struct Rules {
    velocity_1m_count: i64,
    velocity_1h_count: i64,
    velocity_24h_count: i64,
    velocity_30d_count: i64,
    velocity_24h_amount_eur_cents: i64,
    many_names: i64,
    identity_burst: i64,
    burst_window_hours: i64,
    new_card_days: i64,
    old_cluster_days: i64,
    /// Signal code -> score (the defaults with the tenant's overrides).
    scores: HashMap<String, i64>,
    /// Currency -> (EUR rate, minor-unit exponent).
    rates: HashMap<String, (Rate, u32)>,
    /// Card state number -> how a reason words it (the states that raise
    /// CARD_NOT_ACTIVE).
    card_states: HashMap<i64, String>,
    /// Identifier kind name -> `IdentifierKind` number.
    kind_numbers: HashMap<String, i64>,
    /// Profile checkout channel -> payment channel number.
    channels: HashMap<String, i64>,
    /// Method names a bank-transfer scheme may be stated as.
    known_methods: HashSet<String>,
}

/// Everything `Rules::new` takes, by name, as Python passes it.
pub struct Settings {
    pub thresholds: HashMap<String, i64>,
    pub scores: HashMap<String, i64>,
    /// Currency -> (rate as a decimal string, minor-unit exponent).
    pub eur_rates: HashMap<String, (String, u32)>,
    pub card_states: HashMap<i64, String>,
    pub kind_numbers: HashMap<String, i64>,
    pub channels: HashMap<String, i64>,
    pub known_methods: HashSet<String>,
}

const CODES: [&str; 14] = [
    VELOCITY_1M,
    VELOCITY_1H,
    VELOCITY_24H_COUNT,
    VELOCITY_24H_AMOUNT,
    VELOCITY_30D,
    SHARED_IDENTIFIER,
    CLUSTER_MANY_NAMES,
    CARD_MANY_NAMES,
    NEW_IDENTITY_BURST,
    NEW_CARD_ON_OLD_CLUSTER,
    "RECENT_CONTACT_CHANGE",
    "CONTACT_CHANGE_BEFORE_LARGE_PAYMENT",
    "KNOWN_MERCHANT",
    CARD_NOT_ACTIVE,
];
const VELOCITY_1M: &str = "VELOCITY_1M";
const VELOCITY_1H: &str = "VELOCITY_1H";
const VELOCITY_24H_COUNT: &str = "VELOCITY_24H_COUNT";
const VELOCITY_24H_AMOUNT: &str = "VELOCITY_24H_AMOUNT";
const VELOCITY_30D: &str = "VELOCITY_30D";
const SHARED_IDENTIFIER: &str = "SHARED_IDENTIFIER";
const CLUSTER_MANY_NAMES: &str = "CLUSTER_MANY_NAMES";
const CARD_MANY_NAMES: &str = "CARD_MANY_NAMES";
const NEW_IDENTITY_BURST: &str = "NEW_IDENTITY_BURST";
const NEW_CARD_ON_OLD_CLUSTER: &str = "NEW_CARD_ON_OLD_CLUSTER";
const CARD_NOT_ACTIVE: &str = "CARD_NOT_ACTIVE";

impl Rules {
    pub fn new(s: Settings) -> Result<Self> {
        let t = |name: &str| {
            s.thresholds
                .get(name)
                .copied()
                .ok_or(CoreError::InvalidArgument("a risk threshold is missing"))
        };
        if CODES.iter().any(|c| !s.scores.contains_key(*c)) {
            return Err(CoreError::InvalidArgument("a risk signal has no score"));
        }
        let rates = s
            .eur_rates
            .iter()
            .map(|(cur, (text, exponent))| Ok((cur.clone(), (rate(text)?, *exponent))))
            .collect::<Result<_>>()?;
        Ok(Rules {
            velocity_1m_count: t("velocity_1m_count")?,
            velocity_1h_count: t("velocity_1h_count")?,
            velocity_24h_count: t("velocity_24h_count")?,
            velocity_30d_count: t("velocity_30d_count")?,
            velocity_24h_amount_eur_cents: t("velocity_24h_amount_eur_cents")?,
            many_names: t("many_names")?,
            identity_burst: t("identity_burst")?,
            burst_window_hours: t("burst_window_hours")?,
            new_card_days: t("new_card_days")?,
            old_cluster_days: t("old_cluster_days")?,
            scores: s.scores,
            rates,
            card_states: s.card_states,
            kind_numbers: s.kind_numbers,
            channels: s.channels,
            known_methods: s.known_methods,
        })
    }

    fn score(&self, code: &str) -> i64 {
        self.scores.get(code).copied().unwrap_or(0) // every code is present (checked in `new`)
    }

    /// `RiskConfig.to_eur_cents`: euro cents, rounded up; None without a rate.
    fn to_eur_cents(&self, amount: i64, currency: &str) -> Result<Option<i128>> {
        if currency == "EUR" {
            return Ok(Some(i128::from(amount)));
        }
        let Some((rate, exponent)) = self.rates.get(currency) else {
            return Ok(None);
        };
        let num = i128::from(amount)
            .checked_mul(rate.mantissa)
            .and_then(|p| p.checked_mul(100))
            .filter(|p| p.abs() < DECIMAL_EXACT)
            .ok_or(CoreError::InvalidArgument(OUT_OF_RANGE))?;
        let den = 10i128
            .checked_pow(rate.scale + exponent)
            .ok_or(CoreError::InvalidArgument(OUT_OF_RANGE))?;
        Ok(Some(-(-num).div_euclid(den)))
    }
}

/// `f"{cents / 100:.2f}"` for cents in the exact range.
fn euros(cents: i128) -> Result<String> {
    if cents.abs() >= MAX_WORDED_CENTS {
        return Err(CoreError::InvalidArgument(OUT_OF_RANGE));
    }
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.abs();
    Ok(format!("{sign}{}.{:02}", a / 100, a % 100))
}

/// A shared identifier of a cluster, as `ClusterRecord.risk_flags` stores it.
#[derive(Debug, Deserialize)]
pub struct StoredFlag {
    pub kind: String,
    pub masked: String,
    pub fingerprint: String,
    pub count: i64,
}

/// The fields of a stored `ClusterRecord` the authorization path shows or
/// rules on.
#[derive(Debug, Deserialize)]
pub struct ClusterRecord {
    pub tenant: String,
    pub id: String,
    #[serde(default = "crate::lookup_response::one")]
    pub state: i64,
    #[serde(default = "crate::lookup_response::one")]
    pub version: i64,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub first_seen_us: i64,
    #[serde(default)]
    pub stats: HashMap<String, i64>,
    #[serde(default)]
    pub risk_flags: Vec<StoredFlag>,
}

/// What the rules look at for one authorization lookup.
pub struct Facts<'a> {
    pub now_us: i64,
    pub velocity: &'a Windows,
    pub cluster: &'a ClusterRecord,
    pub card_last4: &'a str,
    pub card_state: i64,
    pub card_create_us: i64,
}

/// The signals (code, score, reason) in the Python order and the score.
pub type Assessment = (i64, Vec<(String, i64, String)>);

impl Rules {
    /// `assess` for an authorization lookup.
    pub fn assess(&self, f: &Facts<'_>) -> Result<Assessment> {
        let mut found: Vec<(&'static str, String)> = Vec::new();
        self.velocity(f.velocity, &mut found)?;
        self.identity(f, &mut found)?;
        let mut total: i128 = 0;
        let signals = found
            .into_iter()
            .map(|(code, reason)| {
                let score = self.score(code);
                total += i128::from(score);
                (code.to_string(), score, reason)
            })
            .collect();
        let score =
            i64::try_from(total.max(0)).map_err(|_| CoreError::InvalidArgument(OUT_OF_RANGE))?;
        Ok((score, signals))
    }

    fn velocity(&self, v: &Windows, out: &mut Vec<(&'static str, String)>) -> Result<()> {
        let window = |name: &str| v.windows.iter().find(|w| w.name == name);
        for (code, level, limit) in [
            (VELOCITY_1M, "1m", self.velocity_1m_count),
            (VELOCITY_1H, "1h", self.velocity_1h_count),
            (VELOCITY_24H_COUNT, "24h", self.velocity_24h_count),
            (VELOCITY_30D, "30d", self.velocity_30d_count),
        ] {
            let count = window(level).map_or(0, |w| w.count);
            if count >= limit {
                out.push((
                    code,
                    format!("{count} payments in the cluster within {level} (threshold {limit})"),
                ));
            }
        }
        let mut eur: i128 = 0;
        for (currency, _n, amount) in window("24h").map_or(&[][..], |w| &w.by_currency[..]) {
            eur += self.to_eur_cents(*amount, currency)?.unwrap_or(0);
        }
        let threshold = i128::from(self.velocity_24h_amount_eur_cents);
        if eur >= threshold {
            out.push((
                VELOCITY_24H_AMOUNT,
                format!(
                    "EUR {} paid in the cluster within 24h (threshold {})",
                    euros(eur)?,
                    euros(threshold)?
                ),
            ));
        }
        Ok(())
    }

    fn identity(&self, f: &Facts<'_>, out: &mut Vec<(&'static str, String)>) -> Result<()> {
        let c = f.cluster;
        for flag in c.risk_flags.iter().take(MAX_SHARED_FLAGS_SCORED) {
            let kind = flag.kind.to_lowercase().replace('_', " ");
            out.push((
                SHARED_IDENTIFIER,
                format!(
                    "a {kind} ({}) is carried by {} customers",
                    flag.masked, flag.count
                ),
            ));
        }
        let names = c.stats.get("distinct_names").copied().unwrap_or(0);
        if names >= self.many_names {
            out.push((
                CLUSTER_MANY_NAMES,
                format!(
                    "{names} different names in one cluster (threshold {})",
                    self.many_names
                ),
            ));
        }
        // The lookup counts no carriers of the card's fingerprint: 0 names.
        if 0 >= self.many_names {
            out.push((
                CARD_MANY_NAMES,
                format!(
                    "card ending {} is used under 0 different names (threshold {})",
                    f.card_last4, self.many_names
                ),
            ));
        }
        if let Some(state) = self.card_states.get(&f.card_state) {
            out.push((
                CARD_NOT_ACTIVE,
                format!("card ending {} is {state}", f.card_last4),
            ));
        }
        // Nor does it count the cluster's new identities: 0.
        if 0 >= self.identity_burst {
            out.push((
                NEW_IDENTITY_BURST,
                format!(
                    "0 customers or identifiers added to the cluster within {}h (threshold {})",
                    self.burst_window_hours, self.identity_burst
                ),
            ));
        }
        if c.first_seen_us != 0 {
            let now = i128::from(f.now_us);
            let card_age = now - i128::from(f.card_create_us);
            let cluster_age = now - i128::from(c.first_seen_us);
            if card_age <= i128::from(self.new_card_days) * DAY_US
                && cluster_age >= i128::from(self.old_cluster_days) * DAY_US
            {
                out.push((
                    NEW_CARD_ON_OLD_CLUSTER,
                    format!(
                        "card ending {} added {} days ago to a cluster known for {} days",
                        f.card_last4,
                        card_age.div_euclid(DAY_US),
                        cluster_age.div_euclid(DAY_US)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A cluster flag's `IdentifierKind` number and the reason the API layer
    /// gives it.
    pub fn flag(&self, flag: &StoredFlag) -> Result<(i64, String)> {
        let number = self
            .kind_numbers
            .get(&flag.kind)
            .copied()
            .ok_or(CoreError::InvalidArgument("unknown identifier kind"))?;
        let reason = format!(
            "{} carried by {} customers: too widely shared to link",
            flag.kind.to_lowercase(),
            flag.count
        );
        Ok((number, reason))
    }
}

/// One stated default payment method of a profile.
#[derive(Debug, Deserialize)]
struct PaymentMethod {
    channel: String,
    kind: String,
    #[serde(default)]
    card_id: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    provider: String,
}

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default)]
    payment_methods: Vec<PaymentMethod>,
}

fn methods(stored: Option<&[u8]>) -> Result<Vec<PaymentMethod>> {
    match stored {
        None => Ok(Vec::new()),
        Some(bytes) => serde_json::from_slice::<Profile>(bytes)
            .map(|p| p.payment_methods)
            .map_err(|_| CoreError::InvalidArgument("stored profile record is not valid")),
    }
}

impl Rules {
    /// `method_of`: a stated default as the ranking names it.
    fn method_of(&self, tenant: &str, m: &PaymentMethod) -> String {
        match m.kind.as_str() {
            "CARD" if !m.card_id.is_empty() => format!("CARD:tenants/{tenant}/cards/{}", m.card_id),
            "CARD" => "CARD".to_string(),
            "BANK_TRANSFER" if self.known_methods.contains(&m.provider) => m.provider.clone(),
            "ACCOUNT" | "BANK_TRANSFER" if !m.account_id.is_empty() => {
                format!("BANK_TRANSFER:tenants/{tenant}/accounts/{}", m.account_id)
            }
            "ACCOUNT" | "BANK_TRANSFER" => "BANK_TRANSFER".to_string(),
            _ => m.provider.clone(),
        }
    }

    /// The preferred method of the authorization context: the stated default
    /// (customer's own per channel, else the cluster's) of the lowest payment
    /// channel number; "" when none is stated.
    pub fn preferred_method(
        &self,
        tenant: &str,
        own: Option<&[u8]>,
        cluster: Option<&[u8]>,
    ) -> Result<String> {
        let mut by_channel: HashMap<String, PaymentMethod> = HashMap::new();
        for m in methods(cluster)? {
            by_channel.insert(m.channel.clone(), m);
        }
        for m in methods(own)? {
            by_channel.insert(m.channel.clone(), m);
        }
        Ok(by_channel
            .values()
            .filter_map(|m| self.channels.get(&m.channel).map(|n| (*n, m)))
            .min_by_key(|(n, _)| *n)
            .map(|(_, m)| self.method_of(tenant, m))
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(rates: &[(&str, &str, u32)]) -> Rules {
        let thresholds = [
            ("velocity_1m_count", 5),
            ("velocity_1h_count", 20),
            ("velocity_24h_count", 50),
            ("velocity_30d_count", 500),
            ("velocity_24h_amount_eur_cents", 500_000),
            ("many_names", 3),
            ("identity_burst", 5),
            ("burst_window_hours", 24),
            ("new_card_days", 7),
            ("old_cluster_days", 180),
        ];
        Rules::new(Settings {
            thresholds: thresholds
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            scores: CODES.iter().map(|c| (c.to_string(), 10)).collect(),
            eur_rates: rates
                .iter()
                .map(|(c, r, e)| (c.to_string(), (r.to_string(), *e)))
                .collect(),
            card_states: HashMap::from([(2, "blocked".to_string())]),
            kind_numbers: HashMap::from([("EMAIL".to_string(), 1)]),
            channels: HashMap::from([("POS".to_string(), 1), ("ECOMMERCE".to_string(), 2)]),
            known_methods: HashSet::from(["IDEAL".to_string()]),
        })
        .unwrap()
    }

    #[test]
    fn conversion_rounds_up_and_refuses_what_it_cannot_reproduce() {
        let r = rules(&[
            ("USD", "0.92", 2),
            ("JPY", "0.0061", 0),
            ("CHF", "1.0512345678", 2),
        ]);
        assert_eq!(r.to_eur_cents(100, "USD").unwrap(), Some(92));
        assert_eq!(r.to_eur_cents(101, "USD").unwrap(), Some(93)); // 92.92 up
        assert_eq!(r.to_eur_cents(-101, "USD").unwrap(), Some(-92)); // toward +inf
        assert_eq!(r.to_eur_cents(1000, "JPY").unwrap(), Some(610));
        assert_eq!(r.to_eur_cents(5, "GBP").unwrap(), None);
        // Exact in Python's 28 digits: computed; beyond them: refused.
        assert_eq!(
            r.to_eur_cents(i64::MAX, "USD").unwrap(),
            Some(8_485_502_273_906_393_743)
        );
        assert!(r.to_eur_cents(i64::MAX, "CHF").is_err());
        for text in ["1e2", "-1", " 1", "1_0", ".", ""] {
            assert!(rate(text).is_err(), "{text}");
        }
        assert_eq!(rate(".5").unwrap().mantissa, 5);
        assert_eq!(rate("7.").unwrap().mantissa, 7);
    }

    #[test]
    fn euros_word_cents_as_python_formats_them() {
        assert_eq!(euros(0).unwrap(), "0.00");
        assert_eq!(euros(5).unwrap(), "0.05");
        assert_eq!(euros(-5).unwrap(), "-0.05");
        assert_eq!(euros(123_456).unwrap(), "1234.56");
        assert!(euros(MAX_WORDED_CENTS).is_err());
    }

    #[test]
    fn the_lowest_channel_with_a_stated_method_wins_and_the_customer_overrides_the_cluster() {
        let r = rules(&[]);
        let own = br#"{"payment_methods":[{"channel":"ECOMMERCE","kind":"CARD","card_id":"k"}]}"#;
        let cluster = br#"{"payment_methods":[{"channel":"POS","kind":"BANK_TRANSFER","provider":"IDEAL"},{"channel":"ECOMMERCE","kind":"WALLET","provider":"PAYPAL"}]}"#;
        assert_eq!(
            r.preferred_method("t", Some(own), Some(cluster)).unwrap(),
            "IDEAL"
        );
        assert_eq!(
            r.preferred_method("t", Some(own), None).unwrap(),
            "CARD:tenants/t/cards/k"
        );
        assert_eq!(r.preferred_method("t", None, None).unwrap(), "");
        let other =
            br#"{"payment_methods":[{"channel":"RECURRING","kind":"ACCOUNT","account_id":"a"}]}"#;
        assert_eq!(r.preferred_method("t", Some(other), None).unwrap(), "");
    }
}
