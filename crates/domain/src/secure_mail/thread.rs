//! A secure e-mail as it is stored and read back: the message, each recipient's copy, and the
//! thread of posts (the sender's text first, then the answers of guests and staff).

use crate::mail::Outgoing;
use crate::validate::EmailAddress;
use crate::{RecipientId, SecureMailId, TeamId, Timestamp, UserId};

use super::{Line, Method, PhoneNumber, Status};

/// A secure e-mail about to be stored.
#[derive(Debug)]
pub struct NewSecureMail {
    pub id: SecureMailId,
    pub sender: UserId,
    /// The team it is sent as: its members may answer, and replies are unread for them all.
    pub team: Option<TeamId>,
    pub subject: String,
    pub text: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// The recipients' language ("nl", "en"): of the notifications and, unless a guest chose
    /// another, of the pages.
    pub lang: String,
    pub copies: Vec<NewCopy>,
}

/// One recipient's copy about to be stored, with the notification that tells them.
#[derive(Debug)]
pub struct NewCopy {
    pub id: RecipientId,
    pub email: EmailAddress,
    pub line: Line,
    pub method: Method,
    pub phone: Option<PhoneNumber>,
    /// The keyed hash of the access code, for `Method::AccessCode`.
    pub access_code_hash: Option<Vec<u8>>,
    /// The keyed hash of the notification's link.
    pub link_hash: Vec<u8>,
    pub notice: Outgoing,
}

/// Whether a message can still be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    Open,
    /// The sender withdrew it ("Intrekken").
    Revoked,
    /// Past its expiry; its content is (or is about to be) destroyed.
    Expired,
}

impl MailState {
    pub fn of(revoked: bool, expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        if revoked {
            MailState::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            MailState::Expired
        } else {
            MailState::Open
        }
    }
}

/// A recipient's copy, as a guest's pages need it.
#[derive(Debug, Clone)]
pub struct Copy {
    pub id: RecipientId,
    pub mail: SecureMailId,
    /// Where an e-mail code goes.
    pub email: EmailAddress,
    pub method: Method,
    pub phone: Option<PhoneNumber>,
    pub access_code_hash: Option<Vec<u8>>,
    pub revoked: bool,
    pub expires_at: Option<Timestamp>,
    pub locked_until: Option<Timestamp>,
    /// The sender's name, for "Bericht van …".
    pub sender_name: String,
    /// The sender, told when the guest reports a wrong number.
    pub sender: crate::UserId,
    /// The language the message was sent in ("nl", "en").
    pub lang: String,
}

impl Copy {
    pub fn state(&self, now: Timestamp) -> MailState {
        MailState::of(self.revoked, self.expires_at, now)
    }
}

/// Who wrote a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    Staff {
        id: UserId,
        name: String,
    },
    Guest {
        copy: RecipientId,
        email: EmailAddress,
    },
}

/// One post of the thread.
#[derive(Debug, Clone)]
pub struct Post {
    pub seq: i64,
    pub author: Author,
    pub text: String,
    pub at: Timestamp,
}

/// A post about to be stored.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub mail: SecureMailId,
    pub author: NewAuthor,
    pub text: String,
    pub at: Timestamp,
}

/// Who writes a new post.
#[derive(Debug, Clone)]
pub enum NewAuthor {
    Staff(UserId),
    Guest(RecipientId),
}

/// A recipient as the sender's overview shows them.
#[derive(Debug, Clone)]
pub struct CopyView {
    pub id: RecipientId,
    pub email: EmailAddress,
    pub line: Line,
    pub method: Method,
    pub phone: Option<PhoneNumber>,
    pub status: Status,
    pub sent_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub opened_at: Option<Timestamp>,
    pub replied_at: Option<Timestamp>,
    pub locked_until: Option<Timestamp>,
    /// When the guest said the mobile number is not theirs.
    pub wrong_number_at: Option<Timestamp>,
}

/// A whole secure e-mail: the message, its copies and its thread. The subject and the posts'
/// texts are `None` once the content was destroyed (expired).
#[derive(Debug, Clone)]
pub struct Thread {
    pub id: SecureMailId,
    pub sender: UserId,
    pub sender_name: String,
    pub team: Option<TeamId>,
    pub subject: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub copies: Vec<CopyView>,
    pub posts: Vec<Post>,
}

impl Thread {
    pub fn state(&self, now: Timestamp) -> MailState {
        MailState::of(self.revoked_at.is_some(), self.expires_at, now)
    }

    /// The newest post's number.
    pub fn last_seq(&self) -> i64 {
        self.posts.last().map_or(0, |p| p.seq)
    }

    /// Whether `user` may read and answer it: the sender, or a member of its team (checked
    /// by the caller with the team's members).
    pub fn is_sender(&self, user: &UserId) -> bool {
        &self.sender == user
    }
}

/// One line of a staff member's list of secure e-mails.
#[derive(Debug, Clone)]
pub struct Overview {
    pub id: SecureMailId,
    pub subject: Option<String>,
    pub sender_name: String,
    pub team_name: Option<String>,
    pub recipients: Vec<EmailAddress>,
    pub last_activity: Timestamp,
    pub unread: i64,
    pub revoked: bool,
    pub expires_at: Option<Timestamp>,
}

impl Overview {
    pub fn state(&self, now: Timestamp) -> MailState {
        MailState::of(self.revoked, self.expires_at, now)
    }
}
