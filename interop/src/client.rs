//! Our own RTMP client on a blocking socket: `rtmp_proto::session::ClientSession` driven by
//! plain `std::net` reads with timeouts, so it works against any adapter and can simply
//! stop reading (the slow player).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, PublishMode, StatusCode, StreamHandle,
};

/// One blocking client connection.
#[derive(Debug)]
pub struct Client {
    sock: TcpStream,
    session: ClientSession,
    input: BytesMut,
    eof: bool,
}

impl Client {
    /// TCP connect, handshake and `connect(app)`; returns once the server accepted it.
    pub fn connect(addr: SocketAddr, app: &str) -> Client {
        let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("tcp connect");
        sock.set_nodelay(true).expect("nodelay");
        let mut session = ClientSession::new(Arc::new(ClientConfig::default()), Instant::now());
        session
            .connect(ConnectParams::new(app, format!("rtmp://{addr}/{app}")))
            .expect("connect on a fresh session");
        let mut c = Client {
            sock,
            session,
            input: BytesMut::with_capacity(64 * 1024),
            eof: false,
        };
        c.until(Duration::from_secs(10), |e| match e {
            ClientEvent::Connected { .. } => Some(()),
            ClientEvent::ConnectRejected { description, .. } => {
                panic!("connect rejected: {description}")
            }
            _ => None,
        });
        c
    }

    pub fn session(&mut self) -> &mut ClientSession {
        &mut self.session
    }

    /// Writes everything the session queued.
    pub fn flush(&mut self) {
        while let Some(seg) = self.session.poll_transmit() {
            if self.sock.write_all(&seg).is_err() {
                break;
            }
        }
    }

    /// The next event, waiting at most until `deadline`; `None` on timeout or once the
    /// connection is over (after its `Closed` event).
    pub fn next_event(&mut self, deadline: Instant) -> Option<ClientEvent> {
        loop {
            if let Some(e) = self.session.poll_event() {
                return Some(e);
            }
            self.flush();
            let now = Instant::now();
            if self.eof || now >= deadline {
                return None;
            }
            let mut wake = deadline;
            if let Some(t) = self.session.poll_timeout() {
                wake = wake.min(t);
            }
            let wait = wake
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            self.sock.set_read_timeout(Some(wait)).expect("timeout");
            let mut buf = [0u8; 64 * 1024];
            match self.sock.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    self.session.handle_eof(Instant::now());
                }
                Ok(n) => {
                    self.input.extend_from_slice(&buf[..n]);
                    let _ = self.session.handle_input(Instant::now(), &mut self.input);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    self.eof = true;
                    self.session.handle_eof(Instant::now());
                }
            }
            let now = Instant::now();
            if self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
        }
    }

    /// Skips events until `pick` returns something; panics after `limit` or at the end.
    pub fn until<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(&ClientEvent) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let e = self
                .next_event(deadline)
                .unwrap_or_else(|| panic!("no expected event within {limit:?}"));
            if let Some(v) = pick(&e) {
                return v;
            }
            if let ClientEvent::Closed(reason) = e {
                panic!("closed while waiting: {reason:?}");
            }
        }
    }

    /// Plays `name` and returns once the server answered `NetStream.Play.Start` (the
    /// session sends `play` only after the `createStream` answer, so this drives it).
    pub fn play(&mut self, name: &str) -> StreamHandle {
        let h = self.session.play(name).expect("play");
        self.until(Duration::from_secs(10), |e| match e {
            ClientEvent::PlayStarted { handle, .. } if *handle == h => Some(()),
            ClientEvent::StreamFailed { description, .. } => panic!("play failed: {description}"),
            _ => None,
        });
        h
    }

    /// Publishes `name` live and returns the `onStatus` code of the answer
    /// (`NetStream.Publish.Start` or the refusal).
    pub fn try_publish(&mut self, name: &str) -> StatusCode {
        let h = self
            .session
            .publish(name, PublishMode::Live)
            .expect("publish");
        self.flush();
        self.until(Duration::from_secs(10), |e| match e {
            ClientEvent::PublishStarted { handle, .. } if *handle == h => {
                Some(StatusCode::PublishStart)
            }
            ClientEvent::StreamFailed { handle, code, .. } if *handle == h => Some(code.clone()),
            _ => None,
        })
    }

    /// Whether the server has closed the connection: a non-blocking read sees EOF or an
    /// error (unread data is discarded; only for a client that no longer cares).
    pub fn server_closed(&mut self) -> bool {
        if self.eof {
            return true;
        }
        self.sock
            .set_read_timeout(Some(Duration::from_millis(1)))
            .expect("timeout");
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}
