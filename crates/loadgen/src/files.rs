//! Files: one large file up through the API and down again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Error;
use crate::client::User;
use crate::server::Server;
use crate::usage::rss_of;

pub struct FileRun {
    pub up: f64,
    pub down: f64,
    pub peak_kib: u64,
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
pub async fn files(server: &Server, user: &User, conv: &str, mib: u64) -> Result<FileRun, Error> {
    let pid = server.child.id();
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Ok(kib) = rss_of(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
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
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    Ok(FileRun {
        up: mib as f64 / up_secs,
        down: mib as f64 / down_secs,
        peak_kib: peak.load(Ordering::Relaxed),
    })
}
