//! A TCP proxy between a client and the relay whose connections the test can cut, for
//! clients that must reconnect: the client dials the proxy, the proxy dials the relay, and
//! [`CutProxy::cut`] shuts down both sockets of every proxied connection at once (each
//! side sees its connection end, as when a link dies). New connections are accepted and
//! proxied as before, so a reconnecting client gets through again.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The proxy; dropping it stops accepting and cuts what is still proxied.
#[derive(Debug)]
pub struct CutProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Both sockets of every proxied connection not cut yet.
    live: Arc<Mutex<Vec<[TcpStream; 2]>>>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl CutProxy {
    /// Listens on `127.0.0.1:<free port>` and proxies every connection to `target`.
    pub fn start(target: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let live = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (live, accepted, stop) = (live.clone(), accepted.clone(), stop.clone());
            std::thread::Builder::new()
                .name("cut-proxy".into())
                .spawn(move || {
                    for client in listener.incoming() {
                        if stop.load(Ordering::Acquire) {
                            break;
                        }
                        let Ok(client) = client else { continue };
                        let Ok(server) =
                            TcpStream::connect_timeout(&target, Duration::from_secs(5))
                        else {
                            continue;
                        };
                        accepted.fetch_add(1, Ordering::AcqRel);
                        proxy(client, server, &live);
                    }
                })
                .expect("spawn proxy thread");
        }
        CutProxy {
            addr,
            live,
            accepted,
            stop,
        }
    }

    /// Connections accepted (and proxied) so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }

    /// Cuts every proxied connection (both sockets shut down); returns how many.
    pub fn cut(&self) -> usize {
        let cut: Vec<[TcpStream; 2]> = std::mem::take(&mut *lock(&self.live));
        for pair in &cut {
            for s in pair {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        cut.len()
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        self.cut();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Pumps both directions on two threads; each ends when its source ends or fails, and
/// then closes the other side for writing.
fn proxy(client: TcpStream, server: TcpStream, live: &Mutex<Vec<[TcpStream; 2]>>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let clones = (
        client.try_clone(),
        server.try_clone(),
        client.try_clone(),
        server.try_clone(),
    );
    let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = clones else {
        return;
    };
    lock(live).push([c3, s3]);
    std::thread::spawn(move || pump(client, server));
    std::thread::spawn(move || pump(s2, c2));
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if buf.get(..n).is_none_or(|b| to.write_all(b).is_err()) {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
