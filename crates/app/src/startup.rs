//! Start-up and shutdown.
//!
//! `Core::open` makes the data directory (0700), loads or creates the master key (0600), opens
//! the database and runs migrations (fail fast), and builds the state the pages need.
//! `App::build` adds the listener (port 0 works) and, on a server with no staff yet, the
//! one-time setup link. `App::run` serves until the shutdown future completes: then `/readyz`
//! turns false, the listener stops accepting, running requests get `shutdown_timeout_secs`
//! to finish, and the outbox worker finishes the e-mail it holds. The background jobs are in
//! `jobs.rs`.

use spreekuur_domain::token::TokenKind;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use spreekuur_crypto::{DataKey, KeyRing, KeyStatus, MasterKey, PasswordHasher, TokenHasher};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::{AccountStore, LinkPurpose, NewLinkToken};
use spreekuur_domain::{Clock, Timestamp};
use spreekuur_mail::SmtpConfig;
use spreekuur_store::{Db, Live, LocalBlobs};
use spreekuur_web::tls::{PeerAddr, TlsListener};
use spreekuur_web::{AppState, WebConfig};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("master key file {path}: {reason}")]
    MasterKey { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] spreekuur_store::ConnectError),
    #[error(transparent)]
    Smtp(#[from] spreekuur_mail::SmtpUrlError),
    #[error(transparent)]
    Sms(#[from] spreekuur_sms::WebhookError),
    #[error("sms_provider must be development or webhook, not {0:?}")]
    SmsProvider(String),
    #[error("could not listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("{0}")]
    Other(String),
}

/// The system clock; the only place that reads it.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// The Prometheus recorder is process-wide; several apps in one test process share it.
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

fn ensure_data_dir(dir: &Path) -> Result<(), StartError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let err = |reason: String| StartError::DataDir {
        path: dir.display().to_string(),
        reason,
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| err(e.to_string()))?;
        tracing::info!(path = %dir.display(), "created data directory");
    }
    let mode = std::fs::metadata(dir)
        .map_err(|e| err(e.to_string()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %dir.display(), mode = format!("{:o}", mode & 0o777), "data directory is readable by others; chmod 700 it");
    }
    Ok(())
}

