//! Secure e-mail ("Veilig mailen"): the message, its recipients' copies, the guests' sessions
//! and the thread. The adapter seals subject, text, addresses and phone numbers; subject and
//! text with the message's own key, so that deleting that key destroys them.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::auth::session_code::CodeProblem;
use crate::mail::Outgoing;
use crate::secure_mail::sent_code::NewSentCode;
use crate::secure_mail::{Copy, NewPost, NewSecureMail, Overview, Thread};
use crate::{Error, RecipientId, SecureMailId, StoreError, Timestamp, UserId};

/// Secure e-mails, their copies and threads.
#[async_trait]
pub trait SecureMailStore: Send + Sync {
    /// Stores the message, its first post, every copy with its link, the notifications
    /// (outbox) and the audit records in one transaction.
    async fn create_secure_mail(
        &self,
        new: &NewSecureMail,
        audit: &[AuditRecord],
    ) -> Result<(), Error>;
    /// The copy a notification's link leads to.
    async fn copy_by_link(&self, link_hash: &[u8]) -> Result<Option<Copy>, StoreError>;
    /// Counts a wrong access code in the same transaction that reads the count: after
    /// `tries` wrong ones the copy locks until `now + lock_secs(locks so far)` and the count
    /// starts again. Returns when the copy is locked until, if it now is.
    async fn access_code_failed(
        &self,
        copy: &RecipientId,
        now: Timestamp,
        tries: i64,
        lock_secs: fn(i64) -> i64,
        audit: &AuditRecord,
    ) -> Result<Option<Timestamp>, Error>;
    /// The right code: starts a guest session on this copy (stored as `session_hash`),
    /// clears the count of wrong codes and marks the copy opened.
    async fn open_copy(
        &self,
        copy: &RecipientId,
        session_hash: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Queues a new sms or e-mail code for a copy (voiding its older codes) with the message
    /// that carries it, if `may_send` allows it given the copy's codes of the last hour (read
    /// in the same transaction); `RateLimited` otherwise.
    async fn issue_sent_code(
        &self,
        code: &NewSentCode,
        may_send: for<'r> fn(&'r [Timestamp], Timestamp) -> Result<(), Timestamp>,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Checks `candidates` (hashes of what the guest typed) against the copy's newest code in
    /// one transaction: the right one is used up and starts the guest session
    /// (`session`: its hash and end); a wrong one counts. Audits `(opened, refused)`.
    async fn answer_sent_code(
        &self,
        copy: &RecipientId,
        candidates: &[Vec<u8>],
        now: Timestamp,
        session: (&[u8], Timestamp),
        audit: (&AuditRecord, &AuditRecord),
    ) -> Result<Result<(), CodeProblem>, Error>;
    /// The copy a guest session is on, if the session lives (used within `idle_ms` and before
    /// its end); using it keeps it alive.
    async fn guest_session(
        &self,
        session_hash: &[u8],
        now: Timestamp,
        idle_ms: i64,
    ) -> Result<Option<RecipientId>, StoreError>;
    /// The whole thread, oldest post first; `None` for an unknown id.
    async fn thread(&self, mail: &SecureMailId) -> Result<Option<Thread>, StoreError>;
    /// Adds a post to the thread with the notifications it causes (each with a new link for
    /// its copy) and the audit record. Refused when the message was withdrawn or expired.
    async fn post_secure_mail(
        &self,
        post: &NewPost,
        notices: &[(RecipientId, Vec<u8>, Outgoing)],
        audit: &AuditRecord,
    ) -> Result<i64, Error>;
    /// Notes that the guest reported a wrong number and queues `mail` to the sender, the
    /// first time only; `false` when it was reported before.
    async fn report_wrong_number(
        &self,
        copy: &RecipientId,
        now: Timestamp,
        mail: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<bool, Error>;
    /// The practice's rules for secure e-mail.
    async fn practice_rules(&self) -> Result<crate::secure_mail::send::Rules, StoreError>;
    /// Queues the notification again with a new link for the copy.
    async fn resend_notice(
        &self,
        copy: &RecipientId,
        link_hash: &[u8],
        mail: &Outgoing,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Sets how the copy opens: an access code (its hash; the old code stops) or sms codes
    /// on `phone` (open sms codes are voided). Wrong tries and a lock are cleared, and the
    /// report of a wrong number with them.
    async fn set_proof(
        &self,
        copy: &RecipientId,
        method: crate::secure_mail::Method,
        phone: Option<&crate::secure_mail::PhoneNumber>,
        access_code_hash: Option<&[u8]>,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Withdraws the message at `now` (its links then open nothing).
    async fn revoke_secure_mail(
        &self,
        mail: &SecureMailId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Deletes the key, subject and posts of every message whose expiry is past, ends its
    /// guests' sessions, and audits each (`secure_mail.expired`). Returns how many.
    async fn destroy_expired_secure_mails(&self, now: Timestamp) -> Result<u64, StoreError>;
    /// The secure e-mails `user` sent or may answer (as a member of the team they were sent
    /// as), newest activity first, with how many posts they have not read.
    async fn secure_mails_for(&self, user: &UserId) -> Result<Vec<Overview>, StoreError>;
    /// `user` has read the thread up to `seq`.
    async fn mark_secure_mail_read(
        &self,
        mail: &SecureMailId,
        user: &UserId,
        seq: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}
