//! The card, account, owners, as-of time and preferred method of a
//! `crs.v1.AuthorizationContext`, encoded straight from the stored JSON
//! records, for the payment switch's authorization call.
//!
//! `authorization_context_tail` encodes the rest (the cluster and its risk
//! summary, fields 4 and 6) from the values the domain computed; the API layer
//! appends it to the head: encodings of one message type concatenated parse as
//! their merge, and the two parts set disjoint fields. Under load the protobuf
//! object tree of these parts cost more than the domain work that produced
//! them. The mapping mirrors the Python reference in
//! `tests/property/test_authorization_encoding.py`, which compares both ways on
//! random records: resource names `tenants/{tenant}/{collection}/{id}`,
//! microsecond times as `google.protobuf.Timestamp`, `expired` when the card's
//! (year, month) is before the call's UTC (year, month), `usable` when the card
//! is ACTIVE and not expired, on an ACTIVE account with at least one ACTIVE
//! owner. Field numbers are those of `proto/crs/v1/lookup.proto`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::authorization_rules::{ClusterRecord, Facts, Rules};
use crate::errors::{CoreError, Result};
use crate::lookup_response::{
    AccountRecord, CardRecord, brand_number, name, one, parse, timestamp,
};
use crate::velocity_windows;
use crate::wire::Writer;

const ACTIVE: i64 = 1; // CardState, AccountStatus and CustomerStatus all number ACTIVE 1

/// The fields of a stored customer this message shows (the others are skipped
/// unread: a customer record with addresses and identifiers is the largest of
/// the three).
#[derive(Debug, Deserialize)]
struct Owner {
    tenant: String,
    id: String,
    kind: i64,
    display_name: String,
    #[serde(default = "one")]
    status: i64,
    #[serde(default)]
    create_us: i64,
}

/// When the call is answered: its time and that time's UTC year and month.
#[derive(Debug, Clone, Copy)]
pub struct AsOf {
    pub us: i64,
    pub year: i64,
    pub month: i64,
}

fn card_context(card: &CardRecord, expired: bool, usable: bool) -> Result<Writer> {
    let mut w = Writer::new();
    w.string(1, &name(&card.tenant, "cards", &card.id));
    w.string(2, &card.token);
    w.int(3, brand_number(&card.brand)?);
    w.string(4, &card.bin);
    w.string(5, &card.last4);
    w.int(6, card.state);
    w.int(7, card.expiry_month);
    w.int(8, card.expiry_year);
    w.boolean(9, expired);
    w.boolean(10, usable);
    Ok(w)
}

fn account_context(account: &AccountRecord) -> Writer {
    let mut w = Writer::new();
    w.string(1, &name(&account.tenant, "accounts", &account.id));
    w.int(2, account.kind);
    w.int(3, account.status);
    w.string(4, &account.currency_code);
    w
}

fn customer_context(owner: &Owner, cluster: Option<&String>) -> Writer {
    let mut w = Writer::new();
    w.string(1, &name(&owner.tenant, "customers", &owner.id));
    w.int(2, owner.kind);
    w.int(3, owner.status);
    w.string(4, &owner.display_name);
    timestamp(&mut w, 5, owner.create_us);
    if let Some(cluster) = cluster {
        w.string(6, &name(&owner.tenant, "clusters", cluster));
    }
    w
}

/// Fields 1, 2, 3, 5 and 7 of the encoded `AuthorizationContext`: the card
/// context, the account context (when `account` is given), one customer context
/// per owner in the given order (with the owner's cluster from `clusters_of`,
/// customer id -> cluster id), `as_of_time` and `preferred_method`.
pub fn authorization_context_head(
    card: &[u8],
    account: Option<&[u8]>,
    owners: &[&[u8]],
    clusters_of: &HashMap<String, String>,
    as_of: AsOf,
    preferred_method: &str,
) -> Result<Vec<u8>> {
    let card: CardRecord = parse(card, "stored card record is not valid")?;
    head(&card, account, owners, clusters_of, as_of, preferred_method)
}

