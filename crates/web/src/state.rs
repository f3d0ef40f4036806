//! What every handler can reach: the store, the clock, the hashers and the configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use metrics_exporter_prometheus::PrometheusHandle;
use spreekuur_crypto::{KeyRing, PasswordHasher};
use spreekuur_domain::Clock;
use spreekuur_domain::auth::sign_in::SigningIn;
use spreekuur_domain::conversation;
use spreekuur_domain::live::LiveBus;
use spreekuur_domain::mail::{Composer, Letters, Mailroom, OutboxBell};
use spreekuur_domain::ports::{BlobStore, Store};
use spreekuur_domain::token::TokenIssuer;
use tokio::sync::Notify;

use crate::rate::RateCounter;
use crate::webauthn::RelyingParty;

/// The web's part of the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people use, without a trailing slash (links in e-mails start with it).
    pub public_url: String,
    /// Days an invitation link stays valid.
    pub invitation_valid_days: i64,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Hours a browser session lasts.
    pub session_hours: i64,
    /// True when no SMTP relay is configured: e-mail stays in the outbox and the development
    /// mailbox shows it.
    pub dev_mailbox: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// The largest file a person may send, in bytes.
    pub max_file_bytes: u64,
    /// At most one e-mail notice of unread messages per person in this many milliseconds.
    pub notify_window_ms: i64,
}

impl WebConfig {
    /// Cookies get `Secure` when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Rings the outbox worker's bell: the tokio `Notify` it waits on.
struct Bell(Arc<Notify>);

impl OutboxBell for Bell {
    fn ring(&self) {
        self.0.notify_one();
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Arc<PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    /// Puts the journeys' e-mails into words (the `mail` crate's catalogue).
    pub composer: Arc<dyn Composer>,
    /// Seals the registration draft that travels between the steps in a hidden field.
    pub drafts: Arc<KeyRing>,
    pub cfg: Arc<WebConfig>,
    pub metrics: Option<PrometheusHandle>,
    /// Wakes the outbox worker when a journey has queued an e-mail.
    pub mail_wake: Arc<Notify>,
    /// The same, as the domain's use cases ring it.
    bell: Arc<dyn OutboxBell>,
    /// Tells the open sockets of every node about new messages.
    pub live: Arc<dyn LiveBus>,
    /// API requests per token in the current minute, on this node.
    pub api_rate: Arc<RateCounter>,
    /// Anonymous passkey sign-in ceremonies started per client address in the current minute,
    /// on this node (each writes a row until it is answered or expires).
    pub passkey_rate: Arc<RateCounter<String>>,
    /// The passkey relying party; None when the public URL is an IP address.
    pub passkeys: Option<Arc<RelyingParty>>,
    /// Where file content lives (encrypted).
    pub blobs: Arc<dyn BlobStore>,
    ready: Arc<AtomicBool>,
    /// The practice's name as last read, and when: every page shows it, and it hardly ever
    /// changes (see `practice_name`).
    practice_name: Arc<std::sync::Mutex<Option<(std::time::Instant, String)>>>,
}

/// How long a node shows the practice's name before reading it again. A change made on this
/// node shows at once; on another node within this time.
const PRACTICE_NAME_SECS: u64 = 10;

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        passwords: Arc<PasswordHasher>,
        tokens: Arc<dyn TokenIssuer>,
        composer: Arc<dyn Composer>,
        drafts: Arc<KeyRing>,
        cfg: WebConfig,
        metrics: Option<PrometheusHandle>,
        mail_wake: Arc<Notify>,
        live: Arc<dyn LiveBus>,
        blobs: Arc<dyn BlobStore>,
    ) -> Self {
        let passkeys = RelyingParty::for_public_url(&cfg.public_url).map(Arc::new);
        Self {
            api_rate: Arc::default(),
            passkey_rate: Arc::default(),
            live,
            blobs,
            passkeys,
            store,
            clock,
            passwords,
            tokens,
            composer,
            drafts,
            cfg: Arc::new(cfg),
            metrics,
            bell: Arc::new(Bell(mail_wake.clone())),
            mail_wake,
            ready: Arc::new(AtomicBool::new(true)),
            practice_name: Arc::default(),
        }
    }

