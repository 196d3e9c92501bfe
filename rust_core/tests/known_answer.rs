//! Known-answer tests for the AEAD and MAC primitives, using the published
//! vectors stored in `<repo>/tests/vectors/*.json` (each file names its
//! source).

use std::path::PathBuf;

use _core::aead;
use _core::mac;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("vectors")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {name}: {e}"));
    assert!(
        doc["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{name} must name its source"
    );
    doc
}

fn hex(v: &Value, field: &str) -> Vec<u8> {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("missing hex field {field}"));
    assert!(s.len().is_multiple_of(2), "odd-length hex in {field}");
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .unwrap_or_else(|e| panic!("bad hex in {field}: {e}"))
        })
        .collect()
}

fn tests(doc: &Value) -> &Vec<Value> {
    doc["tests"].as_array().expect("tests array")
}

#[test]
fn aes_256_gcm_vectors() {
    let doc = load("aes_gcm_256.json");
    let cases = tests(&doc);
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let key: [u8; 32] = hex(case, "key").try_into().expect("32-byte key");
        let iv: [u8; 12] = hex(case, "iv").try_into().expect("12-byte IV");
        let aad = hex(case, "aad");
        let pt = hex(case, "plaintext");
        let ct = hex(case, "ciphertext");
        let tag = hex(case, "tag");

        let sealed = aead::seal_with_nonce(&key, &iv, &aad, &pt).expect("seal");
        let expected: Vec<u8> = [&iv[..], &ct, &tag].concat();
        assert_eq!(mac::to_hex(&sealed), mac::to_hex(&expected), "{name}: seal");

        let opened =
            aead::open(&key, &aad, &expected).unwrap_or_else(|e| panic!("{name}: open: {e}"));
        assert_eq!(opened, pt, "{name}: open");

        let mut tampered = expected.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x01;
        assert!(
            aead::open(&key, &aad, &tampered).is_err(),
            "{name}: tampered tag accepted"
        );
        let mut other_aad = aad.clone();
        other_aad.push(0);
        assert!(
            aead::open(&key, &other_aad, &expected).is_err(),
            "{name}: wrong AAD accepted"
        );
    }
}

#[test]
fn hmac_sha256_rfc4231_vectors() {
    let doc = load("hmac_sha256_rfc4231.json");
    let cases = tests(&doc);
    let numbers: Vec<u64> = cases.iter().filter_map(|c| c["case"].as_u64()).collect();
    assert_eq!(numbers, (1..=7).collect::<Vec<u64>>(), "RFC 4231 cases 1-7");
    for case in cases {
        let n = case["case"].as_u64().unwrap_or(0);
        let key = hex(case, "key");
        let data = hex(case, "data");
        let expected = hex(case, "mac");
        let full = mac::hmac_sha256(&key, &data).expect("hmac");
        let bytes = case["truncate_bits"]
            .as_u64()
            .map_or(full.len(), |bits| usize::try_from(bits / 8).expect("small"));
        assert_eq!(expected.len(), bytes, "case {n}: vector length");
        assert_eq!(
            mac::to_hex(&full[..bytes]),
            mac::to_hex(&expected),
            "case {n}"
        );
        if bytes == full.len() {
            assert!(
                mac::verify_hmac_sha256(&key, &data, &expected).expect("verify"),
                "case {n}"
            );
        }
    }
}
