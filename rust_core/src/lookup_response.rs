//! `crs.v1.LookupCardResponse` encoded straight from the stored JSON records
//! (card, account, owning customers), for the payment switch's hot path.
//!
//! The Python API layer builds the same message with protobuf objects
//! (`crs.api.convert.card_out`/`account_out`/`customer_out`); under load that
//! object tree cost more than the whole rest of the lookup. The records here
//! mirror `crs.domain.records` (same field names and defaults; unknown fields
//! such as `blind_indexes` are ignored) and the encoding mirrors `convert`:
//! resource names `tenants/{tenant}/{collection}/{id}`, microsecond times as
//! `google.protobuf.Timestamp`, `YYYY-MM-DD` dates as `google.type.Date`,
//! national identifiers masked (a caller with the `pii` scope is served by the
//! Python path, which decrypts them). Field numbers are those of
//! `proto/crs/v1/{card,account,customer,common}.proto`; the Python tests parse
//! these bytes and compare them with the message `convert` builds.

use serde::Deserialize;

use crate::errors::{CoreError, Result};
use crate::wire::Writer;

pub(crate) fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
pub(crate) struct CardRecord {
    pub(crate) tenant: String,
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) customer_id: String,
    pub(crate) token: String,
    pub(crate) fingerprint: String,
    pub(crate) bin: String,
    pub(crate) last4: String,
    pub(crate) brand: String,
    pub(crate) expiry_month: i64,
    pub(crate) expiry_year: i64,
    #[serde(default)]
    pub(crate) cardholder_name: String,
    #[serde(default = "one")]
    pub(crate) state: i64,
    #[serde(default)]
    pub(crate) state_reason: String,
    #[serde(default)]
    pub(crate) create_us: i64,
    #[serde(default)]
    pub(crate) update_us: i64,
    #[serde(default)]
    pub(crate) version: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) tenant: String,
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) kind: i64,
    pub(crate) currency_code: String,
    #[serde(default = "one")]
    pub(crate) status: i64,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) open_date: String,
    #[serde(default)]
    pub(crate) close_date: String,
    #[serde(default)]
    pub(crate) create_us: i64,
    #[serde(default)]
    pub(crate) update_us: i64,
    #[serde(default)]
    pub(crate) version: String,
}

#[derive(Debug, Deserialize)]
struct PostalAddress {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    administrative_area: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    address_lines: Vec<String>,
    #[serde(default)]
    recipient: String,
}

/// The stored form of a national identifier: only its type, country and
/// masked form are read (the ciphertext stays where it is).
#[derive(Debug, Deserialize)]
struct SealedNationalId {
    #[serde(rename = "type")]
    kind: i64,
    issuing_country: String,
    masked: String,
}

#[derive(Debug, Deserialize)]
struct CustomerRecord {
    tenant: String,
    id: String,
    kind: i64,
    display_name: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    postal_addresses: Vec<PostalAddress>,
    #[serde(default)]
    national_ids: Vec<SealedNationalId>,
    #[serde(default)]
    preferred_language: String,
    #[serde(default = "one")]
    status: i64,
    #[serde(default)]
    close_reason: String,
    #[serde(default)]
    create_us: i64,
    #[serde(default)]
    update_us: i64,
    #[serde(default)]
    close_us: i64,
    #[serde(default)]
    version: String,
}

/// `crs.v1.CardBrand` numbers by the brand names the vault stores.
pub(crate) fn brand_number(brand: &str) -> Result<i64> {
    Ok(match brand {
        "" | "UNSPECIFIED" => 0,
        "VISA" => 1,
        "MASTERCARD" => 2,
        "AMEX" => 3,
        "DISCOVER" => 4,
        "JCB" => 5,
        "DINERS" => 6,
        "UNIONPAY" => 7,
        "MAESTRO" => 8,
        "MIR" => 9,
        "UNKNOWN" => 10,
        _ => {
            return Err(CoreError::InvalidArgument(
                "stored card has an unknown brand",
            ));
        }
    })
}

pub(crate) fn parse<'a, T: Deserialize<'a>>(data: &'a [u8], what: &'static str) -> Result<T> {
    // serde_json's messages may quote the input: only the record kind is kept.
    serde_json::from_slice(data).map_err(|_| CoreError::InvalidArgument(what))
}

pub(crate) fn name(tenant: &str, collection: &str, id: &str) -> String {
    format!("tenants/{tenant}/{collection}/{id}")
}

/// A `google.protobuf.Timestamp` field from microseconds since the epoch
/// (absent for 0, as `convert.ts`).
pub(crate) fn timestamp(out: &mut Writer, field: u32, us: i64) {
    if us == 0 {
        return;
    }
    let mut t = Writer::new();
    t.int(1, us.div_euclid(1_000_000));
    t.int(2, us.rem_euclid(1_000_000) * 1000);
    out.message(field, &t);
}

/// A `google.type.Date` field from `YYYY-MM-DD` (absent for "", as
/// `convert.date_out`).
fn date(out: &mut Writer, field: u32, iso: &str) -> Result<()> {
    if iso.is_empty() {
        return Ok(());
    }
    let bad = || CoreError::InvalidArgument("stored date is not YYYY-MM-DD");
    let mut parts = iso.split('-').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let mut w = Writer::new();
    w.int(1, y?);
    w.int(2, m?);
    w.int(3, d?);
    out.message(field, &w);
    Ok(())
}

