//! nginx-rtmp as a real server for our client: a minimal `live` application on a free
//! port, run in the foreground as a child process that dies with the test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Proc, temp_dir, wait_until};

/// Where Debian's libnginx-mod-rtmp puts the module.
pub const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/// A running nginx-rtmp; killed when dropped.
#[derive(Debug)]
pub struct Nginx {
    _proc: Proc,
    pub port: u16,
    pub dir: PathBuf,
}

impl Nginx {
    pub fn start(nginx: &Path) -> Nginx {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = temp_dir("nginx");
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "load_module {RTMP_MODULE};\n\
                 daemon off;\nmaster_process off;\nworker_processes 1;\n\
                 pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{ worker_connections 256; }}\n\
                 rtmp {{ server {{ listen 127.0.0.1:{port}; \
                 application live {{ live on; }} }} }}\n",
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
        });
        Nginx {
            _proc: proc,
            port,
            dir,
        }
    }

    pub fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.port)
    }
}
