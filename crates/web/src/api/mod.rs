//! The JSON API for practice systems, under `/api/v1`. Authentication is a personal access
//! token (`Authorization: Bearer spk_…`, made in Instellingen or with `spreekuur admin
//! create-token`); the same authorization rules as the web pages apply, because the same store
//! calls make the same checks. The OpenAPI document at `/api/v1/openapi.json` is generated from
//! the annotations on the handlers and types below.

mod admin;
mod conversations;
mod doc;
mod error;
pub(crate) mod files;
mod groups;
mod rules;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::routing::{any, get};
use spreekuur_domain::Error;
use spreekuur_domain::account::Account;
use spreekuur_domain::ports::ApiToken;
use spreekuur_domain::token::TokenKind;

use crate::state::AppState;

/// Requests per minute of a token without its own limit.
pub const DEFAULT_RATE_PER_MINUTE: i64 = 600;

/// The `/api/v1` routes. Every answer under `/api/` is JSON, errors in the shape of
/// [`ApiError`]: a route that does not exist, a method a route does not have and a request an
/// extractor refused included.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(doc::openapi_json))
        .route("/api/v1/me", get(conversations::me))
        .route(
            "/api/v1/conversations",
            get(conversations::list).post(conversations::open),
        )
        .route(
            "/api/v1/conversations/{id}/messages",
            get(conversations::messages).post(conversations::send),
        )
        .route(
            "/api/v1/conversations/{id}/files",
            axum::routing::post(files::upload),
        )
        .route(
            "/api/v1/conversations/{id}/members",
            get(admin::members).post(admin::add_member),
        )
        .route(
            "/api/v1/conversations/{id}/members/{member}",
            axum::routing::delete(admin::remove_member),
        )
        .route(
            "/api/v1/conversations/{id}/external-id",
            axum::routing::put(admin::set_external_id),
        )
        .route("/api/v1/groups", axum::routing::post(groups::create))
        .route(
            "/api/v1/accounts",
            axum::routing::post(admin::create_account),
        )
        .route("/api/v1/tokens", get(admin::tokens))
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::patch(admin::set_token_rate),
        )
        .route("/api/v1/files", get(files::list))
        .route("/api/v1/files/{id}", get(files::download))
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(axum::middleware::map_response(json_errors))
}

pub use doc::ApiDoc;
pub use error::*;

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
