//! `spreekuur-load`: a load generator that drives a real `spreekuur serve` through its JSON API
//! and WebSocket, the way clients do. It starts a fresh server (SQLite, or a PostgreSQL database
//! given with `--database-url`), makes staff accounts and tokens with `spreekuur admin`, pairs
//! the accounts in conversations through the API, and reports (see BENCHMARKS.md):
//!
//! * W1: accepted messages per second with 1, 8 and 32 concurrent senders, each sending its next
//!   message when the previous one is acknowledged (acknowledged = committed); with
//!   `--devices N` every account in play keeps N sockets open (a phone, a laptop, …), the
//!   sender sending from one of them and every other one reading what it is sent;
//! * W2: delivery latency at a fixed rate, from the start of the send to the arrival at the other
//!   member's socket: p50, p95, p99, max, and how many never arrived;
//! * W3: server memory (resident set) per idle connected socket, at 1,000 and 5,000 sockets;
//! * Files: one file of `--file-mib` MiB (default 1024) sent through the API and downloaded
//!   again, throughput each way and the server's peak resident memory meanwhile.
//!
//! Usage: `spreekuur-load [--bin target/release/spreekuur] [--database-url postgres://…]
//! [--seconds 10] [--senders 1,8,32] [--devices 1] [--rate 200] [--sockets 1000,5000]
//! [--file-mib 1024] [--only messages|w1|files]`

mod client;
mod files;
mod messages;
mod server;
mod usage;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client::{pair, users};
use crate::files::files;
use crate::messages::{w1, w2, w3};
use crate::server::{Server, ready};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    bin: String,
    database_url: Option<String>,
    seconds: u64,
    rate: u64,
    sockets: Vec<usize>,
    /// W1's levels of concurrent senders.
    senders: Vec<usize>,
    /// W1: the sockets each account in play keeps open (its devices).
    devices: usize,
    /// W1: the two-person conversations the senders share (0: one per sender).
    pairs: usize,
    file_mib: u64,
    /// Run only this part (`messages`: W1, W2 and W3; `w1`; or `files`); empty runs all.
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
        devices: 1,
        pairs: 0,
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
            "--devices" => a.devices = value.parse()?,
            "--pairs" => a.pairs = value.parse()?,
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
    if a.devices == 0 {
        return Err("--devices must be at least 1".into());
    }
    if !["", "messages", "w1", "files"].contains(&a.only.as_str()) {
        return Err(format!("--only {}: messages, w1 or files", a.only).into());
    }
    Ok(a)
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
    if a.only == "files" {
        return Ok(());
    }
    println!(
        "| W1: concurrent senders | sockets | accepted messages/s | delivered to the other sockets/s | CPU per message: server | database | generator |\n|---|---|---|---|---|---|---|"
    );
    // SQLite's log (its WAL file): the largest it grew to during W1.
    let wal = server.dir.join("spreekuur.db-wal");
    let largest_log = Arc::new(AtomicU64::new(0));
    let watch = {
        let (wal, largest) = (wal.clone(), largest_log.clone());
        tokio::spawn(async move {
            loop {
                let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                largest.fetch_max(len, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    for k in levels {
        let r = w1(&server, &users, &convs, k, a.devices, a.pairs, a.seconds).await?;
        let d = if a.database_url.is_some() {
            format!("{:.0} µs", r.cpu_database)
        } else {
            "(in the server)".into()
        };
        println!(
            "| {k} | {} | {:.0} | {:.0} | {:.0} µs | {d} | {:.0} µs |",
            r.sockets, r.rate, r.delivered_rate, r.cpu_server, r.cpu_generator
        );
    }
    watch.abort();
    if a.database_url.is_none() {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "\nSQLite's log during W1: at most {:.1} MiB; {:.1} MiB after it.",
            mib(largest_log.load(Ordering::Relaxed)),
            mib(std::fs::metadata(&wal).map_or(0, |m| m.len()))
        );
    }
    if a.only == "w1" {
        return Ok(());
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
