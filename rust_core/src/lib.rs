//! `crs._core`: the card-data core of the Customer Relationship Service.
//!
//! This file holds the Python bindings only: argument conversion, calls into
//! the pure-Rust modules below, result conversion. All logic (and all unit
//! tests) live in those modules; errors cross the boundary through the single
//! `impl From<CoreError> for PyErr` in `errors.rs`.

pub mod aead;
pub mod authorization_response;
pub mod authorization_rules;
pub mod batch;
pub mod cluster_index;
pub mod cql_reader;
pub mod cql_tls;
pub mod errors;
pub mod json_digits;
pub mod keyring;
pub mod lookup_response;
pub mod mac;
pub mod pan;
pub mod rng;
pub mod store_keys;
pub mod store_reader;
pub mod token;
pub mod velocity_windows;
pub mod wire;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::cluster_index::{ClusterIndex, Key};

use crate::errors::{CoreError, exceptions};
use scylla::value::CqlValue;

/// Non-sensitive PAN metadata returned by `validate_pan`.
#[pyclass(module = "crs._core", name = "PanInfo", frozen, get_all)]
pub struct PyPanInfo {
    bin: String,
    last4: String,
    brand: String,
    length: usize,
}

impl From<pan::PanInfo> for PyPanInfo {
    fn from(info: pan::PanInfo) -> Self {
        PyPanInfo {
            bin: info.bin,
            last4: info.last4,
            brand: info.brand.as_str().to_owned(),
            length: info.length,
        }
    }
}

#[pymethods]
impl PyPanInfo {
    fn __repr__(&self) -> String {
        format!(
            "PanInfo(bin='{}', last4='{}', brand='{}', length={})",
            self.bin, self.last4, self.brand, self.length
        )
    }
}

/// A sealed (tokenised, fingerprinted and encrypted) PAN. Holds no plaintext.
#[pyclass(module = "crs._core", name = "SealedPan", frozen, get_all)]
pub struct PySealedPan {
    token: String,
    fingerprint: String,
    key_id: String,
    ciphertext: Py<PyBytes>,
    bin: String,
    last4: String,
    brand: String,
}

impl PySealedPan {
    fn new(py: Python<'_>, sealed: aead::SealedPan) -> Self {
        PySealedPan {
            token: sealed.token,
            fingerprint: sealed.fingerprint,
            key_id: sealed.key_id,
            ciphertext: PyBytes::new(py, &sealed.ciphertext).unbind(),
            bin: sealed.info.bin,
            last4: sealed.info.last4,
            brand: sealed.info.brand.as_str().to_owned(),
        }
    }
}

#[pymethods]
impl PySealedPan {
    fn __repr__(&self) -> String {
        format!(
            "SealedPan(token='{}', brand='{}', key_id='{}')",
            self.token, self.brand, self.key_id
        )
    }
}

/// Element of `KeyRing.seal_pans`: a `SealedPan`, or the rejection reason.
#[derive(IntoPyObject)]
enum SealOutcome {
    Sealed(PySealedPan),
    Invalid(&'static str),
}

/// The service key ring: AES-256-GCM encryption keys plus the index key from
/// which per-tenant HMAC keys are derived.
#[pyclass(module = "crs._core", name = "KeyRing", frozen)]
pub struct PyKeyRing {
    inner: keyring::KeyRing,
}

#[pymethods]
impl PyKeyRing {
    /// Load a key ring from key file JSON text.
    #[staticmethod]
    fn from_json(data: &str) -> PyResult<Self> {
        Ok(PyKeyRing {
            inner: keyring::KeyRing::from_json(data)?,
        })
    }

    /// Load a key ring from a key file.
    #[staticmethod]
    fn from_file(path: PathBuf) -> PyResult<Self> {
        Ok(PyKeyRing {
            inner: keyring::KeyRing::from_file(&path)?,
        })
    }

    /// Load a key ring from the key file JSON held in an environment variable.
    #[staticmethod]
    #[pyo3(signature = (var = "CRS_KEYS"))]
    fn from_env(var: &str) -> PyResult<Self> {
        Ok(PyKeyRing {
            inner: keyring::KeyRing::from_env(var)?,
        })
    }

    /// Write a new key file (mode 0600) with fresh random keys "k1" and "i1";
    /// never overwrites an existing file.
    #[staticmethod]
    fn generate(path: PathBuf) -> PyResult<()> {
        Ok(keyring::KeyRing::generate(&path)?)
    }

    /// Id of the key used for new encryptions.
    #[getter]
    fn active_key_id(&self) -> &str {
        self.inner.active_key_id()
    }

    /// Id of the index (HMAC root) key.
    #[getter]
    fn index_key_id(&self) -> &str {
        self.inner.index_key_id()
    }

    /// Sorted encryption key ids.
    fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids()
    }

    fn __repr__(&self) -> String {
        // Ids match ^[A-Za-z0-9_.-]{1,32}$, so plain quoting is exact.
        let ids: Vec<String> = self
            .inner
            .key_ids()
            .iter()
            .map(|id| format!("'{id}'"))
            .collect();
        format!(
            "KeyRing(active_key_id='{}', key_ids=[{}], index_key_id='{}')",
            self.inner.active_key_id(),
            ids.join(", "),
            self.inner.index_key_id()
        )
    }

    /// Hex HMAC-SHA256 fingerprint of a PAN, scoped to the tenant.
    fn fingerprint_pan(&self, tenant: &str, pan: &str) -> PyResult<String> {
        Ok(mac::fingerprint_pan(&self.inner, tenant, pan)?)
    }

    /// Validate, fingerprint, tokenise and encrypt a PAN.
    fn seal_pan(&self, py: Python<'_>, tenant: &str, pan: &str) -> PyResult<PySealedPan> {
        let sealed = aead::seal_pan(&self.inner, tenant, pan)?;
        Ok(PySealedPan::new(py, sealed))
    }

