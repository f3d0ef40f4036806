//! The password step of signing in, for the login page and the invitation's "Ik heb al een
//! account". An unknown account and a wrong password get the same answer after the same work
//! (a dummy Argon2 verification), so neither the text nor the timing says which accounts
//! exist. Guesses are counted per login name and per client address before the password is
//! checked (`throttle`), across sessions and nodes; every attempt is audited.

use async_trait::async_trait;
use base64::Engine;

use super::throttle;
use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::ports::{AccountStore, AuditStore, ThrottleStore};
use crate::token::{TokenIssuer, TokenKind};
use crate::{Error, Timestamp};

/// Passwords and their stored hashes (Argon2id, on a blocking thread).
#[async_trait]
pub trait PasswordCheck: Send + Sync {
    /// Checks a password against its stored hash; `None` spends the same time on a dummy hash.
    async fn verify(&self, password: &str, phc: Option<&str>) -> bool;
    /// The hash to store for a new password.
    async fn hash(&self, password: &str) -> Result<String, Error>;
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum Outcome {
    SignedIn(Account),
    Failed,
    /// Too many failures: the next attempt is possible at this time.
    Blocked(Timestamp),
}

/// What the password step needs besides its input.
#[derive(Clone, Copy)]
pub struct Checking<'a> {
    pub accounts: &'a dyn AccountStore,
    pub throttles: &'a dyn ThrottleStore,
    pub audit: &'a dyn AuditStore,
    pub tokens: &'a dyn TokenIssuer,
    pub passwords: &'a dyn PasswordCheck,
    pub now: Timestamp,
    /// The client address: counted, and written in the audit trail.
    pub client: &'a str,
}

/// The throttle key of a typed login name: a keyed hash, so no address is stored in clear.
pub fn login_name_key(tokens: &dyn TokenIssuer, login: &str) -> String {
    let hash = tokens.hash(TokenKind::LoginName, &login.trim().to_lowercase());
    throttle::login_key(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash))
}

/// Checks a login name and password.
pub async fn authenticate(c: Checking<'_>, login: &str, password: &str) -> Result<Outcome, Error> {
    let now = c.now;
    let login_key = login_name_key(c.tokens, login);
    let client_key = throttle::client_key(c.client);
    let throttled = |until| async move {
        let rec = AuditRecord::new(now, Action::LoginThrottled, c.client).failed();
        c.audit.audit(&rec).await?;
        Ok::<_, Error>(Outcome::Blocked(until))
    };
    // Both attempts are counted before the password is checked, so guesses sent at the same
    // moment (from any node) cannot all pass the count. A right password clears the login
    // name's count and takes its attempt back from the address's.
    let by_client = match c
        .throttles
        .take_attempt(&client_key, now, throttle::PER_CLIENT_FREE)
        .await?
    {
        Ok(counted) => counted,
        Err(until) => return throttled(until).await,
    };
    let by_login = match c
        .throttles
        .take_attempt(&login_key, now, throttle::PER_LOGIN_FREE)
        .await?
    {
        Ok(counted) => counted,
        Err(until) => {
            // Not checked at all: not a guess from this address either.
            c.throttles
                .forgive_attempt(&client_key, throttle::PER_CLIENT_FREE)
                .await?;
            return throttled(until).await;
        }
    };
    let (account, hash) = match c.accounts.account_for_login(login).await? {
        Some((a, h)) if a.active => (Some(a), h),
        _ => (None, None),
    };
    let ok = c.passwords.verify(password, hash.as_deref()).await && account.is_some();
    let action = if ok {
        Action::LoginSucceeded
    } else {
        Action::LoginFailed
    };
    let mut rec = AuditRecord::new(now, action, c.client);
    if let Some(a) = &account {
        rec = rec.actor(&a.id);
    }
    if !ok {
        rec = rec.failed();
    }
    c.audit.audit(&rec).await?;
    match account.filter(|_| ok) {
        Some(account) => {
            c.throttles.clear_throttle(&login_key).await?;
            c.throttles
                .forgive_attempt(&client_key, throttle::PER_CLIENT_FREE)
                .await?;
            Ok(Outcome::SignedIn(account))
        }
        None => Ok(match by_login.blocked(now).max(by_client.blocked(now)) {
            Some(until) => Outcome::Blocked(until),
            None => Outcome::Failed,
        }),
    }
}
