//! Sign-ins that wait for an e-mailed session code.

use async_trait::async_trait;

use super::SessionDevice;

use crate::account::Account;
use crate::audit::AuditRecord;
use crate::auth::session_code::{CodeProblem, CodeState};
use crate::mail::Outgoing;
use crate::{StoreError, Timestamp, UserId};

/// A code that was e-mailed for a sign-in.
#[derive(Clone)]
pub struct NewSessionCode {
    pub id: String,
    /// The pending session it completes.
    pub session_hash: Vec<u8>,
    pub user: UserId,
    /// Keyed hash of the six digits.
    pub code_hash: Vec<u8>,
    pub requested_at: Timestamp,
    pub expires_at: Timestamp,
    /// Where the person goes once the code is accepted.
    pub next_path: String,
}

/// The newest code of a pending sign-in, as the page needs it.
#[derive(Debug, Clone)]
pub struct SessionCodeInfo {
    pub id: String,
    pub requested_at: Timestamp,
    pub expires_at: Timestamp,
    pub attempts: i64,
    pub state: CodeState,
    pub next_path: String,
}

/// Sign-ins that wait for their e-mailed session code.
#[async_trait]
pub trait SessionCodeStore: Send + Sync {
    /// Starts a sign-in that waits for its code: the pending session, the code, its e-mail and
    /// the audit record, in one transaction.
    async fn start_pending_session(
        &self,
        expires_at: Timestamp,
        device: &SessionDevice,
        code: &NewSessionCode,
        mail: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The account of a pending sign-in and its newest code.
    async fn pending_session(
        &self,
        session_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(Account, Option<SessionCodeInfo>)>, StoreError>;
    /// A new code for a pending sign-in; voids every older one.
    async fn replace_session_code(
        &self,
        code: &NewSessionCode,
        mail: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Checks a typed code (its readings, already hashed) against code `code_id`. On success
    /// the code is used (exactly once, even for simultaneous submissions) and the session is
    /// complete; returns where to go next. Every attempt counts and is audited.
    async fn verify_session_code(
        &self,
        session_hash: &[u8],
        code_id: &str,
        reading_hashes: &[Vec<u8>],
        now: Timestamp,
        client: &str,
    ) -> Result<Result<String, CodeProblem>, StoreError>;
}
