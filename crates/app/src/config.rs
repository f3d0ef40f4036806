//! Configuration: an optional TOML file (`--config`), then `SPREEKUUR_*` environment variables
//! over it, then the embedded defaults for whatever is still unset. Every key is declared once
//! below with its default and its documentation; `spreekuur config example` prints them and the
//! README lists them (a test checks). An unknown key, in the file or the environment, stops the
//! start with an error naming it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the configuration file {path} is not valid TOML: {reason}")]
    Toml { path: String, reason: String },
    #[error("unknown configuration key {0:?}; `spreekuur config example` lists every key")]
    UnknownKey(String),
    #[error(
        "unknown environment variable {0}; `spreekuur config example` lists every key (as SPREEKUUR_<KEY>)"
    )]
    UnknownEnv(String),
    #[error("configuration key {key}: {reason}")]
    Value { key: String, reason: String },
}

macro_rules! config {
    ($( $(#[doc = $doc:literal])* $key:ident : $ty:ty = $default:expr, $shown:literal; )*) => {
        /// The whole configuration. Paths left empty are derived from `data_dir`.
        #[derive(Debug, Clone)]
        pub struct Config {
            $( $(#[doc = $doc])* pub $key: $ty, )*
        }

        impl Default for Config {
            fn default() -> Self {
                Self { $( $key: $default, )* }
            }
        }

        impl Config {
            /// (key, default as shown, documentation) for every key.
            pub const KEYS: &'static [(&'static str, &'static str, &'static str)] = &[
                $( (stringify!($key), $shown, concat!($($doc, "\n"),*)), )*
            ];

            fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
                match key {
                    $( stringify!($key) => {
                        self.$key = Parse::parse(value).map_err(|reason| ConfigError::Value { key: key.to_string(), reason })?;
                        Ok(())
                    } )*
                    _ => Err(ConfigError::UnknownKey(key.to_string())),
                }
            }
        }
    };
}

trait Parse: Sized {
    fn parse(s: &str) -> Result<Self, String>;
}
impl Parse for String {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(s.to_string())
    }
}
impl Parse for PathBuf {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(PathBuf::from(s))
    }
}
impl Parse for bool {
    fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, got {s:?}")),
        }
    }
}
impl Parse for u64 {
    fn parse(s: &str) -> Result<Self, String> {
        s.trim()
            .parse()
            .map_err(|_| format!("expected a whole number, got {s:?}"))
    }
}
impl Parse for u32 {
    fn parse(s: &str) -> Result<Self, String> {
        s.trim()
            .parse()
            .map_err(|_| format!("expected a whole number, got {s:?}"))
    }
}

config! {
    /// Address and port the web server listens on.
    listen: String = "127.0.0.1:8080".into(), "127.0.0.1:8080";
    /// The address people use to reach the server; links in e-mails start with it. Empty: http://localhost:<port>.
    public_url: String = String::new(), "";
    /// Directory for the SQLite database, the master key and the blob store (created with mode 0700).
    data_dir: PathBuf = PathBuf::from("./spreekuur-data"), "./spreekuur-data";
    /// Database URL: sqlite://… or postgres://… Empty: sqlite://<data_dir>/spreekuur.db.
    database_url: String = String::new(), "";
    /// Most database connections this process opens.
    database_max_connections: u32 = 10, "10";
    /// File holding the master key that wraps the data keys (created with mode 0600). Empty: <data_dir>/master.key.
    master_key_file: PathBuf = PathBuf::new(), "";
    /// Directory of the local blob store (files sent in conversations, encrypted). Empty: <data_dir>/blobs.
    blob_dir: PathBuf = PathBuf::new(), "";
    /// Outgoing mail relay: smtp://[user:pass@]host[:port] (STARTTLS required; add ?tls=none for a local relay without TLS) or smtps://host[:port]. Empty: mail stays in the outbox and the Development mailbox shows it.
    smtp_url: String = String::new(), "";
    /// Sender address of outgoing mail; the display name is the practice's name.
    mail_from: String = "noreply@localhost".into(), "noreply@localhost";
    /// Seconds an outbox item is reserved by the worker that claimed it; after that another may retry it.
    outbox_lease_secs: u64 = 120, "120";
    /// Where text messages (the sms codes of secure e-mails) go: development (nothing is sent; the Development mailbox shows them) or webhook.
    sms_provider: String = "development".into(), "development";
    /// With the webhook provider: the address (https://…) that gets a POST of JSON {id, to, text} per message; 2xx sent, 4xx refused for good, 5xx or no answer within 10 s tried again later.
    sms_webhook_url: String = String::new(), "";
    /// With the webhook provider: the shared secret (at least 16 characters) of the X-Spreekuur-Signature header, sha256= and the hex HMAC-SHA-256 of the body.
    sms_webhook_secret: String = String::new(), "";
    /// PEM certificate chain for HTTPS. With tls_key_file set too, the server speaks TLS itself (rustls); empty: plain HTTP (for a reverse proxy in front).
    tls_cert_file: PathBuf = PathBuf::new(), "";
    /// PEM private key for tls_cert_file.
    tls_key_file: PathBuf = PathBuf::new(), "";
    /// Log format: text or json.
    log_format: String = "text".into(), "text";
    /// Log filter (tracing's env-filter syntax), for example info or spreekuur=debug.
    log_level: String = "info".into(), "info";
    /// Days an invitation link stays valid.
    invitation_valid_days: u64 = 14, "14";
    /// Minutes the setup link printed at first start stays valid.
    setup_link_minutes: u64 = 60, "60";
    /// Hours a browser session lasts.
    session_hours: u64 = 12, "12";
    /// Largest request body accepted, in bytes; larger requests get 413.
    max_body_bytes: u64 = 1_048_576, "1048576";
    /// The largest file a person may send in a conversation, in MiB (uploads stream to the blob store; this is not bound by max_body_bytes).
    max_file_mib: u64 = 100, "100";
    /// At most one e-mail notice of unread messages per person in this many minutes.
    notify_window_minutes: u64 = 15, "15";
    /// Seconds between two looks for people to send a notice of unread messages.
    notify_check_seconds: u64 = 60, "60";
    /// Seconds to let running requests finish after SIGTERM or Ctrl-C.
    shutdown_timeout_secs: u64 = 10, "10";
    /// Address and port for Prometheus's /metrics (requests, latency, sign-in and e-mail activity), apart from the web server: keep it on a private network. Empty: /metrics is not served.
    metrics_listen: String = String::new(), "";
    /// Take the client address (for the audit trail and the per-address throttle) from the last entry of X-Forwarded-For: the one the reverse proxy in front added. Only behind exactly one proxy you run, which appends to the header (HAProxy's `option forwardfor`, nginx's `$proxy_add_x_forwarded_for`); entries before it came from the client and are ignored.
    trust_forwarded_for: bool = false, "false";
}

