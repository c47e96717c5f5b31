//! Certificates for the RTMPS tests, made by the test: a CA and a server certificate it
//! signed for `localhost` and 127.0.0.1, as PEM files a user would hand to
//! `--tls-cert`, `--tls-key` and `--ca`.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// The PEM files of one test PKI.
#[derive(Debug, Clone)]
pub struct TestCerts {
    /// The CA's certificate (`--ca`).
    pub ca: PathBuf,
    /// The server's certificate chain (`--tls-cert`).
    pub cert: PathBuf,
    /// The server's private key (`--tls-key`).
    pub key: PathBuf,
}

impl TestCerts {
    /// A fresh CA and server certificate, written to a new temp dir.
    pub fn generate(label: &str) -> TestCerts {
        let dir = crate::temp_dir(label);
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("rtmp interop test CA {label}"));
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &ca).expect("server certificate");
        let certs = TestCerts {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&certs.ca, ca.pem()).expect("write ca.pem");
        std::fs::write(&certs.cert, cert.pem()).expect("write cert.pem");
        std::fs::write(&certs.key, key.serialize_pem()).expect("write key.pem");
        certs
    }
}
