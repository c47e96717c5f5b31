//! Our relay, started through one adapter's public library API, in this process (on its
//! own thread and runtime) or as a separate process (this test binary re-executed).
//!
//! The tests themselves are plain blocking code: peers are processes, our own clients use
//! blocking sockets (`crate::client`). Only the server runs on an async runtime, so one
//! test body covers every adapter.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rtmp_proto::relay::{Counters, RelayConfig};

/// The async runtime adapters under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    Tokio,
    Smol,
}

impl Adapter {
    pub fn name(self) -> &'static str {
        match self {
            Adapter::Tokio => "tokio",
            Adapter::Smol => "smol",
        }
    }

    pub fn from_name(name: &str) -> Option<Adapter> {
        match name {
            "tokio" => Some(Adapter::Tokio),
            "smol" => Some(Adapter::Smol),
            _ => None,
        }
    }
}

/// What the tests vary in the server's settings.
#[derive(Debug, Clone, Default)]
pub struct ServerOpts {
    pub relay: RelayConfig,
    /// `--record`: every published stream goes to `dir/<app>/<stream>-<n>.flv`.
    pub record_dir: Option<PathBuf>,
    /// `--merge-ms`: players' output held up to this long for merged writes.
    pub write_merge: Duration,
    /// `--tls-listen` with these certificates: an RTMPS listener beside the plain one.
    pub tls: Option<crate::tls::TestCerts>,
    /// `--http-listen`: the HTTP side (HTTP-FLV, metrics, stream API) on a free port.
    pub http: bool,
    /// The relay example's command line (without the program name), as a user types it:
    /// when set, the server is built from these flags alone (`cli::RelayArgs`, the code
    /// the `relay` examples run) and the other fields are ignored. Give `--listen`
    /// (`127.0.0.1:0` for a free port).
    pub args: Vec<String>,
    /// `on_event`: the server's lifecycle events go to this callback.
    pub on_event: Option<EventSink>,
}

impl ServerOpts {
    /// A server built from the relay example's flags (see [`ServerOpts::args`]).
    pub fn flags<S: AsRef<str>>(args: &[S]) -> Self {
        ServerOpts {
            args: args.iter().map(|a| a.as_ref().to_owned()).collect(),
            ..ServerOpts::default()
        }
    }
}

/// The relay example's command line.
#[derive(Debug, clap::Parser)]
struct RelayCli {
    #[command(flatten)]
    relay: rtmp_driver::cli::RelayArgs,
}

/// A builder from `opts`: the relay example's flags when given, else the test's settings.
fn builder<R: rtmp_driver::runtime::Runtime + Default>(
    opts: ServerOpts,
    tls: Option<rtmp_tokio::driver::io::tls::TlsAcceptor>,
) -> rtmp_driver::server::ServerBuilder<R> {
    use clap::Parser;
    let on_event = opts.on_event.clone();
    let with_events = |b: rtmp_driver::server::ServerBuilder<R>| match on_event {
        Some(sink) => b.on_event(move |e| (sink.0)(e)),
        None => b,
    };
    if !opts.args.is_empty() {
        let cli = RelayCli::try_parse_from(std::iter::once("relay".to_owned()).chain(opts.args))
            .unwrap_or_else(|e| panic!("relay flags: {e}"));
        let b = cli.relay.builder::<R>().expect("relay flags");
        return with_events(b.shutdown_grace(Duration::from_secs(2)));
    }
    let mut b = rtmp_driver::server::Server::<R>::builder()
        .listen(local())
        .relay_config(opts.relay)
        .write_merge(opts.write_merge)
        .shutdown_grace(Duration::from_secs(2));
    if let Some(a) = tls {
        b = b.tls_listen(local(), a);
    }
    if let Some(dir) = opts.record_dir {
        b = b.record_dir(dir);
    }
    if opts.http {
        b = b.http_listen(local());
    }
    with_events(b)
}

