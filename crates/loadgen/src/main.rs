//! `spreekuur-load`: a load generator that drives a real `spreekuur serve` through its JSON API
//! and WebSocket, the way clients do. It starts a fresh server (SQLite, or a PostgreSQL database
//! given with `--database-url`), makes staff accounts and tokens with `spreekuur admin`, pairs
//! the accounts in conversations through the API, and reports (see BENCHMARKS.md):
//!
//! * W1: accepted messages per second with 1, 8 and 32 concurrent senders, each sending its next
//!   message when the previous one is acknowledged (acknowledged = committed);
//! * W2: delivery latency at a fixed rate, from the start of the send to the arrival at the other
//!   member's socket: p50, p95, p99, max, and how many never arrived;
//! * W3: server memory (resident set) per idle connected socket, at 1,000 and 5,000 sockets;
//! * Files: one file of `--file-mib` MiB (default 1024) sent through the API and downloaded
//!   again, throughput each way and the server's peak resident memory meanwhile.
//!
//! Usage: `spreekuur-load [--bin target/release/spreekuur] [--database-url postgres://…]
//! [--seconds 10] [--senders 1,8,32] [--rate 200] [--sockets 1000,5000] [--file-mib 1024]
//! [--only files]`

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

struct Args {
    bin: String,
    database_url: Option<String>,
    seconds: u64,
    rate: u64,
    sockets: Vec<usize>,
    /// W1's levels of concurrent senders.
    senders: Vec<usize>,
    file_mib: u64,
    /// Run only this part (`messages` or `files`); empty runs all.
    only: String,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        bin: "target/release/spreekuur".into(),
        database_url: None,
        seconds: 10,
        rate: 200,
        sockets: vec![1000, 5000],
        senders: vec![1, 8, 32],
        file_mib: 1024,
        only: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bin" => a.bin = value,
            "--database-url" => a.database_url = Some(value),
            "--seconds" => a.seconds = value.parse()?,
            "--rate" => a.rate = value.parse()?,
            "--file-mib" => a.file_mib = value.parse()?,
            "--only" => a.only = value,
            "--sockets" => {
                a.sockets = value.split(',').map(str::parse).collect::<Result<_, _>>()?
            }
            "--senders" => {
                a.senders = value.split(',').map(str::parse).collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

/// The server under test, and how to run its admin commands on the same data.
struct Server {
    child: Child,
    port: u16,
    env: Vec<(String, String)>,
    bin: String,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(bin: &str, database_url: Option<&str>, file_mib: u64) -> Result<Self, Error> {
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

    fn admin(&self, args: &[&str]) -> Result<String, Error> {
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
    fn rss_kib(&self) -> Result<u64, Error> {
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
async fn http(
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

async fn ready(port: u16) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/readyz", None, None).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("server did not become ready".into())
}

/// A socket that has said hello and got `ready`.
async fn connect(port: u16, token: &str) -> Result<Ws, Error> {
    let mut req = format!("ws://127.0.0.1:{port}/ws").into_client_request()?;
    req.headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await?;
    ws.send(Frame::text(json!({"type": "hello"}).to_string()))
        .await?;
    while let Some(frame) = ws.next().await {
        if let Frame::Text(t) = frame? {
            let v: Value = serde_json::from_str(t.as_str())?;
            if v["type"] == "ready" {
                return Ok(ws);
            }
        }
    }
    Err("socket closed before ready".into())
}

struct User {
    token: String,
    id: String,
}

/// `n` staff accounts with unlimited tokens (the first an administrator who creates the
/// practice), made with `spreekuur admin` as an operator would.
async fn users(server: &Server, n: usize) -> Result<Vec<User>, Error> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("user{i}@load.test");
        let name = format!("Load User{i}");
        if i == 0 {
            server.admin(&[
                "create-staff",
                "--email",
                &email,
                "--name",
                &name,
                "--role",
                "admin",
                "--practice-name",
                "Loadtest",
                "--practice-email",
                "praktijk@load.test",
            ])?;
        } else {
            server.admin(&[
                "create-staff",
                "--email",
                &email,
                "--name",
                &name,
                "--role",
                "provider",
            ])?;
        }
        let token = server.admin(&[
            "create-token",
            "--login",
            &email,
            "--name",
            "load",
            "--rate-per-minute",
            "0",
        ])?;
        let (status, body) = http(server.port, "GET", "/api/v1/me", Some(&token), None).await?;
        if status != 200 {
            return Err(format!("/api/v1/me: {status} {body}").into());
        }
        let me: Value = serde_json::from_str(&body)?;
        let id = me["id"].as_str().ok_or("no id")?.to_string();
        out.push(User { token, id });
    }
    Ok(out)
}

/// Opens the conversation of `a` and `b` through the API.
async fn pair(port: u16, a: &User, b: &User) -> Result<String, Error> {
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/conversations",
        Some(&a.token),
        Some(&json!({"member": b.id})),
    )
    .await?;
    if status != 201 {
        return Err(format!("open conversation: {status} {body}").into());
    }
    let v: Value = serde_json::from_str(&body)?;
    Ok(v["id"].as_str().ok_or("no id")?.to_string())
}

/// Reads frames until the socket closes, noting when each message with a client id arrives.
fn drain(
    mut ws: futures_util::stream::SplitStream<Ws>,
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
) {
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            if let Frame::Text(t) = frame
                && let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                && v["type"] == "message"
                && let Some(cid) = v["client_id"].as_str()
                && let Ok(mut map) = arrivals.lock()
            {
                map.entry(cid.to_string()).or_insert_with(Instant::now);
            }
        }
    });
}