    /// Batch `seal_pan` (GIL released); invalid PANs yield their reason string.
    fn seal_pans(
        &self,
        py: Python<'_>,
        tenant: &str,
        pans: Vec<String>,
    ) -> PyResult<Vec<SealOutcome>> {
        let results = py.detach(|| batch::seal_pans(&self.inner, tenant, &pans))?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(sealed) => SealOutcome::Sealed(PySealedPan::new(py, sealed)),
                Err(reason) => SealOutcome::Invalid(reason.message()),
            })
            .collect())
    }

    /// Batch `fingerprint_pan` (GIL released); None where the PAN is invalid.
    fn fingerprint_pans(
        &self,
        py: Python<'_>,
        tenant: &str,
        pans: Vec<String>,
    ) -> PyResult<Vec<Option<String>>> {
        let results = py.detach(|| batch::fingerprint_pans(&self.inner, tenant, &pans))?;
        Ok(results.into_iter().map(Result::ok).collect())
    }

    /// Encrypt a PAN under the active key for an existing token.
    fn reseal_pan<'py>(
        &self,
        py: Python<'py>,
        tenant: &str,
        pan: &str,
        token: &str,
    ) -> PyResult<(String, Bound<'py, PyBytes>)> {
        let (key_id, ciphertext) = aead::reseal_pan(&self.inner, tenant, pan, token)?;
        Ok((key_id, PyBytes::new(py, &ciphertext)))
    }

    /// Decrypt a sealed PAN with the named key.
    fn open_pan(
        &self,
        tenant: &str,
        token: &str,
        key_id: &str,
        ciphertext: &[u8],
    ) -> PyResult<String> {
        let pan = aead::open_pan(&self.inner, tenant, token, key_id, ciphertext)?;
        Ok(pan.as_str().to_owned())
    }

    /// Fresh vault token for a PAN (BIN6 + random digits + last4, Luhn-invalid).
    fn new_token(&self, pan: &str) -> PyResult<String> {
        new_token(pan)
    }

    /// Deterministic hex blind index of a normalised value for (tenant, kind).
    fn blind_index(&self, tenant: &str, kind: &str, normalized_value: &str) -> PyResult<String> {
        Ok(mac::blind_index(
            &self.inner,
            tenant,
            kind,
            normalized_value,
        )?)
    }

    /// 32-byte HMAC-SHA256 of data under the key derived for purpose.
    fn mac<'py>(
        &self,
        py: Python<'py>,
        purpose: &str,
        data: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let tag = mac::mac(&self.inner, purpose, data)?;
        Ok(PyBytes::new(py, &tag))
    }

    /// Constant-time check of a tag produced by `mac`.
    fn verify_mac(&self, purpose: &str, data: &[u8], tag: &[u8]) -> PyResult<bool> {
        Ok(mac::verify_mac(&self.inner, purpose, data, tag)?)
    }

    /// Encrypt a text field under the active key; returns (key_id, ciphertext).
    fn encrypt_field<'py>(
        &self,
        py: Python<'py>,
        tenant: &str,
        context: &str,
        plaintext: &str,
    ) -> PyResult<(String, Bound<'py, PyBytes>)> {
        let (key_id, ciphertext) = aead::encrypt_field(&self.inner, tenant, context, plaintext)?;
        Ok((key_id, PyBytes::new(py, &ciphertext)))
    }

    /// Decrypt a field produced by `encrypt_field`.
    fn decrypt_field(
        &self,
        tenant: &str,
        context: &str,
        key_id: &str,
        ciphertext: &[u8],
    ) -> PyResult<String> {
        let text = aead::decrypt_field(&self.inner, tenant, context, key_id, ciphertext)?;
        Ok(text.as_str().to_owned())
    }
}

fn key_arg(bytes: &[u8]) -> PyResult<Key> {
    Ok(cluster_index::key_from_slice(bytes)?)
}

/// Convert an iterable of `(bytes, bytes)` into key pairs (GIL held).
fn key_pairs(pairs: &Bound<'_, PyAny>) -> PyResult<Vec<(Key, Key)>> {
    let mut out = Vec::with_capacity(pairs.len().unwrap_or(0));
    for item in pairs.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| {
            errors::CoreError::InvalidArgument("cluster index pairs must be (bytes, bytes) tuples")
        })?;
        if pair.len() != 2 {
            return Err(errors::CoreError::InvalidArgument(
                "cluster index pairs must be (bytes, bytes) tuples",
            )
            .into());
        }
        let a = pair.get_borrowed_item(0)?;
        let b = pair.get_borrowed_item(1)?;
        let (Ok(a), Ok(b)) = (a.cast::<PyBytes>(), b.cast::<PyBytes>()) else {
            return Err(errors::CoreError::InvalidArgument(
                "cluster index pairs must be (bytes, bytes) tuples",
            )
            .into());
        };
        out.push((key_arg(a.as_bytes())?, key_arg(b.as_bytes())?));
    }
    Ok(out)
}

fn key_list<'py>(py: Python<'py>, keys: &[Key]) -> Vec<Bound<'py, PyBytes>> {
    keys.iter().map(|k| PyBytes::new(py, k)).collect()
}

fn components<'py>(py: Python<'py>, parts: &[Vec<Key>]) -> Vec<Vec<Bound<'py, PyBytes>>> {
    parts.iter().map(|p| key_list(py, p)).collect()
}

/// Incremental connected components over 16-byte keys (customer clusters).
#[pyclass(module = "crs._core", name = "ClusterIndex")]
#[derive(Default)]
pub struct PyClusterIndex {
    inner: ClusterIndex,
}

#[pymethods]
impl PyClusterIndex {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Build from `(a, b)` pairs in one pass (GIL released, parallel).
    #[staticmethod]
    fn build(py: Python<'_>, pairs: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pairs = key_pairs(pairs)?;
        let inner = py.detach(|| ClusterIndex::build(&pairs))?;
        Ok(PyClusterIndex { inner })
    }

