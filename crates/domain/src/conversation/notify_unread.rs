//! E-mail notices of unread messages: someone with a message waiting who is not online gets at
//! most one e-mail per window, saying only that there is a new message at the practice, with a
//! link. Runs on every node; the store makes sure one node sends each notice.

use crate::Timestamp;
use crate::mail::{LetterKind, Letters};
use crate::ports::NoticeStore;

/// Queues the notices that are due at `now`; returns how many.
pub async fn notify_unread(
    notices: &dyn NoticeStore,
    letters: Letters<'_>,
    now: Timestamp,
    window_ms: i64,
) -> usize {
    let due = match notices.due_notices(now, window_ms).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "looking for due notices failed");
            return 0;
        }
    };
    let link = letters.link("/messenger");
    let mut sent = 0;
    for account in due {
        let mail = letters.write(
            &account.email,
            &account.lang,
            LetterKind::Unread { link: &link },
        );
        match notices
            .send_notice(&account.id, now, window_ms, &mail)
            .await
        {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "notice not queued"),
        }
    }
    if sent > 0 {
        tracing::info!(count = sent, "notices of unread messages queued");
        letters.bell.ring();
    }
    sent
}