/// Loads the master key, or creates it (mode 0600) when the file does not exist yet.
fn load_or_create_master_key(path: &Path) -> Result<MasterKey, StartError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let err = |reason: String| StartError::MasterKey {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        let mode = std::fs::metadata(path)
            .map_err(|e| err(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "mode {:o} lets others read it; chmod 600 it",
                mode & 0o777
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        return MasterKey::from_file_text(&text).map_err(|e| err(e.to_string()));
    }
    let key = MasterKey::generate().map_err(|e| err(e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| err(e.to_string()))?;
    f.write_all(key.to_file_text().as_bytes())
        .map_err(|e| err(e.to_string()))?;
    f.sync_all().map_err(|e| err(e.to_string()))?;
    tracing::info!(path = %path.display(), "created a new master key; back it up: without it the data cannot be read");
    Ok(key)
}

/// Everything but the listener: for the server and for the shell commands.
pub struct Core {
    pub cfg: Config,
    pub db: Arc<Db>,
    pub state: AppState,
    pub smtp: Option<SmtpConfig>,
    pub sms: spreekuur_sms::Provider,
}

impl Core {
    pub async fn open(cfg: Config, public_url: String) -> Result<Self, StartError> {
        let uses_data_dir = cfg.database_url.is_empty()
            || cfg.master_key_file.as_os_str().is_empty()
            || cfg.blob_dir.as_os_str().is_empty();
        if uses_data_dir {
            ensure_data_dir(&cfg.data_dir)?;
        }
        let master = load_or_create_master_key(&cfg.master_key_file())?;
        let blob_dir = cfg.blob_dir();
        if !blob_dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&blob_dir)
                .map_err(|e| StartError::DataDir {
                    path: blob_dir.display().to_string(),
                    reason: e.to_string(),
                })?;
        }
        let db = Arc::new(
            Db::connect(&cfg.database_url(), &master, cfg.database_max_connections).await?,
        );
        // Alone, or as one of several nodes on PostgreSQL (then LISTEN/NOTIFY between them).
        let live: Arc<dyn spreekuur_domain::live::LiveBus> = match db.backend() {
            spreekuur_store::Backend::Postgres => Live::postgres(&cfg.database_url())
                .await
                .map_err(|e| StartError::Other(e.to_string()))?,
            spreekuur_store::Backend::Sqlite => Live::local(),
        };
        let smtp = if cfg.smtp_url.is_empty() {
            None
        } else {
            Some(SmtpConfig::parse(&cfg.smtp_url, &cfg.mail_from)?)
        };
        let sms = match cfg.sms_provider.as_str() {
            "development" => spreekuur_sms::Provider::Development,
            "webhook" => spreekuur_sms::Provider::Webhook(spreekuur_sms::Webhook::new(
                &cfg.sms_webhook_url,
                &cfg.sms_webhook_secret,
            )?),
            other => return Err(StartError::SmsProvider(other.to_string())),
        };
        let passwords =
            Arc::new(PasswordHasher::owasp().map_err(|e| StartError::Other(e.to_string()))?);
        let tokens = Arc::new(TokenHasher::new(master.derive("token-hash")));
        let drafts = Arc::new(
            KeyRing::new(vec![(
                0,
                DataKey::from_bytes(*master.derive("registration-draft")),
                KeyStatus::Active,
            )])
            .map_err(|e| StartError::Other(e.to_string()))?,
        );
        let web = WebConfig {
            public_url: public_url.trim_end_matches('/').to_string(),
            invitation_valid_days: cfg.invitation_valid_days as i64,
            max_body_bytes: cfg.max_body_bytes as usize,
            session_hours: cfg.session_hours as i64,
            dev_mailbox: smtp.is_none(),
            trust_forwarded_for: cfg.trust_forwarded_for,
            max_file_bytes: cfg.max_file_mib.saturating_mul(1024 * 1024),
            notify_window_ms: i64::try_from(cfg.notify_window_minutes.saturating_mul(60_000))
                .unwrap_or(i64::MAX),
        };
        let blobs = Arc::new(
            LocalBlobs::open(&blob_dir)
                .await
                .map_err(|e| StartError::Other(e.to_string()))?,
        );
        let state = AppState::new(
            db.clone(),
            Arc::new(SystemClock),
            passwords,
            tokens,
            Arc::new(spreekuur_mail::compose::Catalogue),
            drafts,
            web,
            metrics_handle(),
            Arc::new(Notify::new()),
            live,
            blobs,
        );
        Ok(Self {
            cfg,
            db,
            state,
            smtp,
            sms,
        })
    }
}

pub struct App {
    core: Core,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    addr: SocketAddr,
    /// `/metrics` for the operator's Prometheus, on an address of its own (`metrics_listen`).
    metrics_listener: Option<TcpListener>,
    setup_link: Option<String>,
}