fn head(
    card: &CardRecord,
    account: Option<&[u8]>,
    owners: &[&[u8]],
    clusters_of: &HashMap<String, String>,
    as_of: AsOf,
    preferred_method: &str,
) -> Result<Vec<u8>> {
    let account: Option<AccountRecord> = account
        .map(|a| parse(a, "stored account record is not valid"))
        .transpose()?;
    let owners: Vec<Owner> = owners
        .iter()
        .map(|o| parse(o, "stored customer record is not valid"))
        .collect::<Result<_>>()?;
    let expired = (card.expiry_year, card.expiry_month) < (as_of.year, as_of.month);
    let usable = card.state == ACTIVE
        && !expired
        && account.as_ref().is_some_and(|a| a.status == ACTIVE)
        && owners.iter().any(|o| o.status == ACTIVE);
    let mut out = Writer::new();
    out.message(1, &card_context(card, expired, usable)?);
    if let Some(account) = &account {
        out.message(2, &account_context(account));
    }
    for owner in &owners {
        out.message(3, &customer_context(owner, clusters_of.get(&owner.id)));
    }
    timestamp(&mut out, 5, as_of.us);
    out.string(7, preferred_method);
    Ok(out.into_bytes())
}

/// One `crs.v1.RiskFlag`, as the API layer words it.
#[derive(Debug, Clone)]
pub struct Flag {
    pub kind: i64,
    pub masked_value: String,
    pub fingerprint: String,
    pub customer_count: i64,
    pub reason: String,
}

/// Field 4 of `AuthorizationContext`: the cardholder's cluster.
#[derive(Debug, Clone)]
pub struct ClusterPart {
    /// tenants/{tenant}/clusters/{cluster}
    pub name: String,
    pub version: i64,
    pub size: i64,
    pub customer_since_us: i64,
    /// `ClusterStats` field name -> value.
    pub stats: Vec<(String, i64)>,
    pub flags: Vec<Flag>,
}

/// One `crs.v1.VelocityWindow`: its name, event count and (currency, count,
/// amount in minor units) totals, in the order given.
#[derive(Debug, Clone)]
pub struct Window {
    pub name: String,
    pub count: i64,
    pub totals: Vec<(String, i64, i64)>,
}

/// A `crs.v1.Velocity`.
#[derive(Debug, Clone)]
pub struct VelocityPart {
    pub windows: Vec<Window>,
    pub as_of_us: i64,
    pub newest_event_us: i64,
    pub late_dropped: i64,
    pub duplicates: i64,
}

/// Field 6 of `AuthorizationContext`: the risk summary, signals as (code,
/// score, reason).
#[derive(Debug, Clone)]
pub struct RiskPart {
    pub score: i64,
    pub signals: Vec<(String, i64, String)>,
    pub velocity: Option<VelocityPart>,
}

/// `ClusterStats` field numbers by field name (`proto/crs/v1/cluster.proto`).
fn stats_field(name: &str) -> Result<u32> {
    Ok(match name {
        "customers" => 1,
        "distinct_names" => 2,
        "distinct_emails" => 3,
        "distinct_phones" => 4,
        "distinct_cards" => 5,
        "distinct_bank_accounts" => 6,
        "distinct_devices" => 7,
        _ => return Err(CoreError::InvalidArgument("unknown cluster statistic")),
    })
}

fn cluster_context(c: &ClusterPart) -> Result<Writer> {
    let mut stats: Vec<(u32, i64)> = c
        .stats
        .iter()
        .map(|(k, v)| Ok((stats_field(k)?, *v)))
        .collect::<Result<_>>()?;
    stats.sort_unstable();
    let mut st = Writer::new();
    for (field, value) in stats {
        st.int(field, value);
    }
    let mut w = Writer::new();
    w.string(1, &c.name);
    w.int(2, c.version);
    w.int(3, c.size);
    timestamp(&mut w, 4, c.customer_since_us);
    w.message(5, &st); // present even when empty, as the API layer sets it
    for f in &c.flags {
        let mut fw = Writer::new();
        fw.string(1, "SHARED_IDENTIFIER");
        fw.int(2, f.kind);
        fw.string(3, &f.masked_value);
        fw.string(4, &f.fingerprint);
        fw.int(5, f.customer_count);
        fw.string(6, &f.reason);
        w.message(6, &fw);
    }
    Ok(w)
}

fn velocity(v: &VelocityPart) -> Writer {
    let mut w = Writer::new();
    for window in &v.windows {
        let mut ww = Writer::new();
        ww.string(1, &window.name);
        ww.int(2, window.count);
        for (currency, count, amount) in &window.totals {
            let mut t = Writer::new();
            t.string(1, currency);
            t.int(2, *count);
            t.int(3, *amount);
            ww.message(3, &t);
        }
        w.message(1, &ww);
    }
    timestamp(&mut w, 2, v.as_of_us);
    timestamp(&mut w, 3, v.newest_event_us);
    w.int(4, v.late_dropped);
    w.int(5, v.duplicates);
    w
}