/// A lifecycle event callback for [`ServerOpts::on_event`] (shown as a name only).
#[derive(Clone)]
pub struct EventSink(pub std::sync::Arc<dyn Fn(rtmp_tokio::Event) + Send + Sync>);

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSink")
    }
}

type StatsFn = Box<dyn Fn() -> Counters + Send + Sync>;
type StopFn = Box<dyn FnOnce() + Send>;

/// A relay serving on `127.0.0.1:<free port>` in this process. Dropping it shuts the
/// server down and waits (bounded) for its thread.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The RTMPS listener's address, with [`ServerOpts::tls`].
    pub tls_addr: Option<SocketAddr>,
    /// The HTTP side's address, with [`ServerOpts::http`].
    pub http_addr: Option<SocketAddr>,
    /// The server's handle: streams published or subscribed from the test's own code.
    pub handle: rtmp_tokio::driver::server::ServerHandle,
    stats: StatsFn,
    stop: Option<StopFn>,
    thread: Option<JoinHandle<()>>,
    done: mpsc::Receiver<()>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The relay's counters (`ServerHandle::stats`).
    pub fn stats(&self) -> Counters {
        (self.stats)()
    }

    /// Waits (10 s at most) until `n` players play or wait for a stream.
    pub fn wait_players(&self, n: u64) {
        crate::wait_until(
            &format!("{n} players on the relay"),
            Duration::from_secs(10),
            || self.stats().players == n,
        );
    }

    /// `rtmp://<addr>/live/<stream>`.
    pub fn url(&self, stream: &str) -> String {
        format!("rtmp://{}/live/{stream}", self.addr)
    }

    /// `rtmps://127.0.0.1:<TLS port>/live/<stream>` (a name of the test certificate).
    pub fn tls_url(&self, stream: &str) -> String {
        let addr = self
            .tls_addr
            .expect("a server started with ServerOpts::tls");
        format!("rtmps://127.0.0.1:{}/live/{stream}", addr.port())
    }

    /// `http://<HTTP address><path>`.
    pub fn http_url(&self, path: &str) -> String {
        let addr = self
            .http_addr
            .expect("a server started with ServerOpts::http");
        format!("http://{addr}{path}")
    }

    /// Graceful shutdown; panics when the server does not stop within 10 s.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
            let ended = self.done.recv_timeout(Duration::from_secs(10)).is_ok();
            if let Some(t) = self.thread.take()
                && ended
            {
                let _ = t.join();
            }
            assert!(
                ended || std::thread::panicking(),
                "server did not stop within 10 s"
            );
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the relay through `adapter`'s `Server::builder()` on its own thread.
pub fn start(adapter: Adapter, opts: &ServerOpts) -> RunningServer {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    let opts = opts.clone();
    let thread = std::thread::Builder::new()
        .name(format!("relay-{}", adapter.name()))
        .spawn(move || {
            match adapter {
                Adapter::Tokio => tokio_server(opts, ready_tx),
                Adapter::Smol => smol_server(opts, ready_tx),
            }
            let _ = done_tx.send(());
        })
        .expect("spawn server thread");
    let (addr, tls_addr, http_addr, handle, stats, stop) = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server bound within 10 s");
    RunningServer {
        addr,
        tls_addr,
        http_addr,
        handle,
        stats,
        stop: Some(stop),
        thread: Some(thread),
        done,
    }
}

type Ready = mpsc::Sender<(
    SocketAddr,
    Option<SocketAddr>,
    Option<SocketAddr>,
    rtmp_tokio::driver::server::ServerHandle,
    StatsFn,
    StopFn,
)>;

