//! The outbox worker: claims due e-mails under a lease, sends them over SMTP outside any
//! transaction, and records the outcome. A temporary failure (4xx, connection refused) is
//! retried with exponential backoff; a permanent one (5xx) is given up and kept visible.
//! On shutdown the worker finishes the item it holds, then stops.
//!
//! Delivery is at least once: a crash after the relay accepted a message and before the row
//! was marked sent sends it again after the lease. Every message carries a Message-ID, so a
//! receiving system can drop the duplicate.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncTransport, Message, Tokio1Executor};
use spreekuur_domain::mail::OutboxItem;
use spreekuur_domain::ports::OutboxStore;
use spreekuur_domain::{Clock, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a claimed item is ours before another worker may take it.
const LEASE_MS: i64 = 120_000;
/// After this many attempts an item is given up.
const MAX_ATTEMPTS: i64 = 20;
/// How often the worker looks for due items when nobody wakes it.
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("SPREEKUUR_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS): {0}")]
    Scheme(String),
    #[error("SPREEKUUR_SMTP_URL is not valid: {0}")]
    Invalid(String),
    #[error("SPREEKUUR_MAIL_FROM is not a valid address: {0}")]
    From(String),
}

/// A parsed relay: where to send and as whom.
#[derive(Clone)]
pub struct SmtpConfig {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpConfig(..)")
    }
}

impl SmtpConfig {
    /// `smtp://[user:pass@]host[:port]` requires STARTTLS; add `?tls=none` for a local relay
    /// without TLS (or `?tls=opportunistic`). `smtps://host[:465]` speaks TLS from the start.
    pub fn parse(url: &str, from: &str) -> Result<Self, SmtpUrlError> {
        let lower = url.to_ascii_lowercase();
        let url = if lower.starts_with("smtps://") {
            url.to_string()
        } else if lower.starts_with("smtp://") {
            if lower.contains("tls=none") {
                // lettre's spelling of "no TLS" is to leave the parameter out.
                url.replace("?tls=none&", "?")
                    .replace("?tls=none", "")
                    .replace("&tls=none", "")
            } else if lower.contains("tls=") {
                url.to_string()
            } else {
                format!(
                    "{url}{}tls=required",
                    if url.contains('?') { '&' } else { '?' }
                )
            }
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(SmtpUrlError::Scheme(scheme.to_string()));
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| SmtpUrlError::Invalid(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Address = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SmtpUrlError::From(e.to_string()))?;
        Ok(Self { transport, from })
    }
}

/// Exponential backoff: 1, 2, 4 … minutes, at most an hour between attempts.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 7) - 1;
    (60_000_i64 << exp).min(3_600_000)
}

pub struct OutboxWorker {
    store: Arc<dyn OutboxStore>,
    clock: Arc<dyn Clock>,
    smtp: SmtpConfig,
    wake: Arc<Notify>,
    lease_ms: i64,
}

#[derive(Debug)]
enum SendError {
    Temporary(String),
    Permanent(String),
}

impl OutboxWorker {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        clock: Arc<dyn Clock>,
        smtp: SmtpConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            clock,
            smtp,
            wake,
            lease_ms: LEASE_MS,
        }
    }

    /// How long a claimed item stays reserved (default two minutes).
    pub fn with_lease_ms(mut self, lease_ms: i64) -> Self {
        self.lease_ms = lease_ms.max(1000);
        self
    }

    /// Runs until `cancel` fires; an item in flight is finished first.
    pub async fn run(self, cancel: CancellationToken) {
        tracing::info!("outbox worker started");
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let now = self.clock.now();
            match self.store.claim_outbox(now, self.lease_ms).await {
                Ok(Some(item)) => {
                    self.deliver(item).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "outbox: could not claim"),
            }
            if let Ok(depth) = self.store.outbox_depth().await {
                metrics::gauge!("spreekuur_outbox_depth").set(depth as f64);
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    async fn deliver(&self, item: OutboxItem) {
        let result = self.send(&item).await;
        let now = self.clock.now();
        let recorded = match result {
            Ok(()) => {
                metrics::counter!("spreekuur_mail_sent_total").increment(1);
                tracing::info!(outbox_id = %item.id, attempts = item.attempts, "outbox: delivered");
                self.store.outbox_sent(&item.id, now).await
            }
            Err(SendError::Temporary(reason)) if item.attempts < MAX_ATTEMPTS => {
                metrics::counter!("spreekuur_mail_retries_total").increment(1);
                let at = Timestamp(now.millis() + retry_delay_ms(item.attempts));
                tracing::warn!(outbox_id = %item.id, attempts = item.attempts, %reason, "outbox: temporary failure, will retry");
                self.store
                    .outbox_failed(&item.id, now, Some(at), &reason)
                    .await
            }
            Err(SendError::Temporary(reason) | SendError::Permanent(reason)) => {
                metrics::counter!("spreekuur_mail_failed_total").increment(1);
                tracing::error!(outbox_id = %item.id, attempts = item.attempts, %reason, "outbox: giving up on an e-mail");
                self.store.outbox_failed(&item.id, now, None, &reason).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(outbox_id = %item.id, error = %e, "outbox: could not record the outcome; the lease will make it due again");
        }
    }

    async fn send(&self, item: &OutboxItem) -> Result<(), SendError> {
        let to: Address = item
            .mail
            .to
            .as_str()
            .parse()
            .map_err(|_| SendError::Permanent("invalid recipient address".into()))?;
        let message = Message::builder()
            .from(Mailbox::new(
                Some(item.mail.from_name.clone()),
                self.smtp.from.clone(),
            ))
            .to(Mailbox::new(None, to))
            .subject(item.mail.subject.clone())
            .message_id(None)
            .date_now()
            .multipart(MultiPart::alternative_plain_html(
                item.mail.text.clone(),
                item.mail.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("could not build the message: {e}")))?;
        match self.smtp.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(retry_delay_ms(1), 60_000);
        assert_eq!(retry_delay_ms(2), 120_000);
        assert_eq!(retry_delay_ms(6), 1_920_000);
        assert_eq!(retry_delay_ms(7), 3_600_000);
        assert_eq!(retry_delay_ms(50), 3_600_000);
    }

    #[tokio::test]
    async fn smtp_urls_are_checked() {
        assert!(SmtpConfig::parse("smtp://127.0.0.1:2525?tls=none", "noreply@example.nl").is_ok());
        assert!(SmtpConfig::parse("smtp://mail.example.nl:587", "noreply@example.nl").is_ok());
        assert!(SmtpConfig::parse("smtps://mail.example.nl", "noreply@example.nl").is_ok());
        assert!(matches!(
            SmtpConfig::parse("http://x", "a@b.nl"),
            Err(SmtpUrlError::Scheme(_))
        ));
        assert!(matches!(
            SmtpConfig::parse("smtp://x", "not an address"),
            Err(SmtpUrlError::From(_))
        ));
    }
}