fn risk_summary(r: &RiskPart) -> Writer {
    let mut w = Writer::new();
    w.int(1, r.score);
    for (code, score, reason) in &r.signals {
        let mut s = Writer::new();
        s.string(1, code);
        s.int(2, *score);
        s.string(3, reason);
        w.message(2, &s);
    }
    if let Some(v) = &r.velocity {
        w.message(3, &velocity(v));
    }
    w
}

/// Fields 4 and 6 of the encoded `AuthorizationContext` (the cardholder's
/// cluster and its risk summary), each when given; appended to
/// `authorization_context_head`'s bytes they make the whole message.
pub fn authorization_context_tail(
    cluster: Option<&ClusterPart>,
    risk: Option<&RiskPart>,
) -> Result<Vec<u8>> {
    let mut out = Writer::new();
    if let Some(c) = cluster {
        out.message(4, &cluster_context(c)?);
    }
    if let Some(r) = risk {
        out.message(6, &risk_summary(r));
    }
    Ok(out.into_bytes())
}

/// The stored rows one authorization lookup read, as `authorization_context`
/// takes them.
pub struct Rows<'a> {
    pub tenant: &'a str,
    pub card: &'a [u8],
    pub account: Option<&'a [u8]>,
    pub owners: &'a [&'a [u8]],
    /// customer id -> cluster id, for every owner with a cluster.
    pub clusters_of: &'a HashMap<String, String>,
    /// The cardholder's cluster row, when the cardholder has a cluster.
    pub cluster: Option<&'a [u8]>,
    /// That cluster's velocity row, when it has one.
    pub velocity: Option<&'a [u8]>,
    /// The cardholder's own profile row and its cluster's, when stored.
    pub own_profile: Option<&'a [u8]>,
    pub cluster_profile: Option<&'a [u8]>,
}