    /// Read a snapshot written by `save` (GIL released).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| ClusterIndex::load(&path))?;
        Ok(PyClusterIndex { inner })
    }

    /// Write a snapshot (GIL released).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        Ok(py.detach(|| self.inner.save(&path))?)
    }

    /// Link two keys; True if two components merged.
    fn link(&mut self, a: &[u8], b: &[u8]) -> PyResult<bool> {
        Ok(self.inner.link(&key_arg(a)?, &key_arg(b)?)?)
    }

    /// `link` for each pair (GIL released); the number of merges.
    fn link_many(&mut self, py: Python<'_>, pairs: &Bound<'_, PyAny>) -> PyResult<usize> {
        let pairs = key_pairs(pairs)?;
        let inner = &mut self.inner;
        Ok(py.detach(|| inner.link_many(&pairs))?)
    }

    /// Remove an edge; the resulting components if it split, else [].
    fn unlink<'py>(
        &mut self,
        py: Python<'py>,
        a: &[u8],
        b: &[u8],
    ) -> PyResult<Vec<Vec<Bound<'py, PyBytes>>>> {
        let parts = self.inner.unlink(&key_arg(a)?, &key_arg(b)?);
        Ok(components(py, &parts))
    }

    /// Add an isolated node; True if it was new.
    fn add_node(&mut self, a: &[u8]) -> PyResult<bool> {
        Ok(self.inner.add_node(&key_arg(a)?)?)
    }

    /// Remove a node and its edges; the resulting components if the rest of
    /// its component split, else [].
    fn remove_node<'py>(
        &mut self,
        py: Python<'py>,
        a: &[u8],
    ) -> PyResult<Vec<Vec<Bound<'py, PyBytes>>>> {
        let parts = self.inner.remove_node(&key_arg(a)?);
        Ok(components(py, &parts))
    }

    fn contains(&self, a: &[u8]) -> PyResult<bool> {
        Ok(self.inner.contains(&key_arg(a)?))
    }

    fn __contains__(&self, a: &[u8]) -> PyResult<bool> {
        self.contains(a)
    }

    /// Smallest key of the component, or None.
    fn find<'py>(&self, py: Python<'py>, a: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        Ok(self.inner.find(&key_arg(a)?).map(|k| PyBytes::new(py, &k)))
    }

    fn members<'py>(&self, py: Python<'py>, a: &[u8]) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        Ok(key_list(py, &self.inner.members(&key_arg(a)?)))
    }

    fn component_size(&self, a: &[u8]) -> PyResult<usize> {
        Ok(self.inner.component_size(&key_arg(a)?))
    }

    fn same(&self, a: &[u8], b: &[u8]) -> PyResult<bool> {
        Ok(self.inner.same(&key_arg(a)?, &key_arg(b)?))
    }

    fn path<'py>(
        &self,
        py: Python<'py>,
        a: &[u8],
        b: &[u8],
    ) -> PyResult<Option<Vec<Bound<'py, PyBytes>>>> {
        let path = self.inner.path(&key_arg(a)?, &key_arg(b)?);
        Ok(path.map(|p| key_list(py, &p)))
    }

    fn neighbors<'py>(&self, py: Python<'py>, a: &[u8]) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        Ok(key_list(py, &self.inner.neighbors(&key_arg(a)?)))
    }

    #[getter]
    fn node_count(&self) -> usize {
        self.inner.node_count()
    }

    #[getter]
    fn edge_count(&self) -> usize {
        self.inner.edge_count()
    }

    #[getter]
    fn component_count(&self) -> usize {
        self.inner.component_count()
    }

    /// Release spare capacity left by incremental growth.
    fn shrink_to_fit(&mut self) {
        self.inner.shrink_to_fit();
    }

    /// Heap bytes allocated by the structure (from buffer capacities).
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }

    fn __len__(&self) -> usize {
        self.inner.node_count()
    }

    fn __repr__(&self) -> String {
        format!(
            "ClusterIndex(node_count={}, edge_count={}, component_count={})",
            self.inner.node_count(),
            self.inner.edge_count(),
            self.inner.component_count()
        )
    }
}

/// True if the string is all ASCII digits with a correct Luhn check digit.
#[pyfunction]
fn luhn_valid(digits: &str) -> bool {
    pan::luhn_valid(digits)
}

/// Validate a PAN (ASCII spaces and '-' are ignored) and return its metadata.
#[pyfunction]
fn validate_pan(pan: &str) -> PyResult<PyPanInfo> {
    Ok(PyPanInfo::from(
        pan::validate(pan).map_err(errors::CoreError::from)?,
    ))
}

/// Card brand of a PAN or BIN prefix ("VISA", ..., "UNKNOWN").
#[pyfunction]
fn classify_brand(pan_or_bin: &str) -> &'static str {
    pan::classify_brand(pan_or_bin).as_str()
}

/// True for 12-19 ASCII digits that fail the Luhn check (vault token shape).
#[pyfunction]
fn is_token_shaped(s: &str) -> bool {
    pan::is_token_shaped(s)
}

/// Fresh vault token for a PAN (BIN6 + random digits + last4, Luhn-invalid).
#[pyfunction]
fn new_token(pan: &str) -> PyResult<String> {
    let pan = pan::Pan::parse(pan).map_err(errors::CoreError::from)?;
    Ok(token::generate(&pan)?)
}

/// The encoded `crs.v1.LookupCardResponse` for the stored JSON records of a
/// card, its account (None: no account) and its owning customers, national
/// identifiers masked.
#[pyfunction]
fn lookup_card_response<'py>(
    py: Python<'py>,
    card: &[u8],
    account: Option<&[u8]>,
    owners: Vec<Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owners: Vec<&[u8]> = owners.iter().map(|o| o.as_bytes()).collect();
    let out = lookup_response::lookup_card_response(card, account, &owners)?;
    Ok(PyBytes::new(py, &out))
}