/// W1: `senders` pairs; each sender sends its next message when the previous is acknowledged.
async fn w1(
    port: u16,
    users: &[User],
    convs: &[String],
    senders: usize,
    secs: u64,
) -> Result<(f64, u64), Error> {
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    let start = Instant::now();
    for i in 0..senders {
        let receiver = connect(port, &users[2 * i + 1].token).await?;
        drain(receiver.split().1, arrivals.clone());
        let mut ws = connect(port, &users[2 * i].token).await?;
        let conv = convs[i].clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = 0u64;
            let deadline = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < deadline {
                let cid = uuid::Uuid::new_v4().to_string();
                let frame = json!({"type": "send", "conversation": conv, "client_id": cid, "body": "Goedemorgen, hoe gaat het met u vandaag?"});
                if ws.send(Frame::text(frame.to_string())).await.is_err() {
                    break;
                }
                while let Some(Ok(f)) = ws.next().await {
                    if let Frame::Text(t) = f
                        && let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                        && v["client_id"] == cid.as_str()
                    {
                        if v["type"] == "ack" {
                            acked += 1;
                        } else {
                            eprintln!("refused: {v}");
                        }
                        break;
                    }
                }
            }
            let _ = ws.close(None).await;
            acked
        }));
    }
    let mut total = 0u64;
    for t in tasks {
        total += t.await?;
    }
    Ok((
        total as f64 / start.elapsed().as_secs_f64().max(secs as f64),
        total,
    ))
}