/// The whole encoded `AuthorizationContext` from the stored rows: the head,
/// then (when the cardholder's cluster is ACTIVE) the cluster and its risk
/// summary, the rules evaluated here (`authorization_rules`). What the domain
/// and the API layer compute from the same rows in Python; an error means
/// the caller computes it there.
pub fn authorization_context(rules: &Rules, rows: &Rows<'_>, as_of: AsOf) -> Result<Vec<u8>> {
    let card: CardRecord = parse(rows.card, "stored card record is not valid")?;
    let preferred = rules.preferred_method(rows.tenant, rows.own_profile, rows.cluster_profile)?;
    let mut out = head(
        &card,
        rows.account,
        rows.owners,
        rows.clusters_of,
        as_of,
        &preferred,
    )?;
    let cluster: Option<ClusterRecord> = rows
        .cluster
        .map(|c| parse(c, "stored cluster record is not valid"))
        .transpose()?;
    let Some(cluster) = cluster.filter(|c| c.state == ACTIVE) else {
        return Ok(out);
    };
    let windows = velocity_windows::windows(rows.velocity, as_of.us)?;
    let (score, signals) = rules.assess(&Facts {
        now_us: as_of.us,
        velocity: &windows,
        cluster: &cluster,
        card_last4: &card.last4,
        card_state: card.state,
        card_create_us: card.create_us,
    })?;
    let flags = cluster
        .risk_flags
        .iter()
        .map(|f| {
            let (kind, reason) = rules.flag(f)?;
            Ok(Flag {
                kind,
                masked_value: f.masked.clone(),
                fingerprint: f.fingerprint.clone(),
                customer_count: f.count,
                reason,
            })
        })
        .collect::<Result<_>>()?;
    let part = ClusterPart {
        name: name(&cluster.tenant, "clusters", &cluster.id),
        version: cluster.version,
        size: cluster.size,
        customer_since_us: cluster.first_seen_us,
        stats: cluster.stats.into_iter().collect(),
        flags,
    };
    let velocity = VelocityPart {
        windows: windows
            .windows
            .into_iter()
            .map(|w| Window {
                name: w.name.to_string(),
                count: w.count,
                totals: w.by_currency,
            })
            .collect(),
        as_of_us: windows.at_us,
        newest_event_us: windows.watermark_us,
        late_dropped: windows.late_dropped,
        duplicates: windows.duplicates,
    };
    let risk = RiskPart {
        score,
        signals,
        velocity: Some(velocity),
    };
    out.extend(authorization_context_tail(Some(&part), Some(&risk))?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &[u8] = br#"{"tenant":"t","id":"k","account_id":"a","customer_id":"c","token":"4999998189010007","fingerprint":"ab","bin":"499999","last4":"0007","brand":"VISA","expiry_month":3,"expiry_year":2030,"state":1}"#;
    const ACCOUNT: &[u8] =
        br#"{"tenant":"t","id":"a","customer_id":"c","kind":1,"currency_code":"EUR","status":1}"#;
    const OWNER: &[u8] = br#"{"tenant":"t","id":"c","kind":1,"display_name":"Ann","status":1,"postal_addresses":[{"locality":"x"}],"create_us":5}"#;

    fn at(year: i64, month: i64) -> AsOf {
        AsOf { us: 1, year, month }
    }

    fn head(card: &[u8], account: Option<&[u8]>, owners: &[&[u8]], now: AsOf) -> Vec<u8> {
        let clusters = HashMap::from([("c".to_string(), "q".to_string())]);
        authorization_context_head(card, account, owners, &clusters, now, "CARD").unwrap()
    }

    fn has(bytes: &[u8], part: &[u8]) -> bool {
        bytes.windows(part.len()).any(|w| w == part)
    }

    const USABLE: [u8; 2] = [0x50, 0x01]; // CardContext field 10 = true
    const EXPIRED: [u8; 2] = [0x48, 0x01]; // CardContext field 9 = true

    #[test]
    fn a_usable_card_names_its_owner_and_cluster() {
        let bytes = head(CARD, Some(ACCOUNT), &[OWNER], at(2030, 3));
        assert!(has(&bytes, &USABLE));
        assert!(!has(&bytes, &EXPIRED));
        let text = String::from_utf8_lossy(&bytes);
        for part in [
            "tenants/t/cards/k",
            "tenants/t/accounts/a",
            "tenants/t/customers/c",
            "tenants/t/clusters/q",
            "Ann",
            "CARD",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn expiry_is_by_month() {
        assert!(!has(
            &head(CARD, Some(ACCOUNT), &[OWNER], at(2030, 3)),
            &EXPIRED
        ));
        let after = head(CARD, Some(ACCOUNT), &[OWNER], at(2030, 4));
        assert!(has(&after, &EXPIRED));
        assert!(!has(&after, &USABLE));
    }

    #[test]
    fn no_account_or_no_active_owner_is_not_usable() {
        assert!(!has(&head(CARD, None, &[OWNER], at(2030, 1)), &USABLE));
        let closed = br#"{"tenant":"t","id":"c","kind":1,"display_name":"Ann","status":3}"#;
        assert!(!has(
            &head(CARD, Some(ACCOUNT), &[closed], at(2030, 1)),
            &USABLE
        ));
        assert!(!has(&head(CARD, Some(ACCOUNT), &[], at(2030, 1)), &USABLE));
    }

    #[test]
    fn bad_records_are_errors_without_their_content() {
        let clusters = HashMap::new();
        let pan = br#"{"tenant":"4111111111111111"}"#;
        let err = authorization_context_head(CARD, Some(ACCOUNT), &[pan], &clusters, at(1, 1), "")
            .unwrap_err();
        assert_eq!(err.to_string(), "stored customer record is not valid");
        let err =
            authorization_context_head(CARD, Some(pan), &[], &clusters, at(1, 1), "").unwrap_err();
        assert_eq!(err.to_string(), "stored account record is not valid");
    }

    fn cluster() -> ClusterPart {
        ClusterPart {
            name: "tenants/t/clusters/q".into(),
            version: 3,
            size: 2,
            customer_since_us: 1_500_000,
            stats: vec![("distinct_cards".into(), 2), ("customers".into(), 2)],
            flags: vec![],
        }
    }

    #[test]
    fn the_tail_encodes_cluster_and_risk_in_field_order() {
        let risk = RiskPart {
            score: 0,
            signals: vec![],
            velocity: None,
        };
        let bytes = authorization_context_tail(Some(&cluster()), Some(&risk)).unwrap();
        // field 4 (cluster), then field 6 (an empty risk summary: present, no fields)
        assert_eq!(bytes[0], 0x22);
        assert_eq!(&bytes[bytes.len() - 2..], &[0x32, 0x00]);
        // stats in field-number order: customers (1) = 2, distinct_cards (5) = 2
        assert!(has(&bytes, &[0x2a, 0x04, 0x08, 0x02, 0x28, 0x02]));
        assert!(authorization_context_tail(None, None).unwrap().is_empty());
    }

    #[test]
    fn an_unknown_statistic_is_an_error() {
        let mut c = cluster();
        c.stats.push(("4111111111111111".into(), 1));
        let err = authorization_context_tail(Some(&c), None).unwrap_err();
        assert_eq!(err.to_string(), "unknown cluster statistic");
    }
}