fn acceptor(opts: &ServerOpts) -> Option<rtmp_tokio::driver::io::tls::TlsAcceptor> {
    opts.tls.as_ref().map(|c| {
        rtmp_tokio::driver::io::tls::TlsAcceptor::from_pem_files(&c.cert, &c.key)
            .expect("the test certificate")
    })
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn tokio_server(opts: ServerOpts, ready: Ready) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let tls = acceptor(&opts);
    rt.block_on(async move {
        let b = builder::<rtmp_tokio::Tokio>(opts, tls);
        let server = b.bind().await.expect("bind");
        let handle = server.handle();
        let h2 = handle.clone();
        let _ = ready.send((
            server.local_addr(),
            server.tls_local_addr(),
            server.http_addr(),
            handle.clone(),
            Box::new(move || h2.stats()),
            Box::new(move || handle.shutdown()),
        ));
        server.run().await.expect("server run");
    });
}

/// The smol server on the thread calling `block_on` plus one worker thread: two threads,
/// like the tokio runtime above.
fn smol_server(opts: ServerOpts, ready: Ready) {
    let tls = acceptor(&opts);
    smol::block_on(async move {
        let b = builder::<rtmp_smol::Smol>(opts, tls).worker_threads(1);
        let server = b.bind().await.expect("bind");
        let handle = server.handle();
        let h2 = handle.clone();
        let _ = ready.send((
            server.local_addr(),
            server.tls_local_addr(),
            server.http_addr(),
            handle.clone(),
            Box::new(move || h2.stats()),
            Box::new(move || handle.shutdown()),
        ));
        server.run().await.expect("server run");
    });
}

/// Environment variables of a server process (see [`serve_if_child`]).
const ENV_ADAPTER: &str = "RTMP_INTEROP_SERVER";
const ENV_RECORD: &str = "RTMP_INTEROP_RECORD";
/// The relay flags of a server process, one per line.
const ENV_ARGS: &str = "RTMP_INTEROP_ARGS";
/// The line a server process prints once it listens.
const ADDR_LINE: &str = "RTMP_INTEROP_ADDR=";

/// The body of the test function named `entry` in a test binary that re-executes itself
/// to get a server process: when this process was started by [`spawn_server_process`], it
/// serves (printing its address) until killed and never returns; otherwise it returns at
/// once (as a test it then passes trivially).
pub fn serve_if_child() {
    let Ok(name) = std::env::var(ENV_ADAPTER) else {
        return;
    };
    let adapter = Adapter::from_name(&name).expect("known adapter name");
    let opts = ServerOpts {
        record_dir: std::env::var_os(ENV_RECORD).map(PathBuf::from),
        args: std::env::var(ENV_ARGS)
            .map(|a| a.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        ..ServerOpts::default()
    };
    let server = start(adapter, &opts);
    #[allow(clippy::print_stdout)]
    {
        println!("{ADDR_LINE}{}", server.addr);
    }
    // The parent kills this process (that is the point); the sleep only bounds an orphan.
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(3);
}

/// Re-executes this test binary running only the test `entry` (which must call
/// [`serve_if_child`]): a relay in a separate process, using the library API.
pub fn spawn_server_process(
    adapter: Adapter,
    entry: &str,
    opts: &ServerOpts,
) -> (crate::Proc, SocketAddr) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", entry, "--nocapture", "--test-threads=1"])
        .env(ENV_ADAPTER, adapter.name());
    if let Some(dir) = &opts.record_dir {
        cmd.env(ENV_RECORD, dir);
    }
    if !opts.args.is_empty() {
        cmd.env(ENV_ARGS, opts.args.join("\n"));
    }
    let mut proc = crate::Proc::spawn("server process", &mut cmd);
    let line = proc
        .stdout_line_matching(|l| l.contains(ADDR_LINE), Duration::from_secs(10))
        .unwrap_or_else(|| panic!("server process printed no address: {}", proc.stderr()));
    // libtest may print "test <name> ... " on the same line first.
    let addr = line
        .split_once(ADDR_LINE)
        .map(|(_, a)| a.trim())
        .and_then(|a| a.parse().ok())
        .expect("address line");
    (proc, addr)
}
