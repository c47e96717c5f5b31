//! TLS settings of a server ([`TlsAcceptor`]) and a client ([`TlsConnector`]), with PEM
//! loading whose errors name the file.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The provider every config here is built with (`aws-lc-rs`; see the module docs of
/// [`crate::io::tls`]), named explicitly so no process-wide default has to be installed.
/// Its key exchange offers post-quantum X25519MLKEM768 first, then X25519, P-256, P-384:
/// peers without the hybrid (ffmpeg, librtmp, nginx today) agree on X25519.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A server's TLS settings: its certificate chain and key. Cheap to clone.
#[derive(Clone)]
pub struct TlsAcceptor(Arc<ServerConfig>);

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsAcceptor")
    }
}

impl TlsAcceptor {
    /// Wraps a rustls server config (any provider, versions, ALPN...).
    pub fn new(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor(config)
    }

    /// A certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1), as
    /// PEM text, with TLS 1.2 and 1.3.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> io::Result<Self> {
        Self::build(chain, key, "the certificate", "the key")
    }

    /// [`from_pem`](Self::from_pem) from files; every error names the file at fault.
    pub fn from_pem_files(chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        let (chain, key) = (chain.as_ref(), key.as_ref());
        let (c, k) = (read(chain, "certificate")?, read(key, "key")?);
        Self::build(
            &c,
            &k,
            &chain.display().to_string(),
            &key.display().to_string(),
        )
    }

    fn build(chain: &[u8], key: &[u8], chain_name: &str, key_name: &str) -> io::Result<Self> {
        let certs = certificates(chain, chain_name)?;
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| invalid(format!("{key_name}: no usable private key in PEM ({e})")))?;
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS settings: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| {
                invalid(format!(
                    "{key_name} does not go with the certificate in {chain_name}: {e}"
                ))
            })?;
        // No TLS 1.3 session tickets: RTMP clients do not resume sessions, and librtmp
        // (rtmpdump, OBS's fork) over GnuTLS takes the tickets arriving after the
        // handshake for a failed read and gives up its RTMP handshake.
        config.send_tls13_tickets = 0;
        Ok(TlsAcceptor(Arc::new(config)))
    }

    /// The rustls config.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.0
    }
}

/// A client's TLS settings: which certificate authorities it trusts. Cheap to clone.
///
/// The default trusts the Mozilla root program as shipped in `webpki-roots`, not the
/// platform's store (`rustls-native-certs`): the same roots on every machine, container
/// and CI image (many have no `/etc/ssl` at all), nothing read from disk at dial time,
/// and no OS-specific code. A private CA is given with [`with_ca_pem`](Self::with_ca_pem)
/// (the examples' `--ca FILE.pem`).
#[derive(Clone)]
pub struct TlsConnector(Arc<ClientConfig>);

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl Default for TlsConnector {
    /// The public web's roots (see the type's docs), built once per process.
    fn default() -> Self {
        static ROOTS: OnceLock<TlsConnector> = OnceLock::new();
        ROOTS
            .get_or_init(|| {
                let roots = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                // The provider supports the safe default versions: this cannot fail.
                TlsConnector::with_roots(roots).unwrap_or_else(|e| panic!("{e}"))
            })
            .clone()
    }
}

impl TlsConnector {
    /// Wraps a rustls client config (a custom verifier, client certificates...).
    pub fn new(config: Arc<ClientConfig>) -> Self {
        TlsConnector(config)
    }

    /// Trusts only the certificate authorities in `pem` (one or more certificates).
    pub fn with_ca_pem(pem: &[u8]) -> io::Result<Self> {
        Self::from_cas(pem, "the CA")
    }

    /// [`with_ca_pem`](Self::with_ca_pem) from a file; errors name the file.
    pub fn with_ca_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        Self::from_cas(&read(path, "CA")?, &path.display().to_string())
    }

    fn from_cas(pem: &[u8], name: &str) -> io::Result<Self> {
        let mut roots = RootCertStore::empty();
        for cert in certificates(pem, name)? {
            roots
                .add(cert)
                .map_err(|e| invalid(format!("{name}: unusable CA certificate: {e}")))?;
        }
        Self::with_roots(roots)
    }

    fn with_roots(roots: RootCertStore) -> io::Result<Self> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS settings: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConnector(Arc::new(config)))
    }

    /// The rustls config.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.0
    }
}

fn read(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: cannot read the {what} file: {e}", path.display()),
        )
    })
}

fn certificates(pem: &[u8], name: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{name}: bad PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!("{name}: no PEM certificate in it")));
    }
    Ok(certs)
}

fn invalid(text: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair};

    fn self_signed() -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn pem_errors_name_the_file_at_fault() {
        let dir = std::env::temp_dir().join(format!("rtmp-tls-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = self_signed();
        let (_, other_key) = self_signed();
        let cert = write(&dir, "cert.pem", &cert);
        let key = write(&dir, "key.pem", &key);
        let other = write(&dir, "other-key.pem", &other_key);
        let empty = write(&dir, "empty.pem", "");
        let missing = dir.join("missing.pem");
        assert!(TlsAcceptor::from_pem_files(&cert, &key).is_ok());
        let cases = [
            (
                TlsAcceptor::from_pem_files(&missing, &key),
                "missing.pem: cannot read",
            ),
            (
                TlsAcceptor::from_pem_files(&cert, &missing),
                "missing.pem: cannot read",
            ),
            (
                TlsAcceptor::from_pem_files(&empty, &key),
                "empty.pem: no PEM certificate",
            ),
            (
                TlsAcceptor::from_pem_files(&cert, &empty),
                "empty.pem: no usable private key",
            ),
            (
                TlsAcceptor::from_pem_files(&cert, &other),
                "other-key.pem does not go with",
            ),
        ];
        for (result, expected) in cases {
            let e = result.expect_err(expected).to_string();
            assert!(e.contains(expected), "{expected:?} in {e:?}");
        }
        let e = TlsConnector::with_ca_file(&missing)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.pem: cannot read the CA file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
