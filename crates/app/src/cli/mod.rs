//! The command line: `spreekuur serve`, `spreekuur admin …`, `spreekuur config example`.

pub mod admin;
pub mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Spreekuur: secure communication for Dutch healthcare (chat, video consultations, secure
/// e-mail), self-hosted. Configuration: an optional TOML file and SPREEKUUR_* environment
/// variables; `spreekuur config example` lists every key with its default.
#[derive(Debug, Parser)]
#[command(name = "spreekuur", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (optional; environment variables override it).
    #[arg(long, global = true, env = "SPREEKUUR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server. With no configuration: SQLite, a master key and local files under
    /// ./spreekuur-data, e-mail kept in a Development mailbox, on http://127.0.0.1:8080.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administration from the shell.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff account and print a link to set its password (valid 24 hours). On a new
    /// server, also give --practice-name and --practice-email to create the practice.
    CreateStaff {
        /// E-mail address of the staff member.
        #[arg(long)]
        email: String,
        /// Full name ("Anna de Vries": the first word is the first name).
        #[arg(long)]
        name: String,
        /// admin, provider or assistant.
        #[arg(long, value_parser = ["admin", "provider", "assistant"])]
        role: String,
        /// Name of the practice (only when it does not exist yet).
        #[arg(long)]
        practice_name: Option<String>,
        /// E-mail address of the practice (only when it does not exist yet).
        #[arg(long)]
        practice_email: Option<String>,
    },
    /// Create a personal access token for the JSON API for a staff account and print it (it
    /// is shown once; the server keeps only a keyed hash). For an integration of a practice
    /// system, or a load test.
    CreateToken {
        /// E-mail address or username of the staff account the token acts as.
        #[arg(long)]
        login: String,
        /// What the token is for ("HIS-koppeling").
        #[arg(long)]
        name: String,
        /// Requests per minute; 0 for no limit (default: the server's default, 600).
        #[arg(long)]
        rate_per_minute: Option<i64>,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the audit trail; names the first broken record.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a configuration file with every key, its default and its documentation.
    Example,
}