fn card_message(r: &CardRecord) -> Result<Writer> {
    let mut w = Writer::new();
    w.string(1, &name(&r.tenant, "cards", &r.id));
    w.string(2, &name(&r.tenant, "accounts", &r.account_id));
    w.string(3, &name(&r.tenant, "customers", &r.customer_id));
    w.string(4, &r.token);
    w.string(5, &r.bin);
    w.string(6, &r.last4);
    w.int(7, brand_number(&r.brand)?);
    w.string(8, &r.fingerprint);
    w.int(9, r.expiry_month);
    w.int(10, r.expiry_year);
    w.string(11, &r.cardholder_name);
    w.int(12, r.state);
    w.string(13, &r.state_reason);
    w.string(14, &r.version);
    timestamp(&mut w, 15, r.create_us);
    timestamp(&mut w, 16, r.update_us);
    Ok(w)
}

fn account_message(r: &AccountRecord) -> Result<Writer> {
    let mut w = Writer::new();
    w.string(1, &name(&r.tenant, "accounts", &r.id));
    w.string(2, &name(&r.tenant, "customers", &r.customer_id));
    w.int(3, r.kind);
    w.string(4, &r.currency_code);
    w.int(5, r.status);
    w.string(6, &r.display_name);
    date(&mut w, 7, &r.open_date)?;
    date(&mut w, 8, &r.close_date)?;
    w.string(9, &r.version);
    timestamp(&mut w, 10, r.create_us);
    timestamp(&mut w, 11, r.update_us);
    Ok(w)
}

fn address_message(a: &PostalAddress) -> Writer {
    let mut w = Writer::new();
    w.string(1, &a.region_code);
    w.string(2, &a.postal_code);
    w.string(3, &a.administrative_area);
    w.string(4, &a.locality);
    for line in &a.address_lines {
        w.repeated_string(5, line);
    }
    w.string(6, &a.recipient);
    w
}

fn customer_message(r: &CustomerRecord) -> Result<Writer> {
    let mut w = Writer::new();
    w.string(1, &name(&r.tenant, "customers", &r.id));
    w.int(2, r.kind);
    w.string(3, &r.display_name);
    w.string(4, &r.legal_name);
    date(&mut w, 5, &r.date_of_birth)?;
    for email in &r.emails {
        w.repeated_string(6, email);
    }
    for phone in &r.phones {
        w.repeated_string(7, phone);
    }
    for address in &r.postal_addresses {
        w.message(8, &address_message(address));
    }
    for n in &r.national_ids {
        let mut id = Writer::new();
        id.int(1, n.kind);
        id.string(2, &n.masked);
        id.string(3, &n.issuing_country);
        id.boolean(4, true);
        w.message(9, &id);
    }
    w.int(10, r.status);
    w.string(11, &r.version);
    timestamp(&mut w, 12, r.create_us);
    timestamp(&mut w, 13, r.update_us);
    timestamp(&mut w, 14, r.close_us);
    w.string(15, &r.close_reason);
    w.string(16, &r.preferred_language);
    Ok(w)
}

/// The encoded `LookupCardResponse` for a card record, its account record (if
/// any) and the owning customers' records, in that order.
pub fn lookup_card_response(
    card: &[u8],
    account: Option<&[u8]>,
    owners: &[&[u8]],
) -> Result<Vec<u8>> {
    let mut out = Writer::new();
    let card: CardRecord = parse(card, "stored card record is not valid")?;
    out.message(1, &card_message(&card)?);
    if let Some(account) = account {
        let account: AccountRecord = parse(account, "stored account record is not valid")?;
        out.message(2, &account_message(&account)?);
    }
    for owner in owners {
        let customer: CustomerRecord = parse(owner, "stored customer record is not valid")?;
        out.message(3, &customer_message(&customer)?);
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &[u8] = br#"{"tenant":"t","id":"k","account_id":"a","customer_id":"c","token":"4999998189010007","fingerprint":"ab","bin":"499999","last4":"0007","brand":"VISA","expiry_month":1,"expiry_year":2030,"cardholder_name":"","state":1,"state_reason":"","create_us":1000001,"update_us":0,"version":"v"}"#;

    #[test]
    fn card_only() {
        let bytes = lookup_card_response(CARD, None, &[]).unwrap();
        assert_eq!(bytes[0], 0x0a); // field 1, length-delimited
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("tenants/t/cards/k"));
        assert!(text.contains("tenants/t/accounts/a"));
        // create_time: seconds 1, nanos 1000
        let ts = [0x7a, 0x05, 0x08, 0x01, 0x10, 0xe8, 0x07];
        assert!(bytes.windows(ts.len()).any(|w| w == ts));
    }

    #[test]
    fn negative_times_floor_like_python_divmod() {
        let mut w = Writer::new();
        timestamp(&mut w, 1, -1);
        // seconds -1 (10-byte varint), nanos 999_999_000
        assert_eq!(w.as_bytes()[2], 0x08);
        assert_eq!(
            w.as_bytes()[3..13],
            [0xff; 9].iter().copied().chain([0x01]).collect::<Vec<u8>>()[..]
        );
    }

    #[test]
    fn bad_records_are_errors_without_their_content() {
        let err = lookup_card_response(b"{\"tenant\":\"4111111111111111\"", None, &[]).unwrap_err();
        assert_eq!(err.to_string(), "stored card record is not valid");
        let unknown = String::from_utf8(CARD.to_vec())
            .unwrap()
            .replace("VISA", "NOPE");
        assert!(lookup_card_response(unknown.as_bytes(), None, &[]).is_err());
        let mut w = Writer::new();
        assert!(date(&mut w, 1, "2024-01").is_err());
        assert!(date(&mut w, 1, "2024-01-01-01").is_err());
        assert!(date(&mut w, 1, "x-01-01").is_err());
    }
}
