//! rustls with one crypto provider (the `ring` or `aws-lc-rs` feature), measured in memory
//! on what RTMPS costs a relay: full TLS 1.3 handshakes (ECDSA P-256, as the test
//! certificates), and the server encrypting a relayed stream (16 KiB writes, the size of a
//! video frame's chunks) that the client decrypts, on one thread, so the figures are CPU.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

fn provider() -> (&'static str, Arc<rustls::crypto::CryptoProvider>) {
    #[cfg(feature = "ring")]
    return ("ring", Arc::new(rustls::crypto::ring::default_provider()));
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    return ("aws-lc-rs", Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
}

fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let (_, provider) = provider();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = CertificateDer::from(cert.der().to_vec());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(der).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Moves what `from` has to send into `to`.
fn pump(from: &mut dyn rustls_io::Conn, to: &mut dyn rustls_io::Conn) {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).unwrap();
        to.process().unwrap();
    }
}

mod rustls_io {
    /// The two connection kinds behind one face.
    pub trait Conn {
        fn wants_write(&self) -> bool;
        fn write_tls(&mut self, out: &mut Vec<u8>) -> std::io::Result<usize>;
        fn read_tls(&mut self, rd: &mut &[u8]) -> std::io::Result<usize>;
        fn process(&mut self) -> Result<(), rustls::Error>;
    }
    macro_rules! conn {
        ($t:ty) => {
            impl Conn for $t {
                fn wants_write(&self) -> bool {
                    rustls::ConnectionCommon::wants_write(self)
                }
                fn write_tls(&mut self, out: &mut Vec<u8>) -> std::io::Result<usize> {
                    rustls::ConnectionCommon::write_tls(self, out)
                }
                fn read_tls(&mut self, rd: &mut &[u8]) -> std::io::Result<usize> {
                    rustls::ConnectionCommon::read_tls(self, rd)
                }
                fn process(&mut self) -> Result<(), rustls::Error> {
                    rustls::ConnectionCommon::process_new_packets(self).map(|_| ())
                }
            }
        };
    }
    conn!(rustls::ServerConnection);
    conn!(rustls::ClientConnection);
}

fn connected(server: &Arc<ServerConfig>, client: &Arc<ClientConfig>) -> (ServerConnection, ClientConnection) {
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let mut c = ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    while c.is_handshaking() || s.is_handshaking() {
        pump(&mut c, &mut s);
        pump(&mut s, &mut c);
    }
    (s, c)
}

fn main() {
    let (name, _) = provider();
    let (server, client) = configs();
    let handshakes = 2000;
    let t = Instant::now();
    for _ in 0..handshakes {
        connected(&server, &client);
    }
    let hs = t.elapsed().as_secs_f64() / handshakes as f64;

    let (mut s, mut c) = connected(&server, &client);
    let chunk = vec![0x5au8; 16 * 1024];
    let total = 512usize << 20;
    let (mut enc, mut dec) = (0f64, 0f64);
    let mut wire = Vec::with_capacity(64 * 1024);
    let mut plain = vec![0u8; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let t = Instant::now();
        s.writer().write_all(&chunk).unwrap();
        wire.clear();
        while s.wants_write() {
            s.write_tls(&mut wire).unwrap();
        }
        enc += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut rd = &wire[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).unwrap();
            c.process_new_packets().unwrap();
        }
        while let Ok(n) = c.reader().read(&mut plain) {
            if n == 0 {
                break;
            }
        }
        dec += t.elapsed().as_secs_f64();
        sent += chunk.len();
    }
    let mb = total as f64 / 1e6;
    let suite = s.negotiated_cipher_suite().map(|x| format!("{:?}", x.suite())).unwrap_or_default();
    println!(
        "{name}: handshake (client + server, TLS 1.3, P-256) {:.0} µs; {suite}: server encrypt {:.2} ms/MB ({:.0} MB/s), client decrypt {:.2} ms/MB",
        hs * 1e6,
        enc * 1e3 / mb,
        mb / enc,
        dec * 1e3 / mb
    );
}
