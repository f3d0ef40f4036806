//! The audit trail (NEN 7513): who, on whose behalf, did what, to which patient's data, when,
//! from where, with what outcome. Records are append-only and hash-chained: each record's hash
//! covers the previous hash and this record's canonical bytes, so changing, removing or
//! reordering a row breaks the chain at that row (`spreekuur admin audit verify` names it).
//!
//! A record is written in the same transaction as the change it describes, never via `tracing`.

use crate::{Timestamp, UserId};

/// What happened. Stored as its `as_str` name; new actions are appended, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PracticeSetUp,
    StaffCreated,
    StaffUpdated,
    PasswordLinkIssued,
    PasswordSet,
    InvitationCreated,
    InvitationSent,
    InvitationResent,
    InvitationOpened,
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    Registered,
    LoginSucceeded,
    LoginFailed,
    Logout,
    ConversationRead,
    MessageSent,
    DevMailboxRead,
    PracticeUpdated,
    LoginThrottled,
    /// A second-step answer refused unchecked: too many wrong ones for the account.
    SecondStepThrottled,
    /// No session code sent: too many for the account this hour.
    SessionCodeLimited,
    PasswordResetRequested,
    PasswordReset,
    SessionCodeSent,
    SessionCodeAccepted,
    SessionCodeRefused,
    SessionEnded,
    OtherSessionsEnded,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorAccepted,
    TwoFactorRefused,
    PasskeyAdded,
    PasskeyRemoved,
    PasskeyAccepted,
    PasskeyRefused,
    AccountViewed,
    SignedOutEverywhere,
    SecondStepReset,
    AppLockEnabled,
    AppLockDisabled,
    AppLockUnlocked,
    AppLockRefused,
    /// The fifth wrong PIN signed the device out.
    AppLockSignedOut,
    TokenCreated,
    TokenRevoked,
    AccountCreatedByApi,
    FileSent,
    /// A file downloaded or previewed.
    FileRead,
    /// A staff member's list of files (their names) that included a patient's.
    FilesListed,
    /// Someone added to a group (also each member when it is made).
    MemberAdded,
    MemberRemoved,
    TeamCreated,
    TeamHoursSet,
    TeamMemberAdded,
    TeamMemberRemoved,
    /// A team conversation taken or handed over.
    ConversationAssigned,
    ExternalIdSet,
    TokenRateSet,
    /// A secure e-mail composed and its notifications queued (one record per recipient).
    SecureMailSent,
    /// An sms or e-mail code queued for a guest.
    SecureMailCodeSent,
    /// A guest's code refused (wrong, expired, or the copy locked).
    SecureMailCodeRefused,
    /// A guest proved who they are and opened the thread.
    SecureMailOpened,
    /// A guest or a staff member answered in the thread.
    SecureMailReplied,
    /// A staff member read the thread.
    SecureMailRead,
    /// The sender withdrew the message ("Intrekken").
    SecureMailRevoked,
    /// The message passed its expiry and its content was destroyed.
    SecureMailExpired,
    /// A guest said the mobile number for their sms code is not theirs.
    SecureMailWrongNumber,
    /// A staff member's list of secure e-mails (their subjects and recipients).
    SecureMailsListed,
    /// The sender sent a recipient's notification again.
    SecureMailResent,
    /// The sender gave a recipient a new access code or switched how they open it.
    SecureMailCodeChanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::PracticeSetUp => "practice.set_up",
            Action::StaffCreated => "staff.created",
            Action::StaffUpdated => "staff.updated",
            Action::PasswordLinkIssued => "password.link_issued",
            Action::PasswordSet => "password.set",
            Action::InvitationCreated => "invitation.created",
            Action::InvitationSent => "invitation.sent",
            Action::InvitationResent => "invitation.resent",
            Action::InvitationOpened => "invitation.opened",
            Action::InvitationAccepted => "invitation.accepted",
            Action::InvitationDeclined => "invitation.declined",
            Action::InvitationWithdrawn => "invitation.withdrawn",
            Action::Registered => "account.registered",
            Action::LoginSucceeded => "login.succeeded",
            Action::LoginFailed => "login.failed",
            Action::Logout => "logout",
            Action::ConversationRead => "conversation.read",
            Action::MessageSent => "message.sent",
            Action::DevMailboxRead => "dev_mailbox.read",
            Action::PracticeUpdated => "practice.updated",
            Action::LoginThrottled => "login.throttled",
            Action::SecondStepThrottled => "second_step.throttled",
            Action::SessionCodeLimited => "session_code.limited",
            Action::PasswordResetRequested => "password.reset_requested",
            Action::PasswordReset => "password.reset",
            Action::SessionCodeSent => "session_code.sent",
            Action::SessionCodeAccepted => "session_code.accepted",
            Action::SessionCodeRefused => "session_code.refused",
            Action::SessionEnded => "session.ended",
            Action::OtherSessionsEnded => "session.others_ended",
            Action::TwoFactorEnabled => "two_factor.enabled",
            Action::TwoFactorDisabled => "two_factor.disabled",
            Action::TwoFactorAccepted => "two_factor.accepted",
            Action::TwoFactorRefused => "two_factor.refused",
            Action::PasskeyAdded => "passkey.added",
            Action::PasskeyRemoved => "passkey.removed",
            Action::PasskeyAccepted => "passkey.accepted",
            Action::PasskeyRefused => "passkey.refused",
            Action::AccountViewed => "account.viewed",
            Action::SignedOutEverywhere => "session.all_ended_by_admin",
            Action::SecondStepReset => "second_step.reset",
            Action::AppLockEnabled => "app_lock.enabled",
            Action::AppLockDisabled => "app_lock.disabled",
            Action::AppLockUnlocked => "app_lock.unlocked",
            Action::AppLockRefused => "app_lock.refused",
            Action::AppLockSignedOut => "app_lock.signed_out",
            Action::TokenCreated => "api_token.created",
            Action::TokenRevoked => "api_token.revoked",
            Action::AccountCreatedByApi => "account.created_by_api",
            Action::FileSent => "file.sent",
            Action::FileRead => "file.read",
            Action::FilesListed => "files.listed",
            Action::MemberAdded => "member.added",
            Action::MemberRemoved => "member.removed",
            Action::TeamCreated => "team.created",
            Action::TeamHoursSet => "team.hours_set",
            Action::TeamMemberAdded => "team.member_added",
            Action::TeamMemberRemoved => "team.member_removed",
            Action::ConversationAssigned => "conversation.assigned",
            Action::ExternalIdSet => "conversation.external_id_set",
            Action::TokenRateSet => "token.rate_set",
            Action::SecureMailSent => "secure_mail.sent",
            Action::SecureMailCodeSent => "secure_mail.code_sent",
            Action::SecureMailCodeRefused => "secure_mail.code_refused",
            Action::SecureMailOpened => "secure_mail.opened",
            Action::SecureMailReplied => "secure_mail.replied",
            Action::SecureMailRead => "secure_mail.read",
            Action::SecureMailRevoked => "secure_mail.revoked",
            Action::SecureMailExpired => "secure_mail.expired",
            Action::SecureMailWrongNumber => "secure_mail.wrong_number",
            Action::SecureMailsListed => "secure_mails.listed",
            Action::SecureMailResent => "secure_mail.resent",
            Action::SecureMailCodeChanged => "secure_mail.code_changed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One audit record before it is chained. No names, addresses or content: ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: Timestamp,
    /// The account that acted; `None` for an anonymous visitor (a link) or the system.
    pub actor: Option<UserId>,
    /// Whom the actor acted for (an assistant for a provider, a system for a user).
    pub on_behalf_of: Option<UserId>,
    pub action: Action,
    /// The patient whose data this touched, when there is one.
    pub patient: Option<UserId>,
    /// The object acted on (an invitation or conversation id), when there is one.
    pub object: Option<String>,
    /// The client's network address, or `cli` for the shell.
    pub source: String,
    pub outcome: Outcome,
}