/// Fields 1, 2, 3, 5 and 7 of the encoded `crs.v1.AuthorizationContext` (card,
/// account, owners with their clusters, as-of time, preferred method) from the
/// stored JSON records; `as_of` is (microseconds, UTC year, UTC month).
#[pyfunction]
fn authorization_context_head<'py>(
    py: Python<'py>,
    card: &[u8],
    account: Option<&[u8]>,
    owners: Vec<Bound<'py, PyBytes>>,
    clusters_of: HashMap<String, String>,
    as_of: (i64, i64, i64),
    preferred_method: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let owners: Vec<&[u8]> = owners.iter().map(|o| o.as_bytes()).collect();
    let (us, year, month) = as_of;
    let as_of = authorization_response::AsOf { us, year, month };
    let out = authorization_response::authorization_context_head(
        card,
        account,
        &owners,
        &clusters_of,
        as_of,
        preferred_method,
    )?;
    Ok(PyBytes::new(py, &out))
}

/// One velocity window as Python reads it: (name, count, currency -> (count, amount)).
type PyWindow<'py> = (&'static str, i64, Bound<'py, PyDict>);

/// A cluster's velocity windows from its stored state (None: no row) at
/// `max(at_us, watermark)`: (at_us, watermark_us, late_dropped, duplicates,
/// windows in level order, each currency dict in currency order).
#[pyfunction(name = "velocity_windows")]
fn py_velocity_windows<'py>(
    py: Python<'py>,
    state: Option<&[u8]>,
    at_us: i64,
) -> PyResult<(i64, i64, i64, i64, Vec<PyWindow<'py>>)> {
    let w = velocity_windows::windows(state, at_us)?;
    let windows = w
        .windows
        .into_iter()
        .map(|x| {
            let by_currency = PyDict::new(py);
            for (currency, count, amount) in x.by_currency {
                by_currency.set_item(currency, (count, amount))?;
            }
            Ok((x.name, x.count, by_currency))
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok((
        w.at_us,
        w.watermark_us,
        w.late_dropped,
        w.duplicates,
        windows,
    ))
}

/// A `dict[str, int]` (cluster statistics) as pairs, in the dict's order.
fn int_pairs(d: &Bound<'_, PyDict>) -> PyResult<Vec<(String, i64)>> {
    d.iter()
        .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
        .collect()
}

/// A `dict[str, tuple[int, int]]` (currency -> (count, amount)) as triples,
/// in the dict's order.
fn currency_totals(d: &Bound<'_, PyDict>) -> PyResult<Vec<(String, i64, i64)>> {
    d.iter()
        .map(|(k, v)| {
            let (count, amount): (i64, i64) = v.extract()?;
            Ok((k.extract()?, count, amount))
        })
        .collect()
}

type ClusterArg<'py> = (
    String,
    i64,
    i64,
    i64,
    Bound<'py, PyDict>,
    Vec<(i64, String, String, i64, String)>,
);
type VelocityArg<'py> = (Vec<(String, i64, Bound<'py, PyDict>)>, i64, i64, i64, i64);
type RiskArg<'py> = (i64, Vec<(String, i64, String)>, Option<VelocityArg<'py>>);

/// Fields 4 and 6 of the encoded `crs.v1.AuthorizationContext` (the
/// cardholder's cluster, its risk summary), each when given; see the stub for
/// the tuples' layout.
#[pyfunction]
fn authorization_context_tail<'py>(
    py: Python<'py>,
    cluster: Option<ClusterArg<'py>>,
    risk: Option<RiskArg<'py>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let cluster = cluster
        .map(|(name, version, size, since, stats, flags)| {
            PyResult::Ok(authorization_response::ClusterPart {
                name,
                version,
                size,
                customer_since_us: since,
                stats: int_pairs(&stats)?,
                flags: flags
                    .into_iter()
                    .map(
                        |(kind, masked_value, fingerprint, customer_count, reason)| {
                            authorization_response::Flag {
                                kind,
                                masked_value,
                                fingerprint,
                                customer_count,
                                reason,
                            }
                        },
                    )
                    .collect(),
            })
        })
        .transpose()?;
    let risk = risk
        .map(|(score, signals, velocity)| {
            let velocity = velocity
                .map(
                    |(windows, as_of_us, newest_event_us, late_dropped, duplicates)| {
                        PyResult::Ok(authorization_response::VelocityPart {
                            windows: windows
                                .into_iter()
                                .map(|(name, count, totals)| {
                                    Ok(authorization_response::Window {
                                        name,
                                        count,
                                        totals: currency_totals(&totals)?,
                                    })
                                })
                                .collect::<PyResult<_>>()?,
                            as_of_us,
                            newest_event_us,
                            late_dropped,
                            duplicates,
                        })
                    },
                )
                .transpose()?;
            PyResult::Ok(authorization_response::RiskPart {
                score,
                signals,
                velocity,
            })
        })
        .transpose()?;
    let out = authorization_response::authorization_context_tail(cluster.as_ref(), risk.as_ref())?;
    Ok(PyBytes::new(py, &out))
}

/// One tenant's authorization rules (`authorization_rules.rs`): its risk
/// settings and the data the rules name, given once by the domain.
#[pyclass(module = "crs._core", name = "AuthorizationRules", frozen)]
pub struct PyAuthorizationRules {
    tenant: String,
    inner: authorization_rules::Rules,
}

/// The stored card, account (None: not found) and owners' customer records.
type RecordsArg<'py> = (
    Bound<'py, PyBytes>,
    Option<Bound<'py, PyBytes>>,
    Vec<Bound<'py, PyBytes>>,
);
/// The cardholder's cluster row, its velocity row, the cardholder's profile
/// row and the cluster's profile row, each None when not stored.
type ClusterRowsArg<'py> = (
    Option<Bound<'py, PyBytes>>,
    Option<Bound<'py, PyBytes>>,
    Option<Bound<'py, PyBytes>>,
    Option<Bound<'py, PyBytes>>,
);

fn optional_bytes<'a>(b: &'a Option<Bound<'_, PyBytes>>) -> Option<&'a [u8]> {
    b.as_ref().map(|b| b.as_bytes())
}