struct Latency {
    sent: usize,
    lost: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

/// W2: a fixed total rate over `pairs` conversations; latency from the start of each send to
/// its arrival at the other member's socket.
async fn w2(
    port: u16,
    users: &[User],
    convs: &[String],
    pairs: usize,
    rate: u64,
    secs: u64,
) -> Result<Latency, Error> {
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let sends: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    let per_pair = (rate as f64 / pairs as f64).max(0.1);
    for i in 0..pairs {
        let receiver = connect(port, &users[2 * i + 1].token).await?;
        drain(receiver.split().1, arrivals.clone());
        let (mut tx, rx) = connect(port, &users[2 * i].token).await?.split();
        drain(rx, Arc::new(Mutex::new(HashMap::new())));
        let conv = convs[i].clone();
        let sends = sends.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_pair));
            let deadline = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < deadline {
                tick.tick().await;
                let cid = uuid::Uuid::new_v4().to_string();
                if let Ok(mut s) = sends.lock() {
                    s.insert(cid.clone(), Instant::now());
                }
                let frame = json!({"type": "send", "conversation": conv, "client_id": cid, "body": "Uw uitslag is binnen."});
                if tx.send(Frame::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let sends = sends.lock().map_err(|_| "lock")?.clone();
    let arrivals = arrivals.lock().map_err(|_| "lock")?.clone();
    let mut ms: Vec<f64> = sends
        .iter()
        .filter_map(|(cid, at)| {
            arrivals
                .get(cid)
                .map(|got| got.duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Latency {
        sent: sends.len(),
        lost: sends.len() - ms.len(),
        p50: pct(0.50),
        p95: pct(0.95),
        p99: pct(0.99),
        max: ms.last().copied().unwrap_or(f64::NAN),
    })
}

/// W3: resident memory per idle socket.
async fn w3(server: &Server, users: &[User], n: usize) -> Result<(f64, u64), Error> {
    let before = server.rss_kib()?;
    let mut sockets = Vec::with_capacity(n);
    for i in 0..n {
        sockets.push(connect(server.port, &users[i % users.len()].token).await?);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = server.rss_kib()?;
    for mut s in sockets {
        let _ = s.close(None).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(((after.saturating_sub(before)) as f64 / n as f64, after))
}

struct FileRun {
    up: f64,
    down: f64,
    peak_kib: u64,
}

/// The content of the benchmark's file: a fixed pseudo-random MiB, repeated (so the
/// download can be checked without keeping the file).
fn pattern() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Files: one file of `mib` MiB up through the API and down again, checking every byte, with
/// the server's resident memory sampled every 20 ms meanwhile.
async fn files(server: &Server, user: &User, conv: &str, mib: u64) -> Result<FileRun, Error> {
    let pid = server.child.id();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(kib) = rss_of(pid) {
                    peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let chunk = pattern();
    let total = mib << 20;
    // Up: the body is the file, written a MiB at a time.
    let t0 = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await?;
    stream.set_nodelay(true)?;
    let head = format!(
        "POST /api/v1/conversations/{conv}/files?name=bench.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n",
        user.token
    );
    stream.write_all(head.as_bytes()).await?;
    for _ in 0..mib {
        stream.write_all(&chunk).await?;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let up_secs = t0.elapsed().as_secs_f64();
    let answer = String::from_utf8_lossy(&answer);
    if !answer.starts_with("HTTP/1.1 201") {
        return Err(format!("upload: {}", answer.lines().next().unwrap_or("")).into());
    }
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let v: Value = serde_json::from_str(body)?;
    let file = v["file"]["id"].as_str().ok_or("no file id")?.to_string();
    // Down: read and compare as it streams.
    let t1 = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await?;
    let head = format!(
        "GET /api/v1/files/{file} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        user.token
    );
    stream.write_all(head.as_bytes()).await?;
    let mut buf = vec![0u8; 1 << 18];
    let mut header = Vec::new();
    let mut got: u64 = 0;
    let mut in_body = false;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let mut data = &buf[..n];
        if !in_body {
            header.extend_from_slice(data);
            let Some(end) = header.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            if !header.starts_with(b"HTTP/1.1 200") {
                return Err("download refused".into());
            }
            let body_start = end + 4 - (header.len() - n);
            data = &buf[body_start..n];
            in_body = true;
        }
        for (i, b) in data.iter().enumerate() {
            let at = ((got + i as u64) & ((1 << 20) - 1)) as usize;
            if chunk[at] != *b {
                return Err(format!("download differs at byte {}", got + i as u64).into());
            }
        }
        got += data.len() as u64;
    }
    let down_secs = t1.elapsed().as_secs_f64();
    if got != total {
        return Err(format!("downloaded {got} of {total} bytes").into());
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.await;
    Ok(FileRun {
        up: mib as f64 / up_secs,
        down: mib as f64 / down_secs,
        peak_kib: peak.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// CPU time (user + system) a process has used so far, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15, the 12th and 13th after the name.
    fields
        .get(11)
        .and_then(|u| u.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
}

/// CPU time of every PostgreSQL process on this machine (the database a run may use).
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| cpu_ticks(&pid))
        .sum()
}

/// CPU time used meanwhile by the server, the database (PostgreSQL) and this generator.
struct Cpu {
    server: u64,
    database: u64,
    generator: u64,
}

impl Cpu {
    fn now(server: &Server) -> Self {
        Self {
            server: cpu_ticks(&server.child.id().to_string()),
            database: postgres_ticks(),
            generator: cpu_ticks("self"),
        }
    }

    /// Microseconds of CPU per message since `before`, for `messages` messages.
    fn per_message(&self, before: &Cpu, messages: u64) -> (f64, f64, f64) {
        let us = |after: u64, before: u64| {
            after.saturating_sub(before) as f64 * 10_000.0 / messages.max(1) as f64
        };
        (
            us(self.server, before.server),
            us(self.database, before.database),
            us(self.generator, before.generator),
        )
    }
}

fn rss_of(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

async fn run(a: Args) -> Result<(), Error> {
    let backend = if a.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let server = Server::start(&a.bin, a.database_url.as_deref(), a.file_mib)?;
    ready(server.port).await?;
    let levels = a.senders.clone();
    // W2 uses 16 pairs.
    let n = 2 * levels.iter().copied().max().unwrap_or(1).max(16);
    let t0 = Instant::now();
    let users = users(&server, n).await?;
    let mut convs = Vec::new();
    for i in 0..n / 2 {
        convs.push(pair(server.port, &users[2 * i], &users[2 * i + 1]).await?);
    }
    eprintln!(
        "provisioned {n} accounts and {} conversations in {:.1} s",
        convs.len(),
        t0.elapsed().as_secs_f64()
    );
    println!("## {backend}\n");
    if a.only.is_empty() || a.only == "files" {
        let f = files(&server, &users[0], &convs[0], a.file_mib).await?;
        println!(
            "| Files: one file of {} MiB | up | down | server peak RSS |\n|---|---|---|---|\n| through the API | {:.0} MiB/s | {:.0} MiB/s | {:.1} MiB |\n",
            a.file_mib,
            f.up,
            f.down,
            f.peak_kib as f64 / 1024.0
        );
    }
    if !(a.only.is_empty() || a.only == "messages") {
        return Ok(());
    }
    println!(
        "| W1: concurrent senders | accepted messages/s | CPU per message: server | database | generator |\n|---|---|---|---|---|"
    );
    // SQLite's log (its WAL file): the largest it grew to during W1.
    let wal = server.dir.join("spreekuur.db-wal");
    let largest_log = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watch = {
        let (wal, largest) = (wal.clone(), largest_log.clone());
        tokio::spawn(async move {
            loop {
                let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                largest.fetch_max(len, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    for k in levels {
        let before = Cpu::now(&server);
        let (rate, total) = w1(server.port, &users, &convs, k, a.seconds).await?;
        let (s, d, g) = Cpu::now(&server).per_message(&before, total);
        let d = if a.database_url.is_some() {
            format!("{d:.0} µs")
        } else {
            "(in the server)".into()
        };
        println!("| {k} | {rate:.0} | {s:.0} µs | {d} | {g:.0} µs |");
    }
    watch.abort();
    if a.database_url.is_none() {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "\nSQLite's log during W1: at most {:.1} MiB; {:.1} MiB after it.",
            mib(largest_log.load(std::sync::atomic::Ordering::Relaxed)),
            mib(std::fs::metadata(&wal).map_or(0, |m| m.len()))
        );
    }
    let l = w2(server.port, &users, &convs, 16, a.rate, a.seconds).await?;
    println!(
        "\n| W2: {} msg/s over 16 conversations, {} s | p50 | p95 | p99 | max | lost |\n|---|---|---|---|---|---|\n| {} sent | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
        a.rate, a.seconds, l.sent, l.p50, l.p95, l.p99, l.max, l.lost
    );
    println!("\n| W3: idle sockets | server RSS after | per socket |\n|---|---|---|");
    for s in &a.sockets {
        let (per, rss) = w3(&server, &users, *s).await?;
        println!("| {s} | {:.1} MiB | {:.1} KiB |", rss as f64 / 1024.0, per);
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let parsed = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(parsed)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spreekuur-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
