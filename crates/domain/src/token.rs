//! Tokens and codes by kind. A token is a random secret handed to one person (in a link, a
//! cookie or an e-mail); only its keyed hash is stored, and the hash is bound to its kind, so a
//! session cookie never opens an invitation and a PIN only fits the session it locks.
//!
//! The [`TokenIssuer`] port is implemented in `crypto` (HMAC-SHA-256 under the token key).

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

use crate::UserId;
use crate::ports::LinkPurpose;

/// What a token or code is for; part of its keyed hash.
#[derive(Debug, Clone, Copy)]
pub enum TokenKind<'a> {
    /// The browser session cookie.
    Session,
    /// The cookie that shows this browser run unlocked the app lock.
    Unlock,
    /// An API token's secret.
    ApiToken,
    /// The CSRF cookie (its hash is the form token).
    Csrf,
    /// The link in an invitation e-mail.
    Invitation,
    /// A passkey ceremony's id.
    Ceremony,
    /// A setup, set-password or password-reset link.
    Link(LinkPurpose),
    /// A login name, hashed so a throttle key names nobody.
    LoginName,
    /// An app-lock PIN, bound to the (base64url) hash of the session it locks.
    AppLockPin { session: &'a str },
    /// A session code, bound to its request.
    SessionCode { id: &'a str },
    /// A backup code of the authenticator app, bound to its owner.
    BackupCode { user: &'a UserId },
    /// The link in a secure e-mail's notification ("Open bericht").
    SecureMailLink,
    /// The access code of one recipient of a secure e-mail.
    AccessCode { recipient: &'a str },
    /// An sms or e-mail code of one recipient of a secure e-mail.
    SentCode { recipient: &'a str },
    /// A guest's session on a secure e-mail's thread.
    GuestSession,
    /// An address, to find what the sender chose for it last time without storing it readably.
    Address,
}

impl TokenKind<'_> {
    /// The purpose string mixed into the hash. Stored hashes depend on it: never change one.
    pub fn purpose(&self) -> Cow<'static, str> {
        match self {
            TokenKind::Session => "session".into(),
            TokenKind::Unlock => "unlock".into(),
            TokenKind::ApiToken => "api_token".into(),
            TokenKind::Csrf => "csrf".into(),
            TokenKind::Invitation => "invitation".into(),
            TokenKind::Ceremony => "ceremony".into(),
            TokenKind::Link(p) => p.as_str().into(),
            TokenKind::LoginName => "throttle".into(),
            TokenKind::AppLockPin { session } => format!("app_lock:{session}").into(),
            TokenKind::SessionCode { id } => format!("session_code:{id}").into(),
            TokenKind::BackupCode { user } => format!("backup_code:{user}").into(),
            TokenKind::SecureMailLink => "secure_mail_link".into(),
            TokenKind::AccessCode { recipient } => format!("access_code:{recipient}").into(),
            TokenKind::SentCode { recipient } => format!("sent_code:{recipient}").into(),
            TokenKind::GuestSession => "guest_session".into(),
            TokenKind::Address => "address".into(),
        }
    }
}

/// A fresh token and the hash under which it is stored.
pub struct Issued {
    /// The secret itself: goes to its owner only (a link, a cookie), never to a log.
    pub token: Zeroizing<String>,
    pub hash: Vec<u8>,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Issued(..)")
    }
}

/// Issues tokens and computes the keyed hash of one as presented.
pub trait TokenIssuer: Send + Sync {
    /// The hash of a token as typed or clicked; surrounding white space is ignored.
    fn hash(&self, kind: TokenKind<'_>, token: &str) -> Vec<u8>;
    /// A fresh random token of this kind and its hash.
    fn issue(&self, kind: TokenKind<'_>) -> Result<Issued, crate::Error>;
    /// True when `token` hashes to `stored` (compared in constant time).
    fn matches(&self, kind: TokenKind<'_>, token: &str, stored: &[u8]) -> bool;
    /// A fresh random code of `len` characters, each drawn uniformly from `alphabet` (ASCII):
    /// session codes, backup codes, access codes.
    fn code(&self, alphabet: &[u8], len: usize) -> Result<Zeroizing<String>, crate::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The purposes are part of hashes already stored (sessions, links, API tokens): a changed
    /// string would sign everybody out and break every link in an inbox.
    #[test]
    fn purposes_are_the_stored_ones() {
        let user = UserId::parse("0190b2c4-1d2e-7000-8000-000000000001").expect("uuid");
        let cases = [
            (TokenKind::Session, "session"),
            (TokenKind::Unlock, "unlock"),
            (TokenKind::ApiToken, "api_token"),
            (TokenKind::Csrf, "csrf"),
            (TokenKind::Invitation, "invitation"),
            (TokenKind::Ceremony, "ceremony"),
            (TokenKind::Link(LinkPurpose::Setup), "setup"),
            (TokenKind::Link(LinkPurpose::SetPassword), "set_password"),
            (
                TokenKind::Link(LinkPurpose::PasswordReset),
                "password_reset",
            ),
            (TokenKind::LoginName, "throttle"),
            (TokenKind::AppLockPin { session: "abc" }, "app_lock:abc"),
            (TokenKind::SessionCode { id: "x1" }, "session_code:x1"),
            (TokenKind::SecureMailLink, "secure_mail_link"),
            (TokenKind::AccessCode { recipient: "r1" }, "access_code:r1"),
            (TokenKind::GuestSession, "guest_session"),
            (TokenKind::Address, "address"),
        ];
        for (kind, purpose) in cases {
            assert_eq!(kind.purpose(), purpose);
        }
        assert_eq!(
            TokenKind::BackupCode { user: &user }.purpose(),
            "backup_code:0190b2c4-1d2e-7000-8000-000000000001"
        );
    }
}
