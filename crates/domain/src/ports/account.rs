//! Accounts, the practice and the single-use links (setup, set password, password reset).

use async_trait::async_trait;

use crate::account::{Account, NewAccount, Practice};
use crate::audit::AuditRecord;
use crate::mail::Outgoing;
use crate::{Error, StoreError, Timestamp, UserId};

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
