//! E-mail notices of unread messages: someone with a message waiting who is not online gets at
//! most one e-mail per window, saying only that there is a new message at the practice, with a
//! link. Runs on every node; the store makes sure one node sends each notice.

use spreekuur_domain::mail::{Letter, LetterKind};

use crate::state::AppState;

/// Queues the notices that are due now; returns how many.
pub async fn send_due(state: &AppState) -> usize {
    let now = state.clock.now();
    let window = state.cfg.notify_window_ms;
    let due = match state.store.due_notices(now, window).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "looking for due notices failed");
            return 0;
        }
    };
    if due.is_empty() {
        return 0;
    }
    let practice = state.practice_name().await.unwrap_or_default();
    let link = state.link("/messenger");
    let mut sent = 0;
    for account in due {
        let mail = state.composer.compose(&Letter {
            to: &account.email,
            lang: &account.lang,
            practice: &practice,
            kind: LetterKind::Unread { link: &link },
        });
        match state
            .store
            .send_notice(&account.id, now, window, &mail)
            .await
        {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "notice not queued"),
        }
    }
    if sent > 0 {
        tracing::info!(count = sent, "notices of unread messages queued");
        state.mail_wake.notify_one();
    }
    sent
}
