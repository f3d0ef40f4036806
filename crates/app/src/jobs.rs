//! The background jobs every node runs while it serves: the outbox worker (sends queued
//! e-mail), the sms worker (sends queued text messages), the expiry of secure e-mails, the sweeper (removes what died uploads left) and the notifier (e-mails notices of
//! unread messages). Each stops when `cancel` is cancelled; `App::run` starts and ends them.

use std::sync::Arc;
use std::time::Duration;

use spreekuur_mail::{OutboxWorker, SmtpConfig};
use spreekuur_store::Db;
use spreekuur_web::AppState;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::startup::SystemClock;

/// The outbox worker, when a relay is configured; otherwise e-mail waits in the Development
/// mailbox, and the log says so.
pub fn outbox(
    db: &Arc<Db>,
    state: &AppState,
    smtp: Option<SmtpConfig>,
    lease_secs: u64,
    cancel: &CancellationToken,
) -> Option<JoinHandle<()>> {
    let Some(smtp) = smtp else {
        tracing::warn!(
            "no SMTP relay configured (smtp_url): e-mail is NOT sent; administrators read it in the Development mailbox"
        );
        return None;
    };
    let worker = OutboxWorker::new(
        db.clone(),
        Arc::new(SystemClock),
        smtp,
        state.mail_wake.clone(),
    )
    .with_lease_ms(lease_secs as i64 * 1000);
    Some(tokio::spawn(worker.run(cancel.child_token())))
}

/// The sms worker, when a provider is configured; with the development provider text messages
/// stay in the sms outbox, the Development mailbox shows them, and the log says so.
pub fn sms(
    db: &Arc<Db>,
    state: &AppState,
    provider: spreekuur_sms::Provider,
    cancel: &CancellationToken,
) -> Option<JoinHandle<()>> {
    if matches!(provider, spreekuur_sms::Provider::Development) {
        tracing::warn!(
            "sms_provider is development: text messages are NOT sent; the Development mailbox shows them"
        );
        return None;
    }
    let worker = spreekuur_sms::SmsWorker::new(
        db.clone(),
        Arc::new(SystemClock),
        provider,
        state.mail_wake.clone(),
    );
    Some(tokio::spawn(worker.run(cancel.child_token())))
}

/// Uploads that died with a process leave a pending row or a temporary piece: removed once a
/// day's grace has passed (`domain::file::sweep`), checked at start and every hour.
pub fn sweeper(state: &AppState, cancel: &CancellationToken) -> JoinHandle<()> {
    let state = state.clone();
    let cancel = cancel.child_token();
    tokio::spawn(async move {
        loop {
            spreekuur_domain::file::sweep(&*state.store, &*state.blobs, state.clock.now()).await;
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            }
        }
    })
}

/// Secure e-mails past their expiry lose their content (`domain::secure_mail::manage::expire`):
/// looked for at start and every five minutes. Until then an expired message already opens
/// nothing; this makes it unreadable for good.
pub fn expiry(state: &AppState, cancel: &CancellationToken) -> JoinHandle<()> {
    let state = state.clone();
    let cancel = cancel.child_token();
    tokio::spawn(async move {
        loop {
            let now = state.clock.now();
            if let Err(e) = spreekuur_domain::secure_mail::manage::expire(&*state.store, now).await
            {
                tracing::error!(error = %e, "secure mail expiry failed; tried again in five minutes");
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(300)) => {}
            }
        }
    })
}

/// E-mail notices of unread messages (`domain::conversation::notify_unread`), looked for on
/// every node every `every`.
pub fn notifier(state: &AppState, every: Duration, cancel: &CancellationToken) -> JoinHandle<()> {
    let state = state.clone();
    let cancel = cancel.child_token();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            spreekuur_domain::conversation::notify_unread(
                &*state.store,
                state.practice_name(),
                state.mailroom(),
                state.clock.now(),
                state.cfg.notify_window_ms,
            )
            .await;
        }
    })
}