/// Environment variables that belong to the test harness, not to the server.
const ENV_IGNORED_PREFIXES: &[&str] = &["SPREEKUUR_TEST_"];
/// Environment variables handled by the command line itself.
const ENV_CLI: &[&str] = &["SPREEKUUR_CONFIG"];

impl Config {
    /// Reads the file (if any), then the environment (`SPREEKUUR_<KEY>`).
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut cfg = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            cfg.apply_toml(&text).map_err(|e| match e {
                ConfigError::Toml { reason, .. } => ConfigError::Toml {
                    path: path.display().to_string(),
                    reason,
                },
                other => other,
            })?;
        }
        for (name, value) in env {
            let Some(key) = name.strip_prefix("SPREEKUUR_") else {
                continue;
            };
            if ENV_IGNORED_PREFIXES.iter().any(|p| name.starts_with(p))
                || ENV_CLI.contains(&name.as_str())
            {
                continue;
            }
            cfg.set(&key.to_ascii_lowercase(), &value)
                .map_err(|e| match e {
                    ConfigError::UnknownKey(_) => ConfigError::UnknownEnv(name.clone()),
                    other => other,
                })?;
        }
        Ok(cfg)
    }

    pub fn apply_toml(&mut self, text: &str) -> Result<(), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml {
                path: String::new(),
                reason: e.to_string(),
            })?;
        for (key, value) in table {
            let s = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::Value {
                        key,
                        reason: format!(
                            "expected a string, number or boolean, got {}",
                            other.type_str()
                        ),
                    });
                }
            };
            self.set(&key, &s)?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}/spreekuur.db", self.data_dir.display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn master_key_file(&self) -> PathBuf {
        if self.master_key_file.as_os_str().is_empty() {
            self.data_dir.join("master.key")
        } else {
            self.master_key_file.clone()
        }
    }

    pub fn blob_dir(&self) -> PathBuf {
        if self.blob_dir.as_os_str().is_empty() {
            self.data_dir.join("blobs")
        } else {
            self.blob_dir.clone()
        }
    }

    /// The documented example file (`spreekuur config example`).
    pub fn example() -> String {
        let mut out = String::from(
            "# Spreekuur configuration. Every key is optional; shown with its default.\n# Each key can also be set as an environment variable SPREEKUUR_<KEY> (upper case).\n\n",
        );
        for (key, default, doc) in Self::KEYS {
            for line in doc.lines() {
                out.push_str(&format!("#{line}\n"));
            }
            let quoted =
                default.parse::<u64>().is_err() && *default != "true" && *default != "false";
            if quoted {
                out.push_str(&format!("# {key} = {default:?}\n\n"));
            } else {
                out.push_str(&format!("# {key} = {default}\n\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defaults_make_a_complete_embedded_system() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite://./spreekuur-data/spreekuur.db");
        assert_eq!(
            c.master_key_file(),
            PathBuf::from("./spreekuur-data/master.key")
        );
        assert!(c.smtp_url.is_empty());
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("spreekuur-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ninvitation_valid_days = 7\ntrust_forwarded_for = true\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("SPREEKUUR_LISTEN", "127.0.0.1:1"),
                ("PATH", "/bin"),
                ("SPREEKUUR_TEST_DATABASE_URL", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                c.listen.as_str(),
                c.invitation_valid_days,
                c.trust_forwarded_for
            ),
            ("127.0.0.1:1", 7, true)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_are_named() {
        let mut c = Config::default();
        let e = c.apply_toml("lisen = \"x\"").unwrap_err().to_string();
        assert!(e.contains("\"lisen\""), "{e}");
        let e = Config::load(None, env(&[("SPREEKUUR_SMPT_URL", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SPREEKUUR_SMPT_URL"), "{e}");
        let e = Config::load(None, env(&[("SPREEKUUR_SESSION_HOURS", "twelve")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("session_hours") && e.contains("twelve"), "{e}");
    }

    #[test]
    fn the_example_documents_every_key() {
        let ex = Config::example();
        for (key, _, doc) in Config::KEYS {
            assert!(ex.contains(&format!("# {key} = ")), "{key}");
            assert!(!doc.trim().is_empty(), "{key} has no documentation");
        }
        // The example, uncommented, is itself a valid configuration.
        let uncommented: String = ex
            .lines()
            .filter_map(|l| l.strip_prefix("# ").filter(|l| l.contains(" = ")))
            .map(|l| format!("{l}\n"))
            .collect();
        Config::default().apply_toml(&uncommented).unwrap();
    }
}
