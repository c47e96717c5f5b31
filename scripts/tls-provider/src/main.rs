//! rustls with one crypto provider (the `ring` or `aws-lc-rs` feature), measured in memory
//! on what RTMPS costs a relay: full TLS 1.3 handshakes (ECDSA P-256, as the test
//! certificates), and the server encrypting a relayed stream (16 KiB writes, the size of a
//! video frame's chunks) that the client decrypts, on one thread, so the figures are CPU.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};

fn provider() -> (&'static str, Arc<rustls::crypto::CryptoProvider>) {
    // Deprecated from rustls 0.23.48 on for lacking post-quantum key exchange (which
    // aws-lc-rs's default provider offers first): part of what this measures.
    #[cfg(feature = "ring")]
    #[allow(deprecated)]
    return ("ring", Arc::new(rustls::crypto::ring::default_provider()));
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    return (
        "aws-lc-rs",
        Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    );
}

/// The provider, its key exchange limited to X25519 when `x25519` (the groups differ
/// between providers' defaults: aws-lc-rs offers post-quantum X25519MLKEM768 first).
fn configs(x25519: bool) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let (_, mut provider) = provider();
    if x25519 {
        let p = Arc::make_mut(&mut provider);
        #[cfg(feature = "ring")]
        {
            p.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
        }
        #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
        {
            p.kx_groups = vec![rustls::crypto::aws_lc_rs::kx_group::X25519];
        }
    }
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
fn pump(from: &mut Connection, to: &mut Connection) {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).unwrap();
        to.process_new_packets().unwrap();
    }
}

fn connected(
    server: &Arc<ServerConfig>,
    client: &Arc<ClientConfig>,
) -> (ServerConnection, ClientConnection) {
    let mut s = Connection::Server(ServerConnection::new(server.clone()).unwrap());
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = Connection::Client(ClientConnection::new(client.clone(), name).unwrap());
    while c.is_handshaking() || s.is_handshaking() {
        pump(&mut c, &mut s);
        pump(&mut s, &mut c);
    }
    match (s, c) {
        (Connection::Server(s), Connection::Client(c)) => (s, c),
        _ => unreachable!(),
    }
}

fn main() {
    let (name, _) = provider();
    for x25519 in [false, true] {
        run(name, x25519);
    }
}

fn run(name: &str, x25519: bool) {
    let (server, client) = configs(x25519);
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
    let kx = s
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()))
        .unwrap_or_default();
    let suite = s
        .negotiated_cipher_suite()
        .map(|x| format!("{:?}", x.suite()))
        .unwrap_or_default();
    println!(
        "{name}: handshake (client + server, TLS 1.3, P-256 certificate, {kx}) {:.0} µs; {suite}: server encrypt {:.2} ms/MB ({:.0} MB/s), client decrypt {:.2} ms/MB",
        hs * 1e6,
        enc * 1e3 / mb,
        mb / enc,
        dec * 1e3 / mb
    );
}
