//! The signed-in account, from the session cookie. Staff and administrator pages extract
//! `Staff` or `Admin`; anyone else gets "not found", so a patient learns nothing about them.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use spreekuur_domain::Error;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::auth::app_lock;
use spreekuur_domain::ports::PendingStage;
use spreekuur_domain::token::TokenKind;

use super::cookies;
use crate::error::PageError;
use crate::state::AppState;

/// The session behind the cookie as this request finds it (looked up once per request).
#[derive(Clone)]
enum Found {
    Nobody,
    SignedIn(Box<Session>),
    /// Signed in, but the app lock is closed: nothing opens but the lock screen.
    Locked,
}

async fn found(parts: &mut Parts, state: &AppState) -> Result<Found, PageError> {
    if let Some(cached) = parts.extensions.get::<Found>() {
        return Ok(cached.clone());
    }
    let found = match cookies::get(&parts.headers, cookies::SESSION, state.cfg.secure_cookies()) {
        Some(token) => {
            let hash = state.tokens.hash(TokenKind::Session, &token);
            let now = state.clock.now();
            match state.store.session_account(&hash, now).await? {
                None => Found::Nobody,
                Some(signed) => match &signed.lock {
                    None => Found::SignedIn(Box::new(Session {
                        account: signed.account,
                        hash,
                        lock: None,
                    })),
                    Some(lock) => {
                        let minutes = state.lock_minutes().await?;
                        let key = cookies::get(
                            &parts.headers,
                            cookies::UNLOCK,
                            state.cfg.secure_cookies(),
                        )
                        .map(|t| state.tokens.hash(TokenKind::Unlock, &t));
                        match app_lock::locked(
                            lock,
                            key.as_deref(),
                            signed.last_seen_at,
                            now,
                            minutes,
                        ) {
                            None => Found::SignedIn(Box::new(Session {
                                lock: Some(lock.clone()),
                                account: signed.account,
                                hash,
                            })),
                            Some(why) => {
                                if why != app_lock::Locked::Still {
                                    state.store.lock_now(&hash).await?;
                                }
                                Found::Locked
                            }
                        }
                    }
                },
            }
        }
        None => Found::Nobody,
    };
    parts.extensions.insert(found.clone());
    Ok(found)
}

/// A signed-in, unlocked session: its account, the hash of its cookie and its app lock.
#[derive(Clone)]
pub struct Session {
    pub account: Account,
    pub hash: Vec<u8>,
    pub lock: Option<app_lock::AppLock>,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match found(parts, state).await? {
            Found::SignedIn(s) => Ok(*s),
            Found::Locked => Err(PageError::Locked),
            Found::Nobody => Err(nobody(parts, state).await?),
        }
    }
}

/// Where a page that needs a signed-in user sends someone who is not: to set up the second
/// step (signed in by password, the practice asks for more), or to the login.
async fn nobody(parts: &Parts, state: &AppState) -> Result<PageError, PageError> {
    Ok(
        if waiting(state, &parts.headers, PendingStage::Enrol)
            .await?
            .is_some()
        {
            PageError::Enrol
        } else {
            PageError::Login
        },
    )
}

/// The account behind the session cookie, if any and not locked.
pub struct MaybeUser(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(match found(parts, state).await? {
            Found::SignedIn(s) => Some(s.account),
            Found::Nobody | Found::Locked => None,
        }))
    }
}

/// A signed-in account; otherwise the visitor is sent to the login page.
pub struct User(pub Account);

impl FromRequestParts<AppState> for User {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match found(parts, state).await? {
            Found::SignedIn(s) => Ok(User(s.account)),
            Found::Locked => Err(PageError::Locked),
            Found::Nobody => Err(nobody(parts, state).await?),
        }
    }
}

/// A signed-in account, or one that must first set up its second step (the practice asks
/// for two-factor authentication and it has none): the pages that set one up take either.
pub struct Enrolling {
    pub account: Account,
    /// The session is still waiting for a second factor to be set up.
    pub pending: bool,
    session_hash: Vec<u8>,
}

