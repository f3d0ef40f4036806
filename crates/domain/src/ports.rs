//! The ports: what the domain needs from storage. One adapter (`spreekuur-store`) implements
//! them for SQLite and PostgreSQL. A write in a journey is one call and one transaction,
//! including the e-mail it causes (outbox) and its audit record, so "committed" means "the mail
//! will go out and the access is on record".

use async_trait::async_trait;

use crate::account::{Account, NewAccount, Practice};
use crate::audit::{AuditRecord, ChainReport};
use crate::auth::app_lock::AppLock;
use crate::auth::session_code::{CodeProblem, CodeState};
use crate::auth::throttle::Throttle;
use crate::conversation::{ConversationSummary, Message, Posted, Thread};
use crate::file::{Attachment, FileKind, FileListing};
use crate::group::Person;
use crate::invitation::{Invitation, NewInvitation};
use crate::mail::{OutboxItem, Outgoing};
use crate::team::{Team, TeamConversation};
use crate::{
    ConversationId, Error, FileId, InvitationId, OutboxId, PasskeyId, StoreError, TeamId,
    Timestamp, TokenId, UserId,
};

/// What a single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Creates the practice and its first administrator (printed at first start).
    Setup,
    /// Lets a staff member (or anyone, later) set a password.
    SetPassword,
    /// "Wachtwoord vergeten": sets a new password.
    PasswordReset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::SetPassword => "set_password",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

