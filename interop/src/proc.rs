//! Child processes (peers and server processes) that die with the test: killed on drop,
//! every wait bounded, stdout lines and stderr text collected by reader threads.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A child process, killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Proc {
    pub name: String,
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Proc {
    /// Starts `cmd` with stdin closed and stdout/stderr captured.
    pub fn spawn(name: &str, cmd: &mut Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            let lines = stdout.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    lock(&lines).push(line);
                }
            }));
        }
        if let Some(mut err) = child.stderr.take() {
            let text = stderr.clone();
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    lock(&text).push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }));
        }
        Proc {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits for the exit, at most `limit` (panics after that; the drop kills it).
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_wait() {
                self.join_readers();
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "{} still running after {limit:?}; stderr: {}",
                self.name,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit (at most `limit`) and panics with the stderr unless it was a
    /// success.
    pub fn wait_success(&mut self, limit: Duration) {
        let status = self.wait(limit);
        assert!(
            status.success(),
            "{}: {status} {}",
            self.name,
            self.stderr()
        );
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.join_readers();
    }

    fn join_readers(&mut self) {
        // The pipes close when the process (and any child holding them) is gone.
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        lock(&self.stderr).clone()
    }

    /// The stdout lines so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        lock(&self.stdout).clone()
    }

    /// Waits (at most `limit`) for a stdout line satisfying `pred`.
    pub fn stdout_line_matching(
        &mut self,
        pred: impl Fn(&str) -> bool,
        limit: Duration,
    ) -> Option<String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(l) = lock(&self.stdout).iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            if self.try_wait().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        lock(&self.stdout).iter().find(|l| pred(l)).cloned()
    }

    /// The last `key=value` line of ffmpeg's `-progress pipe:1` output, parsed.
    pub fn last_progress(&self, key: &str) -> Option<u64> {
        let prefix = format!("{key}=");
        lock(&self.stdout)
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 10 ms; panics with `what` when it is still false after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