#[pymethods]
impl PyAuthorizationRules {
    #[new]
    #[pyo3(signature = (tenant, *, thresholds, scores, eur_rates, card_states, kind_numbers, channels, known_methods))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        tenant: String,
        thresholds: HashMap<String, i64>,
        scores: HashMap<String, i64>,
        eur_rates: HashMap<String, (String, u32)>,
        card_states: HashMap<i64, String>,
        kind_numbers: HashMap<String, i64>,
        channels: HashMap<String, i64>,
        known_methods: std::collections::HashSet<String>,
    ) -> PyResult<Self> {
        let inner = authorization_rules::Rules::new(authorization_rules::Settings {
            thresholds,
            scores,
            eur_rates,
            card_states,
            kind_numbers,
            channels,
            known_methods,
        })?;
        Ok(PyAuthorizationRules { tenant, inner })
    }

    /// The whole encoded `crs.v1.AuthorizationContext` from the rows one
    /// lookup read; `as_of` is (microseconds, UTC year, UTC month). Raises
    /// `CoreError` for what it leaves to the Python path.
    fn authorization_context<'py>(
        &self,
        py: Python<'py>,
        records: RecordsArg<'py>,
        clusters_of: HashMap<String, String>,
        rows: ClusterRowsArg<'py>,
        as_of: (i64, i64, i64),
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (card, account, owners) = records;
        let owners: Vec<&[u8]> = owners.iter().map(|o| o.as_bytes()).collect();
        let (cluster, velocity, own_profile, cluster_profile) = &rows;
        let account = optional_bytes(&account);
        let stored = authorization_response::Rows {
            tenant: &self.tenant,
            card: card.as_bytes(),
            account,
            owners: &owners,
            clusters_of: &clusters_of,
            cluster: optional_bytes(cluster),
            velocity: optional_bytes(velocity),
            own_profile: optional_bytes(own_profile),
            cluster_profile: optional_bytes(cluster_profile),
        };
        let (us, year, month) = as_of;
        let as_of = authorization_response::AsOf { us, year, month };
        let out = authorization_response::authorization_context(&self.inner, &stored, as_of)?;
        Ok(PyBytes::new(py, &out))
    }
}

/// Keyed reads of the embedded store's SQLite file that keep the GIL (see
/// `store_reader.rs`): `get` and `scan` take the SQL text the store built.
/// A keyed read's `(value, version)` as Python sees it.
type Found<'py> = (Bound<'py, PyBytes>, String);
/// A scanned row's `(clustering, value, version)` as Python sees it.
type ScanRow<'py> = (String, Bound<'py, PyBytes>, String);
/// A `get_each_scan`'s answer as Python sees it.
type EachScan<'py> = (Vec<Option<Found<'py>>>, Vec<ScanRow<'py>>);

fn found_py(py: Python<'_>, found: Option<store_reader::Found>) -> Option<Found<'_>> {
    found.map(|(value, version)| (PyBytes::new(py, &value), version))
}

fn scan_row_py(py: Python<'_>, row: store_reader::ScanRow) -> ScanRow<'_> {
    (row.clustering, PyBytes::new(py, &row.value), row.version)
}

/// A `get_each_scan`'s keyed rows and scanned rows as Python sees them.
fn each_scan_py(
    py: Python<'_>,
    found: Vec<Option<store_reader::Found>>,
    rows: Vec<store_reader::ScanRow>,
) -> EachScan<'_> {
    (
        found.into_iter().map(|f| found_py(py, f)).collect(),
        rows.into_iter().map(|r| scan_row_py(py, r)).collect(),
    )
}

/// `key[from..to]` encoded (`store_keys`), or `StoreKey` for a part that is
/// not text or an exact int, or that `store_keys` leaves to Python.
fn encode_parts(key: &Bound<'_, PyTuple>, from: usize, to: usize) -> Result<String, CoreError> {
    let mut writer = store_keys::KeyWriter::new();
    for i in from..to {
        let part = key.get_borrowed_item(i).map_err(|_| CoreError::StoreKey)?;
        let encoded = if let Ok(text) = part.cast::<PyString>() {
            writer.text(text.to_str().map_err(|_| CoreError::StoreKey)?)
        } else if part.is_exact_instance_of::<PyInt>() {
            writer.int(part.extract::<u128>().map_err(|_| CoreError::StoreKey)?)
        } else {
            false
        };
        if !encoded {
            return Err(CoreError::StoreKey);
        }
    }
    Ok(writer.finish())
}

/// The plan of `table` (an object whose `name` is a registered table).
fn table_plan<'t>(
    tables: &'t store_keys::Tables,
    table: &Bound<'_, PyAny>,
) -> Result<&'t store_keys::TablePlan, CoreError> {
    let name = table
        .getattr(intern!(table.py(), "name"))
        .map_err(|_| CoreError::StoreKey)?;
    let name = name.cast::<PyString>().map_err(|_| CoreError::StoreKey)?;
    tables
        .plan(name.to_str().map_err(|_| CoreError::StoreKey)?)
        .ok_or(CoreError::StoreKey)
}

/// The key as a tuple of `parts` parts.
fn key_tuple<'a, 'py>(
    key: &'a Bound<'py, PyAny>,
    parts: usize,
) -> Result<&'a Bound<'py, PyTuple>, CoreError> {
    match key.cast::<PyTuple>() {
        Ok(tuple) if tuple.len() == parts => Ok(tuple),
        _ => Err(CoreError::StoreKey),
    }
}

/// A keyed read of `key` in `table`: (sql, pk, ck).
fn keyed_read<'t>(
    tables: &'t store_keys::Tables,
    table: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
) -> Result<(&'t str, String, String), CoreError> {
    let plan = table_plan(tables, table)?;
    let key = key_tuple(key, plan.key_parts)?;
    let pk = encode_parts(key, 0, plan.partition_parts)?;
    let ck = encode_parts(key, plan.partition_parts, plan.key_parts)?;
    Ok((&plan.get_sql, pk, ck))
}