    /// Turns `/readyz` false (shutdown has begun), so a load balancer stops sending traffic.
    pub fn set_not_ready(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// The practice's name (on every page, in e-mails), read from the store at most once per
    /// `PRACTICE_NAME_SECS` on this node; empty before the practice is set up (not kept, so
    /// the name shows as soon as it exists).
    pub async fn practice_name(&self) -> Result<String, spreekuur_domain::StoreError> {
        let kept = self
            .practice_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((at, name)) = kept
            && at.elapsed().as_secs() < PRACTICE_NAME_SECS
        {
            return Ok(name);
        }
        let name = self
            .store
            .practice()
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        if !name.is_empty() {
            *self
                .practice_name
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((std::time::Instant::now(), name.clone()));
        }
        Ok(name)
    }

    /// After the practice's settings changed on this node: its pages show the new name at once.
    pub fn forget_practice_name(&self) {
        *self
            .practice_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Tells the open sockets of every node; the change is committed already, so a failure
    /// is only logged (sockets catch up at their next event or reconnect).
    pub async fn publish(&self, event: spreekuur_domain::live::LiveEvent) {
        if let Err(e) = self.live.publish(&event).await {
            tracing::warn!(error = %e, "live event not published");
        }
    }

    /// Sends a chat message (`conversation::send`) on a task of its own: a sender who goes away
    /// while it is being stored (a closed tab, a dropped connection) cannot leave it stored but
    /// unannounced. The messenger's form, the API and the socket send through here.
    pub async fn send_message(
        &self,
        id: &spreekuur_domain::ConversationId,
        sender: &spreekuur_domain::account::Account,
        body: &str,
        client_id: Option<&str>,
        client: &str,
    ) -> Result<conversation::Posted, spreekuur_domain::Error> {
        let state = self.clone();
        let (id, sender, body) = (id.clone(), sender.clone(), body.to_string());
        let (client_id, client) = (client_id.map(str::to_string), client.to_string());
        let now = self.clock.now();
        tokio::spawn(async move {
            let posting = conversation::Posting {
                writer: &*state.store,
                live: &*state.live,
                now,
                client: &client,
            };
            conversation::send(posting, &sender, &id, &body, client_id.as_deref()).await
        })
        .await
        .map_err(|e| spreekuur_domain::Error::Internal(format!("sending task: {e}")))?
    }

    /// Announces a message just stored (a retry that found an earlier one announces nothing).
    pub async fn publish_posted(&self, posted: &conversation::Posted) {
        conversation::announce(&*self.live, posted).await;
    }

    /// Minutes without activity before a device with the app lock locks.
    pub async fn lock_minutes(&self) -> Result<i64, spreekuur_domain::StoreError> {
        Ok(self.store.practice().await?.map_or(
            spreekuur_domain::auth::app_lock::DEFAULT_LOCK_MINUTES,
            |p| p.lock_minutes,
        ))
    }

    /// What a use case needs to send e-mail, signed with the practice's name.
    pub fn letters<'a>(&'a self, practice: &'a str) -> Letters<'a> {
        self.mailroom().signed(practice)
    }

    /// The same before the practice's name is known (a use case reads it when it has mail).
    pub fn mailroom(&self) -> Mailroom<'_> {
        Mailroom {
            composer: &*self.composer,
            public_url: &self.cfg.public_url,
            bell: &*self.bell,
        }
    }

    /// The ports of the sign-in use cases (`domain::auth::sign_in`), at this moment.
    pub fn signing_in<'a>(&'a self, client: &'a str) -> SigningIn<'a> {
        SigningIn {
            sessions: &*self.store,
            accounts: &*self.store,
            totp: &*self.store,
            passkeys: &*self.store,
            session_codes: &*self.store,
            throttles: &*self.store,
            audit: &*self.store,
            tokens: &*self.tokens,
            authenticator: &spreekuur_crypto::totp::Authenticator,
            composer: &*self.composer,
            bell: &*self.bell,
            session_secs: self.cfg.session_hours * 3600,
            now: self.clock.now(),
            client,
        }
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.cfg.public_url, path)
    }
}
