//! The server under test: started fresh, asked over plain HTTP, and its admin commands run on
//! the same data.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Error;
use crate::usage::rss_of;

/// The server under test, and how to run its admin commands on the same data.
pub struct Server {
    pub child: Child,
    pub port: u16,
    env: Vec<(String, String)>,
    bin: String,
    pub dir: std::path::PathBuf,
}

impl Server {
    pub fn start(bin: &str, database_url: Option<&str>, file_mib: u64) -> Result<Self, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!("spreekuur-load-{}", uuid::Uuid::new_v4()));
        let mut env = vec![
            ("SPREEKUUR_LISTEN".to_string(), format!("127.0.0.1:{port}")),
            ("SPREEKUUR_DATA_DIR".into(), dir.display().to_string()),
            ("SPREEKUUR_LOG_LEVEL".into(), "warn".into()),
            (
                "SPREEKUUR_MAX_FILE_MIB".into(),
                (file_mib + 1).max(100).to_string(),
            ),
        ];
        if let Some(url) = database_url {
            env.push(("SPREEKUUR_DATABASE_URL".into(), url.into()));
        }
        let server = Self {
            child: Command::new(bin)
                .arg("serve")
                .envs(env.iter().cloned())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()?,
            port,
            env,
            bin: bin.into(),
            dir,
        };
        Ok(server)
    }

    pub fn admin(&self, args: &[&str]) -> Result<String, Error> {
        let out = Command::new(&self.bin)
            .arg("admin")
            .args(args)
            .envs(self.env.iter().cloned())
            .output()?;
        if !out.status.success() {
            return Err(format!("admin {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_string())
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> Result<u64, Error> {
        rss_of(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A plain HTTP/1.1 request (the API needs nothing more); returns status and body.
pub async fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, String), Error> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_string()))
}

pub async fn ready(port: u16) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/readyz", None, None).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("server did not become ready".into())
}