/// The keyed reads of a list or tuple of `(table, key)` pairs.
fn keyed_reads<'t>(
    tables: &'t store_keys::Tables,
    reads: &Bound<'_, PyAny>,
) -> Result<Vec<(&'t str, String, String)>, CoreError> {
    let items = if let Ok(list) = reads.cast::<PyList>() {
        list.as_sequence().clone()
    } else if let Ok(tuple) = reads.cast::<PyTuple>() {
        tuple.as_sequence().clone()
    } else {
        return Err(CoreError::StoreKey); // an iterator would be spent before the fallback
    };
    let n = items.len().map_err(|_| CoreError::StoreKey)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let item = items.get_item(i).map_err(|_| CoreError::StoreKey)?;
        let pair = key_tuple(&item, 2)?;
        let table = pair.get_borrowed_item(0).map_err(|_| CoreError::StoreKey)?;
        let key = pair.get_borrowed_item(1).map_err(|_| CoreError::StoreKey)?;
        out.push(keyed_read(tables, &table, &key)?);
    }
    Ok(out)
}

fn borrowed<'a>(reads: &'a [(&'a str, String, String)]) -> Vec<(&'a str, &'a str, &'a str)> {
    reads
        .iter()
        .map(|(sql, pk, ck)| (*sql, pk.as_str(), ck.as_str()))
        .collect()
}

/// A table's keyed-read plan as the store registers it: (name, get_sql,
/// scan_sql, partition_parts, key_parts).
type TableArg = (String, String, String, usize, usize);

#[pyclass(module = "crs._core", name = "StoreReader", frozen)]
pub struct PyStoreReader {
    inner: store_reader::StoreReader,
    tables: store_keys::Tables,
}

#[pymethods]
impl PyStoreReader {
    #[new]
    #[pyo3(signature = (path, cache_kib, tables = Vec::new()))]
    fn new(path: PathBuf, cache_kib: u32, tables: Vec<TableArg>) -> PyResult<Self> {
        let plans =
            tables
                .into_iter()
                .map(|(name, get_sql, scan_sql, partition_parts, key_parts)| {
                    let plan = store_keys::TablePlan {
                        get_sql,
                        scan_sql,
                        partition_parts,
                        key_parts,
                    };
                    (name, plan)
                });
        Ok(PyStoreReader {
            inner: store_reader::StoreReader::open(&path, cache_kib)?,
            tables: store_keys::Tables::new(plans),
        })
    }

    /// `get` of `key` in the registered `table`, the key encoded here.
    fn get_key<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        now: f64,
    ) -> PyResult<Option<Found<'py>>> {
        let (sql, pk, ck) = keyed_read(&self.tables, table, key)?;
        Ok(found_py(py, self.inner.get(sql, &pk, &ck, now)?))
    }

    /// `get_each` of `(table, key)` pairs, the keys encoded here.
    fn get_each_keys<'py>(
        &self,
        py: Python<'py>,
        reads: &Bound<'py, PyAny>,
        now: f64,
    ) -> PyResult<Vec<Option<Found<'py>>>> {
        let reads = keyed_reads(&self.tables, reads)?;
        let found = self.inner.get_each(&borrowed(&reads), now)?;
        Ok(found.into_iter().map(|f| found_py(py, f)).collect())
    }

    /// `get_each_scan` of `(table, key)` pairs and the partition `partition`
    /// of `table`, the keys encoded here.
    fn get_each_scan_keys<'py>(
        &self,
        py: Python<'py>,
        reads: &Bound<'py, PyAny>,
        table: &Bound<'py, PyAny>,
        partition: &Bound<'py, PyAny>,
        limit: i64,
        now: f64,
    ) -> PyResult<EachScan<'py>> {
        let reads = keyed_reads(&self.tables, reads)?;
        let plan = table_plan(&self.tables, table)?;
        let pk = encode_parts(
            key_tuple(partition, plan.partition_parts)?,
            0,
            plan.partition_parts,
        )?;
        let (found, rows) =
            self.inner
                .get_each_scan(&borrowed(&reads), (&plan.scan_sql, &pk, limit), now)?;
        Ok(each_scan_py(py, found, rows))
    }

    /// `get_through` of the index row `index_key` of `index` and the row of
    /// `table` it names (key `key_head` + the index value), keys encoded here.
    fn get_through_keys<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
        index_key: &Bound<'py, PyAny>,
        table: &Bound<'py, PyAny>,
        key_head: &Bound<'py, PyAny>,
        now: f64,
    ) -> PyResult<(Option<Found<'py>>, Option<Found<'py>>)> {
        let (index_sql, index_pk, index_ck) = keyed_read(&self.tables, index, index_key)?;
        let plan = table_plan(&self.tables, table)?;
        let n = plan.partition_parts;
        let head = key_tuple(
            key_head,
            plan.key_parts.checked_sub(1).ok_or(CoreError::StoreKey)?,
        )?;
        let in_partition = head.len() < n;
        let (head, other) = if in_partition {
            (encode_parts(head, 0, head.len())?, String::new())
        } else {
            (
                encode_parts(head, n, head.len())?,
                encode_parts(head, 0, n)?,
            )
        };
        let named = store_reader::NamedKey {
            sql: &plan.get_sql,
            head: &head,
            other: &other,
            in_partition,
        };
        let (index, row) =
            self.inner
                .get_through((index_sql, &index_pk, &index_ck), &named, now)?;
        Ok((found_py(py, index), found_py(py, row)))
    }

    /// `(value, version)` of the row `sql` selects for `(pk, ck, now)`, or None.
    fn get<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        pk: &str,
        ck: &str,
        now: f64,
    ) -> PyResult<Option<Found<'py>>> {
        Ok(found_py(py, self.inner.get(sql, pk, ck, now)?))
    }

    /// `get` of each `(sql, pk, ck)` in order, in one read transaction.
    fn get_each<'py>(
        &self,
        py: Python<'py>,
        reads: Vec<(String, String, String)>,
        now: f64,
    ) -> PyResult<Vec<Option<Found<'py>>>> {
        let borrowed: Vec<(&str, &str, &str)> = reads
            .iter()
            .map(|(sql, pk, ck)| (sql.as_str(), pk.as_str(), ck.as_str()))
            .collect();
        let found = self.inner.get_each(&borrowed, now)?;
        Ok(found.into_iter().map(|f| found_py(py, f)).collect())
    }

    /// `get_each` of `reads` and the rows of the scan `(sql, pk, limit)`
    /// (binding pk, now, limit), in one read transaction.
    fn get_each_scan<'py>(
        &self,
        py: Python<'py>,
        reads: Vec<(String, String, String)>,
        scan: (String, String, i64),
        now: f64,
    ) -> PyResult<EachScan<'py>> {
        let borrowed: Vec<(&str, &str, &str)> = reads
            .iter()
            .map(|(sql, pk, ck)| (sql.as_str(), pk.as_str(), ck.as_str()))
            .collect();
        let (sql, pk, limit) = &scan;
        let (found, rows) = self
            .inner
            .get_each_scan(&borrowed, (sql, pk, *limit), now)?;
        Ok(each_scan_py(py, found, rows))
    }

    /// The index row `index` (sql, pk, ck) and the row it names, in one read
    /// transaction: `named` is (sql, head, other, in_partition) of
    /// `store_reader::NamedKey`.
    fn get_through<'py>(
        &self,
        py: Python<'py>,
        index: (String, String, String),
        named: (String, String, String, bool),
        now: f64,
    ) -> PyResult<(Option<Found<'py>>, Option<Found<'py>>)> {
        let (sql, pk, ck) = &index;
        let (named_sql, head, other, in_partition) = &named;
        let named = store_reader::NamedKey {
            sql: named_sql,
            head,
            other,
            in_partition: *in_partition,
        };
        let (index, row) = self.inner.get_through((sql, pk, ck), &named, now)?;
        Ok((found_py(py, index), found_py(py, row)))
    }

    /// `(clustering, value, version)` rows of one partition; `sql` binds
    /// pk, now, then `after` and `before` when given, then `limit`.
    #[pyo3(signature = (sql, pk, now, after, before, limit))]
    #[allow(clippy::too_many_arguments)]
    fn scan<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        pk: &str,
        now: f64,
        after: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> PyResult<Vec<ScanRow<'py>>> {
        let rows = self.inner.scan(sql, pk, now, after, before, limit)?;
        Ok(rows.into_iter().map(|r| scan_row_py(py, r)).collect())
    }

    /// Starts a snapshot: the reads until `end` come from one read
    /// transaction (`store_reader::StoreReader::begin`).
    fn begin(&self) -> PyResult<()> {
        Ok(self.inner.begin()?)
    }

    /// Ends the open snapshot, if any.
    fn end(&self) -> PyResult<()> {
        Ok(self.inner.end()?)
    }

    /// Whether a snapshot is open.
    fn in_snapshot(&self) -> PyResult<bool> {
        Ok(self.inner.in_snapshot()?)
    }

    /// Closes the connection; later reads raise `StoreReadError`.
    fn close(&self) {
        self.inner.close();
    }
}

