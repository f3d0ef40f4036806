//! Passkeys and the state of the WebAuthn ceremonies.

use async_trait::async_trait;

use crate::audit::AuditRecord;
use crate::{PasskeyId, StoreError, Timestamp, UserId};

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
