//! TLS for the native CQL reader: a rustls client configuration from PEM bytes.
//!
//! The same settings the Python driver gets (`crs.storage.cql_security`):
//! the CA(s) the nodes' certificates chain to, optionally a client
//! certificate and key (mutual TLS), and whether the node's certificate must
//! name the address the client dials. The driver connects to a node by IP, so
//! with name checking on, the node certificate needs that IP as a
//! subjectAltName; with it off, the chain (signature, validity, usage) is
//! still checked against the CA and only the name is not. Error messages say
//! which input is wrong, never what it holds.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::errors::{CoreError, Result};

/// What TLS the reader uses (PEM bytes, read by the caller).
#[derive(Clone)]
pub struct TlsSettings {
    /// PEM certificates of the CA(s) the nodes' certificates chain to.
    pub ca_pem: Vec<u8>,
    /// PEM client certificate chain and its PEM private key, for mutual TLS.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
    /// Whether the node certificate must name the dialled address.
    pub verify_hostname: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("client_certificate", &self.client.is_some())
            .field("verify_hostname", &self.verify_hostname)
            .finish_non_exhaustive()
    }
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Cql(format!("TLS: {what}: {e}"))
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| CoreError::Cql(format!("TLS: {what} is not valid PEM")))?;
    if certs.is_empty() {
        return Err(CoreError::Cql(format!(
            "TLS: {what} holds no PEM certificate"
        )));
    }
    Ok(certs)
}

/// The client configuration for `settings` (aws-lc-rs as the crypto provider, TLS 1.2 and 1.3).
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in certificates(&settings.ca_pem, "tls_ca")? {
        roots
            .add(ca)
            .map_err(|e| tls_error("a tls_ca certificate cannot be used", e))?;
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| tls_error("tls_ca", e))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?;
    let builder = if settings.verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
    };
    let config = match &settings.client {
        Some((cert_pem, key_pem)) => {
            let chain = certificates(cert_pem, "tls_cert")?;
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|_| CoreError::Cql("TLS: tls_key holds no PEM private key".into()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_error("tls_cert and tls_key", e))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Checks the node's certificate chain like the webpki verifier, except its name.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_ca_is_refused_without_echoing_it() {
        let settings = TlsSettings {
            ca_pem: b"not a certificate 4111111111111111".to_vec(),
            client: None,
            verify_hostname: true,
        };
        let err = client_config(&settings).unwrap_err().to_string();
        assert!(err.contains("tls_ca holds no PEM certificate"), "{err}");
        assert!(!err.contains("4111"), "{err}");
    }

    #[test]
    fn a_ca_without_a_usable_key_pair_is_refused() {
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec();
        let settings = TlsSettings {
            ca_pem: broken,
            client: None,
            verify_hostname: false,
        };
        assert!(client_config(&settings).is_err());
    }
}
