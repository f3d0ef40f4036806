//! The ports: what the domain needs from storage. One adapter (`spreekuur-store`) implements
//! them for SQLite and PostgreSQL. A write in a journey is one call and one transaction,
//! including the e-mail it causes (outbox) and its audit record, so "committed" means "the mail
//! will go out and the access is on record".
//!
//! One file per journey, each with its trait and the records only it uses; everything is
//! re-exported here, so `ports::X` names any of them.

mod account;
mod account_admin;
mod api_token;
mod audit;
mod blob;
mod conversation;
mod file;
mod group;
mod health;
mod invitation;
mod message_writer;
mod notice;
mod outbox;
mod passkey;
mod secure_mail;
mod session;
mod session_code;
mod sms;
mod team;
mod throttle;
mod totp;

pub use account::{AccountStore, LinkPurpose, NewLinkToken};
pub use account_admin::AccountAdminStore;
pub use api_token::{ApiToken, ApiTokenStore};
pub use audit::AuditStore;
pub use blob::{BlobReader, BlobStore, BlobWriter};
pub use conversation::ConversationStore;
pub use file::{FileStart, FileStore, OpenedFile};
pub use group::GroupStore;
pub use health::HealthStore;
pub use invitation::InvitationStore;
pub use message_writer::{ChatMessage, MessageWriter};
pub use notice::NoticeStore;
pub use outbox::OutboxStore;
pub use passkey::{CeremonyPurpose, PasskeyRecord, PasskeyStore};
pub use secure_mail::SecureMailStore;
pub use session::{PendingStage, SessionDevice, SessionStore, SessionView, SignedIn};
pub use session_code::{NewSessionCode, SessionCodeInfo, SessionCodeStore};
pub use sms::{SmsItem, SmsOutboxStore};
pub use team::TeamStore;
pub use throttle::ThrottleStore;
pub use totp::{TotpRecord, TotpStore};

/// Everything the web adapter needs, as one object.
pub trait Store:
    AccountStore
    + SessionStore
    + InvitationStore
    + ConversationStore
    + MessageWriter
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
    + SecureMailStore
    + SmsOutboxStore
{
}

impl<T> Store for T where
    T: AccountStore
        + SessionStore
        + InvitationStore
        + ConversationStore
        + MessageWriter
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
        + SecureMailStore
        + SmsOutboxStore
{
}