impl AuditRecord {
    pub fn new(at: Timestamp, action: Action, source: &str) -> Self {
        Self {
            at,
            actor: None,
            on_behalf_of: None,
            action,
            patient: None,
            object: None,
            source: source.to_string(),
            outcome: Outcome::Success,
        }
    }
    pub fn actor(mut self, id: &UserId) -> Self {
        self.actor = Some(id.clone());
        self
    }
    pub fn patient(mut self, id: &UserId) -> Self {
        self.patient = Some(id.clone());
        self
    }
    pub fn object(mut self, id: impl ToString) -> Self {
        self.object = Some(id.to_string());
        self
    }
    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }
}

/// A record as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub patient: Option<String>,
    pub object: Option<String>,
    pub source: String,
    pub outcome: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The bytes a record's hash covers: every field, length-prefixed so that no two different
/// records encode alike, preceded by the sequence number and the previous hash.
pub fn canonical_bytes(
    seq: i64,
    prev_hash: &[u8],
    at: Timestamp,
    fields: [Option<&str>; 7],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"spreekuur-audit-v1");
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&(prev_hash.len() as u32).to_be_bytes());
    out.extend_from_slice(prev_hash);
    out.extend_from_slice(&at.millis().to_be_bytes());
    for f in fields {
        match f {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

impl StoredAuditRecord {
    /// The canonical bytes of this stored row (for verification).
    pub fn canonical(&self) -> Vec<u8> {
        canonical_bytes(
            self.seq,
            &self.prev_hash,
            self.at,
            [
                self.actor.as_deref(),
                self.on_behalf_of.as_deref(),
                Some(&self.action),
                self.patient.as_deref(),
                self.object.as_deref(),
                Some(&self.source),
                Some(&self.outcome),
            ],
        )
    }
}

impl AuditRecord {
    pub fn canonical(&self, seq: i64, prev_hash: &[u8]) -> Vec<u8> {
        canonical_bytes(
            seq,
            prev_hash,
            self.at,
            [
                self.actor.as_ref().map(|u| u.as_str()),
                self.on_behalf_of.as_ref().map(|u| u.as_str()),
                Some(self.action.as_str()),
                self.patient.as_ref().map(|u| u.as_str()),
                self.object.as_deref(),
                Some(&self.source),
                Some(self.outcome.as_str()),
            ],
        )
    }
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub records: i64,
    /// The sequence number of the first record whose link is broken.
    pub first_broken: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_new_records_encode_alike() {
        let actor = UserId::new();
        let rec = AuditRecord::new(Timestamp(5), Action::LoginFailed, "127.0.0.1")
            .actor(&actor)
            .failed();
        let stored = StoredAuditRecord {
            seq: 3,
            at: Timestamp(5),
            actor: Some(actor.to_string()),
            on_behalf_of: None,
            action: "login.failed".into(),
            patient: None,
            object: None,
            source: "127.0.0.1".into(),
            outcome: "failure".into(),
            prev_hash: vec![9; 32],
            hash: vec![],
        };
        assert_eq!(rec.canonical(3, &[9; 32]), stored.canonical());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = canonical_bytes(
            1,
            &[],
            Timestamp(0),
            [Some("ab"), Some("c"), None, None, None, None, None],
        );
        let b = canonical_bytes(
            1,
            &[],
            Timestamp(0),
            [Some("a"), Some("bc"), None, None, None, None, None],
        );
        assert_ne!(a, b);
    }
}
