//! The signed-in account, from the session cookie. Staff and administrator pages extract
//! `Staff` or `Admin`; anyone else gets "not found", so a patient learns nothing about them.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use spreekuur_domain::Error;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::ports::PendingStage;

use super::cookies;
use crate::error::PageError;
use crate::state::AppState;

/// The account behind the session cookie, if any.
pub struct MaybeUser(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<CachedUser>() {
            return Ok(MaybeUser(cached.0.clone()));
        }
        let account = match cookies::get(&parts.headers, cookies::SESSION) {
            Some(token) => {
                let hash = state.tokens.hash("session", &token);
                state
                    .store
                    .session_account(&hash, state.clock.now())
                    .await?
            }
            None => None,
        };
        parts.extensions.insert(CachedUser(account.clone()));
        Ok(MaybeUser(account))
    }
}

#[derive(Clone)]
struct CachedUser(Option<Account>);

/// A signed-in account; otherwise the visitor is sent to the login page.
pub struct User(pub Account);

impl FromRequestParts<AppState> for User {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await?.0 {
            Some(a) => Ok(User(a)),
            // Signed in by password but still to set up the second step the practice asks.
            None if Enrolling::pending(parts, state).await?.is_some() => Err(PageError::Enrol),
            None => Err(PageError::Login),
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

impl Enrolling {
    async fn pending(
        parts: &Parts,
        state: &AppState,
    ) -> Result<Option<(Vec<u8>, Account)>, PageError> {
        let Some(token) = cookies::get(&parts.headers, cookies::SESSION) else {
            return Ok(None);
        };
        let hash = state.tokens.hash("session", &token);
        Ok(state
            .store
            .pending_account(&hash, state.clock.now(), PendingStage::Enrol)
            .await?
            .map(|a| (hash, a)))
    }

    /// After a second factor was set up: the waiting session opens the messenger.
    pub async fn complete(&self, state: &AppState) -> Result<(), PageError> {
        if self.pending {
            state
                .store
                .complete_pending_session(
                    &self.session_hash,
                    state.clock.now(),
                    PendingStage::Enrol,
                )
                .await?;
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(account) = MaybeUser::from_request_parts(parts, state).await?.0 {
            return Ok(Enrolling {
                account,
                pending: false,
                session_hash: Vec::new(),
            });
        }
        match Enrolling::pending(parts, state).await? {
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
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|s| s.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(Client(first.to_string()));
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<crate::tls::PeerAddr>>()
            .map(|c| c.0.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(Client(addr))
    }
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
