//! Test support: a real SMTP sink, the binary as a child process, a minimal HTTP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const BIN: &str = env!("CARGO_BIN_EXE_spreekuur");

/// A fresh temporary directory, removed with everything in it when the test is done with it
/// (also when the test fails).
pub fn tmp_dir() -> TmpDir {
    let dir = std::env::temp_dir().join(format!(
        "spreekuur-journey-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TmpDir(dir)
}

pub struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits for `cond` under a generous deadline; no fixed sleeps decide a test.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut cond: F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An SMTP server that accepts everything and keeps the raw messages.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<String>>>,
    pub connections: Arc<Mutex<usize>>,
}

impl SmtpSink {
    /// `hang = true`: accepts connections but never answers (a relay that stalls mid-send).
    pub async fn start(hang: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            port,
            messages: Arc::default(),
            connections: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                *s.connections.lock().unwrap() += 1;
                let s = s.clone();
                tokio::spawn(async move {
                    if hang {
                        let _keep = socket;
                        std::future::pending::<()>().await;
                    } else {
                        let _ = s.session(socket).await;
                    }
                });
            }
        });
        sink
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = socket.into_split();
        let mut lines = BufReader::new(r);
        w.write_all(b"220 sink ESMTP\r\n").await?;
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.get(..4).unwrap_or("").to_ascii_uppercase();
            match cmd.as_str() {
                "EHLO" => w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?,
                "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => w.write_all(b"250 ok\r\n").await?,
                "DATA" => {
                    w.write_all(b"354 go ahead\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        lines.read_line(&mut line).await?;
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(
                            line.strip_prefix('.')
                                .filter(|_| line.starts_with(".."))
                                .unwrap_or(&line),
                        );
                    }
                    self.messages.lock().unwrap().push(data);
                    w.write_all(b"250 queued\r\n").await?;
                }
                "QUIT" => {
                    w.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => w.write_all(b"502 no\r\n").await?,
            }
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

/// A tiny HTTP/1.1 GET, enough for health checks.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split(' ').nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with a clean environment (no SPREEKUUR_* from the caller but what we pass).
pub fn command(data_dir: &Path, env: &[(&str, String)]) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SPREEKUUR_DATA_DIR", data_dir)
        .env("SPREEKUUR_LOG_LEVEL", "info");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub fn run(data_dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    command(data_dir, env).args(args).output().unwrap()
}

/// `spreekuur serve` as a child process; returns once `/readyz` answers.
pub async fn serve(data_dir: &Path, env: &[(&str, String)]) -> (Child, u16) {
    let port = free_port();
    let mut all = env.to_vec();
    all.push(("SPREEKUUR_LISTEN", format!("127.0.0.1:{port}")));
    let mut child = command(data_dir, &all)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if matches!(http_get(port, "/readyz"), Some((200, _))) {
            return (child, port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("serve exited with {status}: {err}");
        }
        assert!(Instant::now() < deadline, "serve did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    err
}
