//! Text messages out (the codes of secure e-mails): a worker drains the sms outbox through a
//! provider, retrying with backoff. Providers:
//!
//! - **development**: nothing is sent; the message stays in the outbox and the development
//!   mailbox shows it (no worker runs).
//! - **webhook**: an HTTP POST of `{"id", "to", "text"}` as JSON, signed with HMAC-SHA-256 over
//!   the body with a shared secret in `X-Spreekuur-Signature: sha256=<hex>`. 2xx is sent; 4xx
//!   failed for good (the sender sees "niet afgeleverd"); 5xx, a time-out or no answer is tried
//!   again later.

mod webhook;

use std::sync::Arc;
use std::time::Duration;

use spreekuur_domain::ports::{SmsItem, SmsOutboxStore};
use spreekuur_domain::{Clock, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use webhook::{Webhook, WebhookError, signature};

const LEASE_MS: i64 = 60_000;
const MAX_ATTEMPTS: i64 = 12;
const POLL: Duration = Duration::from_secs(1);

/// Where text messages go. With `Development` no worker runs: messages stay in the outbox for
/// the Development mailbox.
#[derive(Debug, Clone)]
pub enum Provider {
    Development,
    Webhook(Webhook),
}

/// The outcome of one attempt.
#[derive(Debug)]
pub enum Attempt {
    Sent,
    /// Try again later.
    Temporary(String),
    /// Refused: do not try again.
    Permanent(String),
}

/// Backoff: 30 s, 1, 2, 4 … minutes, at most half an hour between attempts.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 7) - 1;
    (30_000_i64 << exp).min(1_800_000)
}

pub struct SmsWorker {
    store: Arc<dyn SmsOutboxStore>,
    clock: Arc<dyn Clock>,
    provider: Provider,
    wake: Arc<Notify>,
}

impl SmsWorker {
    pub fn new(
        store: Arc<dyn SmsOutboxStore>,
        clock: Arc<dyn Clock>,
        provider: Provider,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            clock,
            provider,
            wake,
        }
    }

    /// Runs until `cancel` fires; a message in flight is finished first.
    pub async fn run(self, cancel: CancellationToken) {
        tracing::info!("sms worker started");
        loop {
            if cancel.is_cancelled() {
                break;
            }
            match self.store.claim_sms(self.clock.now(), LEASE_MS).await {
                Ok(Some(item)) => {
                    self.deliver(item).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "sms: could not claim"),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        tracing::info!("sms worker stopped");
    }

    async fn deliver(&self, item: SmsItem) {
        let attempt = match &self.provider {
            Provider::Development => Attempt::Temporary("no sms provider configured".into()),
            Provider::Webhook(hook) => hook.send(&item).await,
        };
        let now = self.clock.now();
        let recorded = match attempt {
            Attempt::Sent => {
                metrics::counter!("spreekuur_sms_sent_total").increment(1);
                tracing::info!(sms_id = %item.id, attempts = item.attempts, "sms: sent");
                self.store.sms_sent(&item.id, now).await
            }
            Attempt::Temporary(reason) if item.attempts < MAX_ATTEMPTS => {
                metrics::counter!("spreekuur_sms_retries_total").increment(1);
                let at = Timestamp(now.millis() + retry_delay_ms(item.attempts));
                tracing::warn!(sms_id = %item.id, attempts = item.attempts, %reason, "sms: will retry");
                self.store
                    .sms_failed(&item.id, now, &reason, Some(at))
                    .await
            }
            Attempt::Temporary(reason) | Attempt::Permanent(reason) => {
                metrics::counter!("spreekuur_sms_failed_total").increment(1);
                tracing::error!(sms_id = %item.id, attempts = item.attempts, %reason, "sms: failed");
                self.store.sms_failed(&item.id, now, &reason, None).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(sms_id = %item.id, error = %e, "sms: could not record the outcome; the lease will make it due again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_half_an_hour() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(7), 1_800_000);
        assert_eq!(retry_delay_ms(30), 1_800_000);
    }
}
