//! nginx-rtmp as a real server for our client: a minimal `live` application on a free
//! port, run in the foreground as a child process that dies with the test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Proc, temp_dir, wait_until};

/// Where Debian's libnginx-mod-rtmp puts the module.
pub const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
/// Where Debian's libnginx-mod-stream puts the module (TLS termination in front of
/// nginx-rtmp, the usual way to give it RTMPS).
pub const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// A running nginx-rtmp; killed when dropped.
#[derive(Debug)]
pub struct Nginx {
    _proc: Proc,
    pub port: u16,
    /// The `stream` TLS port in front of nginx-rtmp ([`Nginx::start_tls`]).
    pub tls_port: Option<u16>,
    pub dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Nginx {
    pub fn start(nginx: &Path) -> Nginx {
        Self::start_with(nginx, None, free_port(), "")
    }

    /// nginx-rtmp on `port` (a restart on the port of one stopped before) with more
    /// directives in its `live` application, e.g. `pull rtmp://127.0.0.1:1935/live;`.
    pub fn start_live(nginx: &Path, port: Option<u16>, directives: &str) -> Nginx {
        Self::start_with(nginx, None, port.unwrap_or_else(free_port), directives)
    }

    /// nginx-rtmp behind nginx's `stream` module terminating TLS with `cert` and `key`
    /// (PEM files) on [`tls_port`](Self::tls_port).
    pub fn start_tls(nginx: &Path, cert: &Path, key: &Path) -> Nginx {
        Self::start_with(nginx, Some((cert, key)), free_port(), "")
    }

    fn start_with(nginx: &Path, tls: Option<(&Path, &Path)>, port: u16, directives: &str) -> Nginx {
        let dir = temp_dir("nginx");
        let conf = dir.join("nginx.conf");
        let tls_port = tls.map(|_| free_port());
        let (stream_module, stream) = match (tls, tls_port) {
            (Some((cert, key)), Some(tls_port)) => (
                format!("load_module {STREAM_MODULE};\n"),
                format!(
                    "stream {{ server {{ listen 127.0.0.1:{tls_port} ssl; \
                     ssl_certificate {}; ssl_certificate_key {}; \
                     proxy_pass 127.0.0.1:{port}; }} }}\n",
                    cert.display(),
                    key.display()
                ),
            ),
            _ => (String::new(), String::new()),
        };
        std::fs::write(
            &conf,
            format!(
                "load_module {RTMP_MODULE};\n{stream_module}\
                 daemon off;\nmaster_process off;\nworker_processes 1;\n\
                 pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{ worker_connections 256; }}\n\
                 rtmp {{ server {{ listen 127.0.0.1:{port}; \
                 application live {{ live on; {directives} }} }} }}\n{stream}",
                dir = dir.display()
            ),
        )
        .expect("write nginx.conf");
        let proc = Proc::spawn(
            "nginx",
            Command::new(nginx)
                .arg("-p")
                .arg(&dir)
                .args(["-e", "stderr", "-c"])
                .arg(&conf),
        );
        wait_until("nginx listening", Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && tls_port.is_none_or(|p| TcpStream::connect(("127.0.0.1", p)).is_ok())
        });
        Nginx {
            _proc: proc,
            port,
            tls_port,
            dir,
        }
    }

    pub fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.port)
    }

    /// `rtmps://127.0.0.1:<TLS port>/live/<stream>`, through the `stream` TLS terminator.
    pub fn tls_url(&self, stream: &str) -> String {
        let port = self.tls_port.expect("nginx started with start_tls");
        format!("rtmps://127.0.0.1:{port}/live/{stream}")
    }
}