impl App {
    pub async fn build(cfg: Config) -> Result<Self, StartError> {
        let listener = TcpListener::bind(&cfg.listen)
            .await
            .map_err(|e| StartError::Listen {
                addr: cfg.listen.clone(),
                reason: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| StartError::Listen {
            addr: cfg.listen.clone(),
            reason: e.to_string(),
        })?;
        let metrics_listener =
            if cfg.metrics_listen.is_empty() {
                None
            } else {
                Some(TcpListener::bind(&cfg.metrics_listen).await.map_err(|e| {
                    StartError::Listen {
                        addr: cfg.metrics_listen.clone(),
                        reason: e.to_string(),
                    }
                })?)
            };
        let tls = match (
            cfg.tls_cert_file.as_os_str().is_empty(),
            cfg.tls_key_file.as_os_str().is_empty(),
        ) {
            (true, true) => None,
            (false, false) => Some(
                spreekuur_web::tls::acceptor(&cfg.tls_cert_file, &cfg.tls_key_file)
                    .map_err(|e| StartError::Other(e.to_string()))?,
            ),
            _ => {
                return Err(StartError::Other(
                    "set both tls_cert_file and tls_key_file, or neither".into(),
                ));
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let public_url = if cfg.public_url.is_empty() {
            format!("{scheme}://localhost:{}", addr.port())
        } else {
            cfg.public_url.clone()
        };
        if cfg.public_url.is_empty() && !addr.ip().is_loopback() {
            tracing::warn!(
                "listening on a public address without public_url: links in e-mails will point to localhost"
            );
        }
        let core = Core::open(cfg, public_url).await?;
        let setup_link = issue_setup_link_if_needed(&core).await?;
        Ok(Self {
            core,
            listener,
            tls,
            addr,
            metrics_listener,
            setup_link,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.core.state
    }

    pub fn db(&self) -> Arc<Db> {
        self.core.db.clone()
    }

    /// The one-time setup link, when this server has no staff account yet.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Serves until `shutdown` completes, then stops gracefully.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let App {
            core,
            listener,
            tls,
            addr,
            metrics_listener,
            ..
        } = self;
        let Core {
            cfg,
            db,
            state,
            smtp,
            sms,
        } = core;
        let cancel = CancellationToken::new();
        let worker = crate::jobs::outbox(&db, &state, smtp, cfg.outbox_lease_secs, &cancel);
        let sms_worker = crate::jobs::sms(&db, &state, sms, &cancel);
        let sweeper = crate::jobs::sweeper(&state, &cancel);
        let expiry = crate::jobs::expiry(&state, &cancel);
        let notifier = crate::jobs::notifier(
            &state,
            Duration::from_secs(cfg.notify_check_seconds.max(1)),
            &cancel,
        );
        let router =
            spreekuur_web::router(state.clone()).into_make_service_with_connect_info::<PeerAddr>();
        let http_cancel = cancel.clone().cancelled_owned();
        let mut http = match tls {
            Some(acceptor) => {
                let listener =
                    TlsListener::new(listener, acceptor).map_err(|e| StartError::Listen {
                        addr: addr.to_string(),
                        reason: e.to_string(),
                    })?;
                tokio::spawn(async move {
                    axum::serve(listener, router)
                        .with_graceful_shutdown(http_cancel)
                        .await
                })
            }
            None => tokio::spawn(async move {
                axum::serve(spreekuur_web::tls::PlainListener(listener), router)
                    .with_graceful_shutdown(http_cancel)
                    .await
            }),
        };
        let metrics = metrics_listener.map(|listener| {
            if let Ok(at) = listener.local_addr() {
                tracing::info!(addr = %at, "metrics are served on their own address");
            }
            let router = spreekuur_web::metrics_router(state.clone());
            let stop = cancel.clone().cancelled_owned();
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
            })
        });
        tracing::info!(%addr, tls = state.cfg.secure_cookies(), backend = ?db.backend(), "spreekuur is listening");
        let early_exit = tokio::select! {
            _ = shutdown => None,
            res = &mut http => Some(res),
        };
        state.set_not_ready();
        cancel.cancel();
        match early_exit {
            Some(res) => {
                tracing::error!(result = ?res.map(|r| r.map_err(|e| e.to_string())), "http server stopped unexpectedly")
            }
            None => {
                tracing::info!("shutting down: no new connections; finishing running requests");
                match tokio::time::timeout(
                    Duration::from_secs(cfg.shutdown_timeout_secs),
                    &mut http,
                )
                .await
                {
                    Ok(_) => tracing::info!("http server stopped"),
                    Err(_) => {
                        http.abort();
                        tracing::warn!(
                            timeout_secs = cfg.shutdown_timeout_secs,
                            "requests still running after the timeout were cut off"
                        );
                    }
                }
            }
        }
        if let Some(w) = worker {
            let _ = w.await;
        }
        if let Some(w) = sms_worker {
            let _ = w.await;
        }
        sweeper.abort();
        expiry.abort();
        notifier.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// On a server without staff, prints a one-time link that creates the practice and its first
/// administrator. A new start prints a new link and voids the old one.
async fn issue_setup_link_if_needed(core: &Core) -> Result<Option<String>, StartError> {
    let store = &core.db;
    if store
        .staff_count()
        .await
        .map_err(|e| StartError::Other(e.to_string()))?
        > 0
    {
        return Ok(None);
    }
    let now = SystemClock.now();
    let token = spreekuur_crypto::generate_token().map_err(|e| StartError::Other(e.to_string()))?;
    let link = NewLinkToken {
        hash: core
            .state
            .tokens
            .hash(TokenKind::Link(LinkPurpose::Setup), &token),
        purpose: LinkPurpose::Setup,
        user: None,
        created_at: now,
        expires_at: now.plus_seconds(core.cfg.setup_link_minutes as i64 * 60),
    };
    store
        .issue_link(
            &link,
            None,
            &AuditRecord::new(now, Action::PasswordLinkIssued, "startup").object("setup"),
        )
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    Ok(Some(core.state.link(&format!("/setup/{}", token.as_str()))))
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}