/// A bound value of a CQL read: the store's key columns are text or int.
#[derive(FromPyObject)]
enum CqlParam {
    Int(i32),
    Text(String),
}

/// One column of a row read from Cassandra, as Python sees it.
#[derive(IntoPyObject)]
enum CqlCell<'py> {
    Text(String),
    Int(i64),
    Bytes(Bound<'py, PyBytes>),
    Bool(bool),
    Null(Option<i32>),
}

/// `None` for a column of a type the store's tables never have.
fn cql_cell<'py>(py: Python<'py>, value: Option<CqlValue>) -> Option<CqlCell<'py>> {
    Some(match value {
        None | Some(CqlValue::Empty) => CqlCell::Null(None),
        Some(CqlValue::Text(s) | CqlValue::Ascii(s)) => CqlCell::Text(s),
        Some(CqlValue::Blob(b)) => CqlCell::Bytes(PyBytes::new(py, &b)),
        Some(CqlValue::Int(i)) => CqlCell::Int(i64::from(i)),
        Some(CqlValue::BigInt(i)) => CqlCell::Int(i),
        Some(CqlValue::Boolean(b)) => CqlCell::Bool(b),
        Some(_) => return None,
    })
}

/// The rows as Python tuples; `None` if a column cannot be converted.
fn cql_rows<'py>(
    py: Python<'py>,
    rows: Vec<scylla::value::Row>,
) -> PyResult<Option<Vec<Bound<'py, PyTuple>>>> {
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(cells) = row
            .columns
            .into_iter()
            .map(|c| cql_cell(py, c))
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(None);
        };
        tuples.push(PyTuple::new(py, cells)?);
    }
    Ok(Some(tuples))
}

/// `(tag, rows, error, retryable)`: rows when the query succeeded, else the error text.
type CqlDone<'py> = (u64, Option<Vec<Bound<'py, PyTuple>>>, Option<String>, bool);

/// Keyed reads of the Cassandra store on a native CQL client (see
/// `cql_reader.rs`): queries run on the reader's own thread without the GIL;
/// the event loop watches `fileno()` and collects finished ones with `take()`.
#[pyclass(module = "crs._core", name = "CqlReader", frozen)]
pub struct PyCqlReader {
    inner: cql_reader::CqlReader,
}