/// The keyed hash of the session cookie this browser sent, if it sent one.
pub fn session_hash(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Vec<u8>> {
    cookies::get(headers, cookies::SESSION, state.cfg.secure_cookies())
        .map(|token| state.tokens.hash(TokenKind::Session, &token))
}

/// The sign-in of this browser that waits on `stage` (`auth::sign_in`): its session hash and
/// account.
pub async fn waiting(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    stage: PendingStage,
) -> Result<Option<(Vec<u8>, Account)>, PageError> {
    let Some(hash) = session_hash(state, headers) else {
        return Ok(None);
    };
    Ok(state
        .store
        .pending_account(&hash, state.clock.now(), stage)
        .await?
        .map(|a| (hash, a)))
}

impl Enrolling {
    /// After a second factor was set up: the waiting session opens the messenger, under a new
    /// id; the answer must set the cookie returned.
    pub async fn complete(&self, state: &AppState) -> Result<Option<HeaderValue>, PageError> {
        if !self.pending {
            return Ok(None);
        }
        let fresh = spreekuur_domain::auth::sign_in::complete(
            &state.signing_in(""),
            &self.session_hash,
            PendingStage::Enrol,
        )
        .await?;
        crate::pages::rotated_cookie(state, fresh)
    }
}

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match found(parts, state).await? {
            Found::SignedIn(s) => {
                return Ok(Enrolling {
                    account: s.account,
                    pending: false,
                    session_hash: Vec::new(),
                });
            }
            Found::Locked => return Err(PageError::Locked),
            Found::Nobody => {}
        }
        match waiting(state, &parts.headers, PendingStage::Enrol).await? {
            Some((session_hash, account)) => Ok(Enrolling {
                account,
                pending: true,
                session_hash,
            }),
            None => Err(PageError::Login),
        }
    }
}

/// A signed-in staff member (administrator, provider or assistant).
pub struct Staff(pub Account);

impl FromRequestParts<AppState> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let User(a) = User::from_request_parts(parts, state).await?;
        if a.role.is_staff() {
            Ok(Staff(a))
        } else {
            Err(Error::NotFound.into())
        }
    }
}

/// A signed-in administrator.
pub struct Admin(pub Account);

impl FromRequestParts<AppState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let User(a) = User::from_request_parts(parts, state).await?;
        if a.role == Role::Admin {
            Ok(Admin(a))
        } else {
            Err(Error::NotFound.into())
        }
    }
}

/// The client's network address, for the audit trail.
pub struct Client(pub String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.cfg.trust_forwarded_for
            && let Some(addr) = forwarded_client(&parts.headers)
        {
            return Ok(Client(addr.to_string()));
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<crate::tls::PeerAddr>>()
            .map(|c| c.0.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(Client(addr))
    }
}

/// The client address that the reverse proxy in front of us added: the last entry of the last
/// `X-Forwarded-For` header. Everything to the left of it came from the client (a proxy
/// appends what it saw to what it was sent), so it cannot be trusted; a last entry that is not
/// an address gives none, and the connection's own address is used.
fn forwarded_client(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    // Bytes, not text: what the client put before the proxy's entry (even bytes that are not
    // ASCII) must not make the proxy's own entry unreadable.
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .as_bytes()
        .rsplit(|b| *b == b',')
        .next()?;
    let entry = std::str::from_utf8(last).ok()?.trim();
    // "203.0.113.7", "2001:db8::1", and with a port: "203.0.113.7:4711", "[2001:db8::1]:4711".
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

/// Where this request comes from, for a new session's entry in "Instellingen".
pub struct Device(pub spreekuur_domain::ports::SessionDevice);

impl FromRequestParts<AppState> for Device {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Client(client) = Client::from_request_parts(parts, state).await?;
        let user_agent: String = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        Ok(Device(spreekuur_domain::ports::SessionDevice {
            public_id: uuid::Uuid::new_v4().simple().to_string(),
            user_agent,
            client,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_address_the_proxy_added_counts_not_what_the_client_sent() {
        // The client sent "1.2.3.4"; the proxy appended the address it saw.
        let h = headers(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(forwarded_client(&h), Some("203.0.113.7".parse().unwrap()));
        // A proxy that adds a header line of its own instead of appending.
        let h = headers(&["1.2.3.4", "2001:db8::1"]);
        assert_eq!(forwarded_client(&h), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(
            forwarded_client(&headers(&["203.0.113.7"])),
            Some("203.0.113.7".parse().unwrap())
        );
    }

    #[test]
    fn the_proxys_entry_is_read_whatever_the_client_wrote_before_it() {
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xffnot-ascii, 203.0.113.7").unwrap(),
        );
        assert_eq!(forwarded_client(&h), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(
            forwarded_client(&headers(&["1.2.3.4, 203.0.113.7:4711"])),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            forwarded_client(&headers(&["1.2.3.4, [2001:db8::1]:4711"])),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            forwarded_client(&headers(&["[2001:db8::1]"])),
            Some("2001:db8::1".parse().unwrap())
        );
    }

    #[test]
    fn no_usable_address_gives_none() {
        assert_eq!(forwarded_client(&HeaderMap::new()), None);
        assert_eq!(
            forwarded_client(&headers(&["203.0.113.7, not-an-address"])),
            None
        );
        assert_eq!(forwarded_client(&headers(&[""])), None);
    }
}
