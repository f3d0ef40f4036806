//! The bearer token of an API request (and of a socket opened with one): the account behind
//! it, within the token's rate limit.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use spreekuur_domain::Error;
use spreekuur_domain::account::Account;
use spreekuur_domain::ports::ApiToken;
use spreekuur_domain::token::TokenKind;

use super::error::ApiFailure;
use crate::state::AppState;

/// Requests per minute of a token without its own limit.
pub const DEFAULT_RATE_PER_MINUTE: i64 = 600;

/// The account behind a valid bearer token, within the token's rate limit.
pub struct TokenUser {
    pub account: Account,
    #[allow(dead_code)]
    pub token: ApiToken,
}

impl FromRequestParts<AppState> for TokenUser {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        token_user(state, &parts.headers)
            .await?
            .ok_or_else(|| Error::BadCredentials.into())
    }
}

/// The account of the bearer token in `headers`: None without one, `BadCredentials` for an
/// unknown or revoked one, `RateLimited` past its limit.
pub async fn token_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<TokenUser>, ApiFailure> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with("spk_"))
        .ok_or(Error::BadCredentials)?;
    let now = state.clock.now();
    let (token, account) = state
        .store
        .token_account(&state.tokens.hash(TokenKind::ApiToken, secret), now)
        .await?
        .ok_or(Error::BadCredentials)?;
    let limit = token.rate_per_minute.unwrap_or(DEFAULT_RATE_PER_MINUTE);
    if limit > 0 && !state.api_rate.allow(&token.id, limit, now.millis()) {
        // The count is per clock minute: the next one starts at the next whole minute.
        let next_minute = spreekuur_domain::Timestamp((now.millis() / 60_000 + 1) * 60_000);
        return Err(Error::RateLimited {
            until: next_minute,
            wait_secs: (next_minute.millis() - now.millis() + 999) / 1000,
        }
        .into());
    }
    Ok(Some(TokenUser { account, token }))
}