#[pymethods]
impl PyCqlReader {
    #[new]
    #[pyo3(signature = (
        nodes, local_dc, keyspace, request_timeout, speculative_delay, connect_timeout, *,
        username=None, password=None, tls_ca=None, tls_cert=None, tls_key=None, tls_verify_hostname=true
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        nodes: Vec<String>,
        local_dc: String,
        keyspace: String,
        request_timeout: f64,
        speculative_delay: Option<f64>,
        connect_timeout: f64,
        username: Option<String>,
        password: Option<String>,
        tls_ca: Option<Vec<u8>>,
        tls_cert: Option<Vec<u8>>,
        tls_key: Option<Vec<u8>>,
        tls_verify_hostname: bool,
    ) -> PyResult<Self> {
        let credentials = match (username, password) {
            (Some(username), Some(password)) => {
                Some(cql_reader::Credentials { username, password })
            }
            (None, None) => None,
            _ => {
                return Err(CoreError::InvalidArgument("username and password go together").into());
            }
        };
        let client = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(CoreError::InvalidArgument("tls_cert and tls_key go together").into()),
        };
        let tls = match tls_ca {
            Some(ca_pem) => Some(cql_tls::TlsSettings {
                ca_pem,
                client,
                verify_hostname: tls_verify_hostname,
            }),
            None if client.is_some() => {
                return Err(CoreError::InvalidArgument("tls_cert needs tls_ca").into());
            }
            None => None,
        };
        let seconds = |s: f64, what: &'static str| {
            Duration::try_from_secs_f64(s).map_err(|_| CoreError::InvalidArgument(what))
        };
        let config = cql_reader::CqlConfig {
            nodes,
            local_dc,
            keyspace,
            request_timeout: seconds(
                request_timeout,
                "request_timeout must be a positive number of seconds",
            )?,
            speculative_delay: speculative_delay
                .map(|s| seconds(s, "speculative_delay must be a positive number of seconds"))
                .transpose()?,
            connect_timeout: seconds(
                connect_timeout,
                "connect_timeout must be a positive number of seconds",
            )?,
            credentials,
            tls,
        };
        let inner = py.detach(|| cql_reader::CqlReader::connect(&config))?;
        Ok(PyCqlReader { inner })
    }

    /// Prepares a read statement; returns its number for `submit`.
    fn prepare(&self, py: Python<'_>, cql: &str) -> PyResult<usize> {
        Ok(py.detach(|| self.inner.prepare(cql))?)
    }

    /// Starts statement `statement` with `values`; its outcome comes out of `take()` under `tag`.
    fn submit(&self, statement: usize, values: Vec<CqlParam>, tag: u64) -> PyResult<()> {
        let values = values
            .into_iter()
            .map(|v| match v {
                CqlParam::Int(i) => CqlValue::Int(i),
                CqlParam::Text(s) => CqlValue::Text(s),
            })
            .collect();
        Ok(self.inner.submit(statement, values, tag)?)
    }

    /// The descriptor that becomes readable when finished queries are waiting.
    fn fileno(&self) -> i32 {
        self.inner.fileno()
    }

    /// Every finished query not taken yet: `(tag, rows, error, retryable)`. A query whose rows cannot be
    /// converted gets an error of its own: the others taken with it still answer.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Vec<CqlDone<'py>>> {
        let mut out = Vec::new();
        for (tag, outcome) in self.inner.take() {
            out.push(match outcome {
                cql_reader::Outcome::Rows(rows) => match cql_rows(py, rows)? {
                    Some(tuples) => (tag, Some(tuples), None, false),
                    None => (
                        tag,
                        None,
                        Some("a column of a type this reader does not convert".to_owned()),
                        false,
                    ),
                },
                cql_reader::Outcome::Unavailable(msg) => (tag, None, Some(msg), true),
                cql_reader::Outcome::Failed(msg) => (tag, None, Some(msg), false),
            });
        }
        Ok(out)
    }

    /// Stops the session; queries still running never complete. Later calls raise `CqlError`.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }
}

/// Card-data core: PAN validation, vault tokens, AES-256-GCM, HMAC indexes.
/// Whether `data` holds 19 or more ASCII digits in a row (`json_digits`).
#[pyfunction]
fn has_long_digit_run(data: &[u8]) -> bool {
    json_digits::has_digit_run(data, json_digits::LONG_RUN)
}

#[pymodule(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CoreError", py.get_type::<exceptions::CoreError>())?;
    m.add(
        "InvalidPanError",
        py.get_type::<exceptions::InvalidPanError>(),
    )?;
    m.add("KeyRingError", py.get_type::<exceptions::KeyRingError>())?;
    m.add(
        "DecryptionError",
        py.get_type::<exceptions::DecryptionError>(),
    )?;
    m.add("SnapshotError", py.get_type::<exceptions::SnapshotError>())?;
    m.add(
        "StoreReadError",
        py.get_type::<exceptions::StoreReadError>(),
    )?;
    m.add(
        "StoreBusyError",
        py.get_type::<exceptions::StoreBusyError>(),
    )?;
    m.add("StoreKeyError", py.get_type::<exceptions::StoreKeyError>())?;
    m.add("CqlError", py.get_type::<exceptions::CqlError>())?;
    m.add_class::<PyStoreReader>()?;
    m.add_class::<PyAuthorizationRules>()?;
    m.add_class::<PyCqlReader>()?;
    m.add_class::<PyClusterIndex>()?;
    m.add_class::<PyPanInfo>()?;
    m.add_class::<PySealedPan>()?;
    m.add_class::<PyKeyRing>()?;
    m.add_function(wrap_pyfunction!(has_long_digit_run, m)?)?;
    m.add_function(wrap_pyfunction!(luhn_valid, m)?)?;
    m.add_function(wrap_pyfunction!(validate_pan, m)?)?;
    m.add_function(wrap_pyfunction!(classify_brand, m)?)?;
    m.add_function(wrap_pyfunction!(is_token_shaped, m)?)?;
    m.add_function(wrap_pyfunction!(new_token, m)?)?;
    m.add_function(wrap_pyfunction!(lookup_card_response, m)?)?;
    m.add_function(wrap_pyfunction!(authorization_context_head, m)?)?;
    m.add_function(wrap_pyfunction!(authorization_context_tail, m)?)?;
    m.add_function(wrap_pyfunction!(py_velocity_windows, m)?)?;
    Ok(())
}
