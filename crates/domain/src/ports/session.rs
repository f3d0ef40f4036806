//! Browser sessions: signed in, waiting for a second step, and the app lock.

use async_trait::async_trait;

use crate::account::Account;
use crate::audit::AuditRecord;
use crate::auth::app_lock::AppLock;
use crate::{Error, StoreError, Timestamp, UserId};

/// Where a session was started: shown to the account holder in "Instellingen".
#[derive(Debug, Clone, Default)]
pub struct SessionDevice {
    /// A random id to name the session in a form (never the cookie or its hash).
    pub public_id: String,
    /// The browser's User-Agent, shortened.
    pub user_agent: String,
    /// The network address it signed in from.
    pub client: String,
}

/// One of an account's sessions, for the list in "Instellingen".
#[derive(Debug, Clone)]
pub struct SessionView {
    pub public_id: String,
    pub user_agent: String,
    pub client: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub current: bool,
}

/// A live, signed-in session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    /// The last activity before this request.
    pub last_seen_at: Timestamp,
    pub lock: Option<AppLock>,
}

/// Where a signed-in-by-password session waits before it opens the messenger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStage {
    /// For a code from the authenticator app, a backup code or a passkey.
    SecondFactor,
    /// The practice asks for two-factor authentication and the account has none yet: only
    /// setting up an authenticator app or a passkey is open.
    Enrol,
    /// Waiting for an e-mailed session code (started without one when the account was sent
    /// too many codes this hour).
    SessionCode,
}

/// Browser sessions (the cookie holds a random id; the store keeps its hash).
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(
        &self,
        id_hash: &[u8],
        user: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
        device: &SessionDevice,
    ) -> Result<(), StoreError>;
    /// The signed-in account, if the session is live at `now`, with its last activity before
    /// this request and its app lock; refreshes its last-seen time.
    async fn session_account(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<SignedIn>, StoreError>;
    /// Turns the app lock on for this session, unlocked for the browser run with `unlock_key`.
    async fn enable_lock(
        &self,
        id_hash: &[u8],
        pin_hash: &[u8],
        unlock_key: &[u8],
        biometric: bool,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn disable_lock(&self, id_hash: &[u8], audit: &AuditRecord) -> Result<(), StoreError>;
    /// Locks the session now (idle, or "Vergrendel nu").
    async fn lock_now(&self, id_hash: &[u8]) -> Result<(), StoreError>;
    /// Unlocks for the browser run with `unlock_key`, clearing the wrong tries.
    async fn unlock(
        &self,
        id_hash: &[u8],
        unlock_key: &[u8],
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Counts a wrong PIN and returns how many there have been; the one that reaches
    /// `max_failures` signs the session out (deletes it) in the same transaction. Concurrent
    /// wrong PINs are all counted.
    async fn lock_failure(
        &self,
        id_hash: &[u8],
        max_failures: i64,
        audit: &AuditRecord,
    ) -> Result<i64, StoreError>;
    /// Like `session_account`, without counting as activity (for an open socket that checks
    /// its session is still live, which must not keep an idle device from locking).
    async fn peek_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<SignedIn>, StoreError>;
    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError>;
    /// A sign-in that waits in `stage` (a second factor, or setting one up): opens nothing else.
    async fn create_pending_session(
        &self,
        id_hash: &[u8],
        user: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
        device: &SessionDevice,
        stage: PendingStage,
    ) -> Result<(), StoreError>;
    /// The account of a sign-in waiting in `stage`.
    async fn pending_account(
        &self,
        id_hash: &[u8],
        now: Timestamp,
        stage: PendingStage,
    ) -> Result<Option<Account>, StoreError>;
    /// Completes a sign-in that waited in `stage`; false if it was not waiting there (so of two
    /// simultaneous completions, one succeeds).
    async fn complete_pending_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
        stage: PendingStage,
    ) -> Result<bool, StoreError>;
    /// Gives a fully signed-in session a new id (its cookie changes once the second step is
    /// done, so a value seen before it opens nothing); false when there is no such session.
    async fn rotate_session(&self, id_hash: &[u8], new_hash: &[u8]) -> Result<bool, StoreError>;
    /// The account's live sessions, the newest activity first; `current` marks this one.
    async fn list_sessions(
        &self,
        user: &UserId,
        current_hash: &[u8],
        now: Timestamp,
    ) -> Result<Vec<SessionView>, StoreError>;
    /// Signs out one of the account's sessions; `NotFound` for anyone else's id.
    async fn end_session(
        &self,
        user: &UserId,
        public_id: &str,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Signs out every session of the account but `keep_hash`; returns how many.
    async fn end_other_sessions(
        &self,
        user: &UserId,
        keep_hash: &[u8],
        audit: &AuditRecord,
    ) -> Result<u64, StoreError>;
}
