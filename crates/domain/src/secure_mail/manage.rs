//! What the sender does with a message after sending: "Intrekken" (withdraw it now; the page
//! then says the sender withdrew it), and the expiry that destroys the content of messages
//! past their date by deleting each one's own key.

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::ports::SecureMailStore;
use crate::{Error, SecureMailId, TeamId, Timestamp};

use super::MailState;
use super::reply::may_read;

/// Withdraws a message: its links open nothing any more, nobody can answer. The sender or a
/// member of the team it was sent as may; for anyone else it does not exist.
pub async fn revoke(
    store: &dyn SecureMailStore,
    now: Timestamp,
    client: &str,
    user: &Account,
    my_teams: &[TeamId],
    mail: &SecureMailId,
) -> Result<(), Error> {
    let thread = store.thread(mail).await?.ok_or(Error::NotFound)?;
    if !may_read(&thread, user, my_teams) {
        return Err(Error::NotFound);
    }
    match thread.state(now) {
        MailState::Open => {}
        MailState::Revoked => return Ok(()),
        MailState::Expired => return Err(Error::Expired),
    }
    let record = AuditRecord::new(now, Action::SecureMailRevoked, client)
        .actor(&user.id)
        .object(mail);
    store.revoke_secure_mail(mail, now, &record).await?;
    tracing::info!(secure_mail_id = %mail, "secure mail withdrawn");
    Ok(())
}

/// Destroys the content of every message past its expiry: its key is deleted (so what was
/// sealed with it can never be opened), the sealed subject and posts with it, and the guests'
/// sessions end. Returns how many messages expired; each is on the audit trail.
pub async fn expire(store: &dyn SecureMailStore, now: Timestamp) -> Result<u64, Error> {
    let n = store.destroy_expired_secure_mails(now).await?;
    if n > 0 {
        tracing::info!(messages = n, "secure mail content destroyed at expiry");
    }
    Ok(n)
}
