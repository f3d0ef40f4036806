//! What the processes use, read from `/proc`: CPU time (the server's, PostgreSQL's and this
//! generator's) and resident memory.

use crate::Error;
use crate::server::Server;

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
pub struct Cpu {
    server: u64,
    database: u64,
    generator: u64,
}

impl Cpu {
    pub fn now(server: &Server) -> Self {
        Self {
            server: cpu_ticks(&server.child.id().to_string()),
            database: postgres_ticks(),
            generator: cpu_ticks("self"),
        }
    }

    /// Microseconds of CPU per message since `before`, for `messages` messages.
    pub fn per_message(&self, before: &Cpu, messages: u64) -> (f64, f64, f64) {
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

/// Resident memory of process `pid`, in KiB.
pub fn rss_of(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}