/// A single-use link token, stored only as its keyed hash.
#[derive(Debug, Clone)]
pub struct NewLinkToken {
    pub hash: Vec<u8>,
    pub purpose: LinkPurpose,
    pub user: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Accounts, the practice and single-use links.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn practice(&self) -> Result<Option<Practice>, StoreError>;
    async fn update_practice(
        &self,
        practice: &Practice,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Creates the practice (from the shell); `Conflict` if it exists.
    async fn create_practice(
        &self,
        practice: &Practice,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn staff_count(&self) -> Result<i64, StoreError>;
    async fn account(&self, id: &UserId) -> Result<Option<Account>, StoreError>;
    /// Finds an account by e-mail address or username (both compared lower-case), with its
    /// password hash.
    async fn account_for_login(
        &self,
        login: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError>;
    async fn list_staff(&self) -> Result<Vec<Account>, StoreError>;
    /// Creates an account with an optional set-password link (and its e-mail). `Conflict` when
    /// the e-mail address or username is taken.
    async fn create_account(
        &self,
        account: &NewAccount,
        link: Option<&NewLinkToken>,
        mail: Option<&Outgoing>,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn set_active(&self, id: &UserId, active: bool, audit: &AuditRecord)
    -> Result<(), Error>;
    /// Whether others may see that this person has read their messages.
    async fn set_send_read_receipts(&self, id: &UserId, on: bool) -> Result<(), StoreError>;
    /// Stores a link token; a new one voids every unused older one of the same purpose and user.
    async fn issue_link(
        &self,
        link: &NewLinkToken,
        mail: Option<&Outgoing>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Checks a link without using it (to show the page): `Expired`, `Used` or `NotFound`.
    async fn check_link(
        &self,
        hash: &[u8],
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<UserId>, Error>;
    /// Uses the setup link and creates the practice and its first administrator, atomically.
    async fn redeem_setup(
        &self,
        hash: &[u8],
        now: Timestamp,
        practice: &Practice,
        admin: &NewAccount,
        audit: &[AuditRecord],
    ) -> Result<(), Error>;
    /// Uses a set-password link: sets the hash and returns whose password it was.
    async fn redeem_password_link(
        &self,
        hash: &[u8],
        purpose: LinkPurpose,
        now: Timestamp,
        password_hash: &str,
        mail: Option<&Outgoing>,
        audit: AuditRecord,
    ) -> Result<UserId, Error>;
    /// When the newest link of this purpose for this account was made, if any is unused.
    async fn latest_open_link(
        &self,
        user: &UserId,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError>;
}

/// Login throttling (see `auth::throttle`), shared by every node through the database.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    async fn throttle(&self, key: &str) -> Result<Throttle, StoreError>;
    async fn clear_throttle(&self, key: &str) -> Result<(), StoreError>;
    /// Counts one attempt at `now` before it is checked, atomically across nodes: `Err(until)`
    /// while the key is blocked (nothing is counted then), else the record with this attempt
    /// counted as a failure (a right answer then clears the key).
    async fn take_attempt(
        &self,
        key: &str,
        now: Timestamp,
        free: i64,
    ) -> Result<Result<Throttle, Timestamp>, StoreError>;
    /// Takes back one attempt counted by `take_attempt` that turned out right (a client
    /// address's count, which a success must not raise); with `free` as counted.
    async fn forgive_attempt(&self, key: &str, free: i64) -> Result<(), StoreError>;
}

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

/// An account's authenticator-app credential.
pub struct TotpRecord {
    /// The shared secret, opened from its sealed column.
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: Option<i64>,
    pub backup_codes_left: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("enabled", &self.enabled)
            .field("backup_codes_left", &self.backup_codes_left)
            .finish_non_exhaustive()
    }
}

/// Two-factor authentication with an authenticator app ("Tweefactorauthenticatie").
#[async_trait]
pub trait TotpStore: Send + Sync {
    /// Stores a new, not yet confirmed secret (replacing an unconfirmed one).
    async fn begin_totp(
        &self,
        user: &UserId,
        secret: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError>;
    async fn totp(&self, user: &UserId) -> Result<Option<TotpRecord>, StoreError>;
    /// Confirms the secret with its first code's step, and stores the backup codes' hashes.
    async fn enable_totp(
        &self,
        user: &UserId,
        step: i64,
        backup_hashes: &[Vec<u8>],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Accepts a step exactly once (a replayed code, or the same code twice at once, fails).
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, StoreError>;
    /// Uses a backup code exactly once.
    async fn use_backup_code(
        &self,
        user: &UserId,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn disable_totp(&self, user: &UserId, audit: &AuditRecord) -> Result<(), StoreError>;
}

/// A passkey as stored: the credential itself is opaque to the domain (the WebAuthn library's
/// serialised form, opened from its sealed column).
#[derive(Clone)]
pub struct PasskeyRecord {
    pub id: PasskeyId,
    pub user: UserId,
    /// What the user called it ("Mijn telefoon").
    pub name: String,
    pub credential_id: Vec<u8>,
    pub credential: Vec<u8>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl std::fmt::Debug for PasskeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyRecord")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What a WebAuthn ceremony is for; its state may only be taken back for the same purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Adding a passkey in Instellingen.
    Register,
    /// Signing in with a passkey, without a password.
    SignIn,
    /// The passkey as the second step after the password.
    SecondStep,
    /// The device's fingerprint or face (a passkey) opening the app lock.
    Unlock,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Register => "register",
            CeremonyPurpose::SignIn => "sign_in",
            CeremonyPurpose::SecondStep => "second_step",
            CeremonyPurpose::Unlock => "unlock",
        }
    }
}

/// Passkeys and the server-side state of the WebAuthn ceremonies that make and use them.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Stores a new passkey; false (and nothing stored) when its credential is already
    /// registered, to anyone.
    async fn add_passkey(
        &self,
        key: &PasskeyRecord,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// The account's passkeys, oldest first.
    async fn passkeys(&self, user: &UserId) -> Result<Vec<PasskeyRecord>, StoreError>;
    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<PasskeyRecord>, StoreError>;
    /// Records a use, with the credential's updated state (counter, backup flags) if it changed.
    async fn passkey_used(
        &self,
        key: &PasskeyRecord,
        updated: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Removes one of the user's own passkeys; false when there is no such passkey of theirs.
    async fn remove_passkey(
        &self,
        user: &UserId,
        id: &PasskeyId,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Keeps a ceremony's state until `expires_at` under the hash of its random id.
    async fn save_ceremony(
        &self,
        id_hash: &[u8],
        user: Option<&UserId>,
        purpose: CeremonyPurpose,
        state: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Takes a live ceremony's state back exactly once (a second take, even at the same time,
    /// finds nothing): the user it was started for, and the state.
    async fn take_ceremony(
        &self,
        id_hash: &[u8],
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<(Option<UserId>, Vec<u8>)>, StoreError>;
}

/// What an administrator does for a person who lost a device or fears someone else got in,
/// after checking who they are.
#[async_trait]
pub trait AccountAdminStore: Send + Sync {
    /// Accounts whose name or e-mail address contains `query` (case-insensitive), at most
    /// `limit`, by last name.
    async fn search_accounts(&self, query: &str, limit: i64) -> Result<Vec<Account>, StoreError>;
    /// Signs out every session of the account (including those waiting for a second step) and
    /// revokes its API tokens; queues the notice and writes the audit record in the same
    /// transaction. Returns how many sessions.
    async fn end_all_sessions(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError>;
    /// Removes the authenticator app, its backup codes and every passkey, signs out every
    /// session and revokes every API token: the next sign-in takes the practice's second step
    /// (or sets one up anew).
    async fn reset_second_step(
        &self,
        user: &UserId,
        notice: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}

/// A personal access token, as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub user: UserId,
    pub name: String,
    /// Requests per minute: None is the default; Some(0) no limit.
    pub rate_per_minute: Option<i64>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// Personal access tokens for the JSON API (staff and integrations).
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Stores a token under the keyed hash of its secret.
    async fn create_token(
        &self,
        token: &ApiToken,
        hash: &[u8],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The live token with this hash and its active account; records the use (at most once a
    /// minute).
    async fn token_account(
        &self,
        hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(ApiToken, Account)>, StoreError>;
    /// The user's live tokens, newest first.
    async fn tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes one of the user's own tokens; false when there is no such live token of theirs.
    async fn revoke_token(
        &self,
        user: &UserId,
        id: &TokenId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Sets any live token's rate (administrators): None the default, Some(0) no limit;
    /// false when there is no such live token.
    async fn set_token_rate(
        &self,
        id: &TokenId,
        rate_per_minute: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
}

/// Invitations and their answers.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores the invitation, its e-mail and the audit records in one transaction.
    async fn create_invitation(
        &self,
        new: &NewInvitation,
        mail: &Outgoing,
        audit: &[AuditRecord],
    ) -> Result<(), Error>;
    async fn invitation_by_token(&self, hash: &[u8]) -> Result<Option<Invitation>, StoreError>;
    async fn invitation(&self, id: &InvitationId) -> Result<Option<Invitation>, StoreError>;
    /// Every invitation of the practice, newest first.
    async fn list_invitations(&self) -> Result<Vec<Invitation>, StoreError>;
    /// Marks a `Sent` invitation `Opened` (the landing page was shown). No-op otherwise.
    async fn mark_opened(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Replaces the link (the old one stops working), extends the validity and queues the mail.
    async fn resend_invitation(
        &self,
        id: &InvitationId,
        new_hash: &[u8],
        now: Timestamp,
        expires_at: Timestamp,
        mail: &Outgoing,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn withdraw_invitation(
        &self,
        id: &InvitationId,
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    async fn decline_invitation(
        &self,
        hash: &[u8],
        now: Timestamp,
        audit: &AuditRecord,
    ) -> Result<(), Error>;
    /// Accepts with a new account: uses the link (exactly once), creates the account with the
    /// invitation's e-mail address, opens the conversation with the inviter and posts the
    /// personal note as its first message. Returns the new account and the conversation.
    async fn accept_with_new_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &NewAccount,
        client: &str,
    ) -> Result<(UserId, ConversationId), Error>;
    /// Accepts for an existing (signed-in) patient account.
    async fn accept_with_existing_account(
        &self,
        hash: &[u8],
        now: Timestamp,
        account: &UserId,
        client: &str,
    ) -> Result<ConversationId, Error>;
}

/// Conversations and messages (minimal here; the messenger issue extends it).
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The 1:1 conversation of `a` and `b`, opened if they have none yet (then true); two
    /// calls at once for one pair make one conversation.
    async fn open_direct(
        &self,
        a: &UserId,
        b: &UserId,
        now: Timestamp,
    ) -> Result<(ConversationId, bool), StoreError>;
    /// The user's conversations, the most recent activity first, with unread counts.
    async fn conversations_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// The newest `newest` messages of a conversation the user is a member of, which counts
    /// as reading them all; `NotFound` otherwise (also for ids that do not exist, so nobody
    /// learns which ids do). Staff reads of a patient's conversation are audited.
    async fn read_conversation(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
        newest: i64,
    ) -> Result<Thread, Error>;
    /// Stores a message at the conversation's next position. With a `client_id` the sender
    /// already used in this conversation, returns that message instead (a retry).
    async fn post_message(
        &self,
        id: &ConversationId,
        sender: &Account,
        body: &str,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error>;
    /// Up to `limit` messages after position `after`, for a member (live delivery and resume).
    async fn messages_after(
        &self,
        id: &ConversationId,
        reader: &UserId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, Error>;
    /// Puts a staff member's reading of a patient's conversation on record (live delivery,
    /// once per connection); nothing for others. `NotFound` when the reader is not a member.
    async fn record_read(
        &self,
        id: &ConversationId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<(), Error>;
    /// Sets the conversation's external id (the practice system's patient or episode number),
    /// by a staff member in it; None clears it. Audited.
    async fn set_external_id(
        &self,
        id: &ConversationId,
        by: &Account,
        external_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The user's conversations carrying this external id.
    async fn conversations_by_external_id(
        &self,
        user: &UserId,
        external_id: &str,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// The current members of a conversation, for one of them; `NotFound` otherwise.
    async fn conversation_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Vec<crate::group::Person>, Error>;
    /// A conversation's external id, for a member.
    async fn external_id(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<String>, Error>;
    /// Records that the member has seen the conversation up to `seq`.
    async fn mark_read(&self, id: &ConversationId, reader: &UserId, seq: i64) -> Result<(), Error>;
    /// How far every other member has read, as `viewer` may see it (0 when the practice shows
    /// no read receipts; someone who sends none counts as having read nothing). `NotFound`
    /// for anyone not in the conversation.
    async fn read_up_to(&self, id: &ConversationId, viewer: &UserId) -> Result<i64, Error>;
}

/// E-mail notices of unread messages, and who is online (has the messenger open).
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Notes an open socket of `user`, online until `until` unless renewed.
    async fn set_present(
        &self,
        socket: &str,
        user: &UserId,
        until: Timestamp,
    ) -> Result<(), StoreError>;
    /// The socket closed.
    async fn set_absent(&self, socket: &str) -> Result<(), StoreError>;
    /// Whether this person wants the e-mails.
    async fn set_notify_email(&self, user: &UserId, on: bool) -> Result<(), StoreError>;
    /// People to tell: they want it, are not online, have a message from someone else unread
    /// that arrived after their last notice, and had no notice within `window_ms`.
    async fn due_notices(&self, now: Timestamp, window_ms: i64)
    -> Result<Vec<Account>, StoreError>;
    /// Queues the notice for `user` if (still) due, in one transaction with the mark that
    /// starts the next window; false when another node was first.
    async fn send_notice(
        &self,
        user: &UserId,
        now: Timestamp,
        window_ms: i64,
        mail: &Outgoing,
    ) -> Result<bool, StoreError>;
}

/// Teams and their conversations.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Every team with its members, by name.
    async fn teams(&self) -> Result<Vec<Team>, StoreError>;
    /// A new team (administrators); `Conflict("team.name_taken")` for a name in use.
    async fn create_team(
        &self,
        by: &Account,
        name: &str,
        purpose: &str,
        now: Timestamp,
        client: &str,
    ) -> Result<TeamId, Error>;
    /// Adds an active staff member to a team and to its conversations (administrators); the
    /// conversations they joined (none when they were in the team already).
    async fn add_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<Vec<ConversationId>, Error>;
    /// Takes someone out of a team and out of its conversations (administrators); a
    /// conversation they had taken is free again.
    async fn remove_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The patient's conversation with a team, opened if there is none (then true).
    async fn open_team_conversation(
        &self,
        team: &TeamId,
        patient: &Account,
        now: Timestamp,
        client: &str,
    ) -> Result<(ConversationId, bool), Error>;
    /// Sets a team's own weekly hours (administrators); None: the practice's apply. Audited.
    async fn set_team_hours(
        &self,
        team: &TeamId,
        by: &Account,
        hours: Option<crate::team::Week>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The own weekly hours of the team behind a conversation, for any member of it; None when
    /// it is no team conversation or its team keeps the practice's hours.
    async fn team_hours(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<crate::team::TeamHours>, Error>;
    /// The team behind a conversation, for a staff member in it; None for other conversations.
    async fn team_conversation(
        &self,
        id: &ConversationId,
        viewer: &Account,
    ) -> Result<Option<TeamConversation>, Error>;
    /// Gives a team conversation to a member of the team (oneself: "Ik pak dit op"), by a staff
    /// member in it; `NotFound` otherwise.
    async fn assign(
        &self,
        id: &ConversationId,
        by: &Account,
        to: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
}

/// Contacts and group conversations ("Contacten", "Groepen").
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Everyone the user may reach (`group::may_reach`), by last name.
    async fn contacts_for(&self, user: &Account) -> Result<Vec<Person>, StoreError>;
    /// A named group of the staff member `creator` and people they may reach (at most one
    /// patient); `NotFound` for anyone they may not reach.
    async fn create_group(
        &self,
        creator: &Account,
        name: &str,
        members: &[UserId],
        now: Timestamp,
        client: &str,
    ) -> Result<ConversationId, Error>;
    /// A group's name and current members, for one of them; `NotFound` otherwise.
    async fn group_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<(String, Vec<Person>), Error>;
    /// Adds someone `by` (a staff member of the group) may reach; false when already in it.
    async fn add_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<bool, Error>;
    /// Removes a member (not oneself): from now on they read nothing of the conversation.
    async fn remove_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error>;
    /// The user's group conversations, most recent activity first.
    async fn groups_for(&self, user: &UserId) -> Result<Vec<ConversationSummary>, StoreError>;
}

/// How an upload starts.
pub enum FileStart {
    /// A new file: its id and its own key (raw, to encrypt the content with; the store keeps
    /// it only sealed by the key ring).
    New {
        id: FileId,
        key: zeroize::Zeroizing<Vec<u8>>,
    },
    /// The uploader already sent a file with this client id: that message (a retry).
    Retry(Box<Posted>),
}

impl std::fmt::Debug for FileStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileStart::New { id, .. } => write!(f, "New({id:?})"),
            FileStart::Retry(p) => write!(f, "Retry({:?})", p.message.id),
        }
    }
}

/// A file a member may read: what it is, where it was sent, and its key.
pub struct OpenedFile {
    pub file: Attachment,
    pub conversation: ConversationId,
    pub key: zeroize::Zeroizing<Vec<u8>>,
}

/// Files sent in conversations: metadata and keys in the database, content in the blob store.
/// A file is pending (seen by nobody) from its start until the message that carries it is
/// committed; pending files left behind by a failed or cut-off upload are removed.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Starts an upload by a member of the conversation (`NotFound` for anyone else).
    async fn begin_file(
        &self,
        conversation: &ConversationId,
        uploader: &UserId,
        name: &str,
        client_id: Option<&str>,
        now: Timestamp,
    ) -> Result<FileStart, Error>;
    /// The content is in the blob store: posts the message that carries the file, in one
    /// transaction with its audit record.
    async fn commit_file(
        &self,
        file: &FileId,
        uploader: &Account,
        content_type: &str,
        kind: FileKind,
        size: u64,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error>;
    /// Forgets a pending file (an upload that failed or was cancelled); false when there was
    /// no pending file (it was committed meanwhile, or is gone already).
    async fn abandon_file(&self, file: &FileId) -> Result<bool, StoreError>;
    /// A file for a member of its conversation, on record in the audit trail (every download
    /// and preview); `NotFound` for anyone else and for pending files.
    async fn open_file(
        &self,
        file: &FileId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<OpenedFile, Error>;
    /// The files in the user's conversations, newest first, optionally of one conversation
    /// (`NotFound` when not theirs) and one kind. A staff member's listing is audited, once per
    /// patient whose files it shows.
    async fn files_for(
        &self,
        user: &UserId,
        conversation: Option<&ConversationId>,
        kind: Option<FileKind>,
        limit: i64,
        client: &str,
        now: Timestamp,
    ) -> Result<Vec<FileListing>, Error>;
    /// Pending files started before `before` (their upload died with its process).
    async fn stale_files(&self, before: Timestamp) -> Result<Vec<FileId>, StoreError>;
}

/// Where file content lives: a local directory now, S3-compatible storage later. Blobs are
/// written once, in pieces, and become visible under their key only when committed.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A new blob under `key`, written in pieces. Dropped without `commit`, it leaves nothing.
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError>;
    /// Reads a committed blob.
    async fn open(&self, key: &str) -> Result<Box<dyn BlobReader>, StoreError>;
    /// Removes a blob; removing one that is not there is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Removes uncommitted pieces last written before `before` (a process that died
    /// mid-write); returns how many.
    async fn sweep(&self, before: Timestamp) -> Result<usize, StoreError>;
}

/// A blob being written.
#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;
    /// Makes the blob durable and visible under its key.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A blob being read.
#[async_trait]
pub trait BlobReader: Send {
    /// Reads up to `buf.len()` bytes; 0 at the end.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, StoreError>;
}

/// The transactional outbox of e-mail.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Takes the oldest due item under a lease of `lease_ms`, so that one worker (on any node)
    /// sends it; an expired lease makes it due again (the worker died mid-send).
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<OutboxItem>, StoreError>;
    /// Records delivery and wipes the body (it carries single-use links).
    async fn outbox_sent(&self, id: &OutboxId, now: Timestamp) -> Result<(), StoreError>;
    /// Records a failed attempt; `retry_at = None` gives up for good.
    async fn outbox_failed(
        &self,
        id: &OutboxId,
        retry_at: Option<Timestamp>,
        reason: &str,
    ) -> Result<(), StoreError>;
    /// Items not yet delivered.
    async fn outbox_depth(&self) -> Result<i64, StoreError>;
    /// The newest items, for the development mailbox.
    async fn outbox_recent(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError>;
}

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record on its own (an event that changes nothing else, like a failed login).
    async fn audit(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// Checks every link of the chain.
    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError>;
}

/// Health of the store itself.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// The database answers and every migration the binary knows is applied.
    async fn ready(&self) -> Result<(), StoreError>;
}

/// Everything the web adapter needs, as one object.
pub trait Store:
    AccountStore
    + SessionStore
    + InvitationStore
    + ConversationStore
    + OutboxStore
    + AuditStore
    + ThrottleStore
    + SessionCodeStore
    + TotpStore
    + PasskeyStore
    + AccountAdminStore
    + ApiTokenStore
    + FileStore
    + GroupStore
    + NoticeStore
    + TeamStore
    + HealthStore
{
}

impl<T> Store for T where
    T: AccountStore
        + SessionStore
        + InvitationStore
        + ConversationStore
        + OutboxStore
        + AuditStore
        + ThrottleStore
        + SessionCodeStore
        + TotpStore
        + PasskeyStore
        + AccountAdminStore
        + ApiTokenStore
        + FileStore
        + GroupStore
        + NoticeStore
        + TeamStore
        + HealthStore
{
}
