//! The JSON API for practice systems, under `/api/v1`. Authentication is a personal access
//! token (`Authorization: Bearer spk_…`, made in Instellingen or with `spreekuur admin
//! create-token`); the same authorization rules as the web pages apply, because the same store
//! calls make the same checks. The OpenAPI document at `/api/v1/openapi.json` is generated from
//! the annotations on the handlers and types below.

mod admin;
mod conversations;
pub(crate) mod files;

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::ports::ApiToken;
use spreekuur_domain::{Error, StoreError, TokenId};
use utoipa::{OpenApi, ToSchema};

use crate::state::AppState;

/// Requests per minute of a token without its own limit.
pub const DEFAULT_RATE_PER_MINUTE: i64 = 600;

/// The `/api/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
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
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spreekuur API",
        version = "1",
        description = "Conversations and messages of a Spreekuur server, for practice systems. \
            Authenticate with a personal access token: `Authorization: Bearer spk_…`. \
            Live delivery uses the WebSocket described in docs/websocket.md."
    ),
    paths(
        conversations::me,
        conversations::list,
        conversations::open,
        conversations::messages,
        conversations::send,
        files::upload,
        files::list,
        files::download,
        admin::members,
        admin::add_member,
        admin::remove_member,
        admin::set_external_id,
        admin::create_account,
        admin::tokens,
        admin::set_token_rate
    ),
    components(schemas(
        ApiError,
        ErrorBody,
        conversations::Me,
        conversations::ConversationOut,
        conversations::OpenConversation,
        conversations::MessageOut,
        conversations::MessagePage,
        conversations::NewMessage,
        files::FileOut,
        files::FileListingOut,
        admin::MemberOut,
        admin::NewMember,
        admin::ExternalId,
        admin::NewAccountIn,
        admin::ProvisionedOut,
        admin::TokenOut,
        admin::TokenRate
    ))
)]
pub struct ApiDoc;

/// GET /api/v1/openapi.json
async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// An error as the API reports it.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `not_found`, `invalid`, `forbidden`, `rate_limited`,
    /// `too_large`, `conflict`, `internal`.
    code: &'static str,
    /// What went wrong, in English.
    message: String,
}

/// Domain outcomes as API responses (the API's counterpart of `error.rs`).
#[derive(Debug)]
pub struct ApiFailure(Error);

impl From<Error> for ApiFailure {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self.0 {
            Error::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".to_string()),
            Error::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "forbidden".to_string()),
            Error::Invalid { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {reason}"),
            ),
            Error::TooLarge { max_bytes } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("larger than this server accepts ({max_bytes} bytes)"),
            ),
            Error::BadCredentials => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid token is needed: Authorization: Bearer spk_…".to_string(),
            ),
            Error::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests for this token; try again in a minute".to_string(),
            ),
            Error::Expired | Error::Used | Error::Conflict(_) => {
                (StatusCode::CONFLICT, "conflict", self.0.to_string())
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "api internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_string(),
                )
            }
        };
        let mut r = (
            status,
            Json(ApiError {
                error: ErrorBody { code, message },
            }),
        )
            .into_response();
        if let Error::RateLimited { wait_secs, .. } = &self.0 {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from((*wait_secs).max(1)),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

pub type ApiResult<T> = Result<T, ApiFailure>;
/// A request refused before any handler read it (its text, its size), in the API's error shape.
pub(crate) fn invalid_request(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "invalid"
    };
    (
        status,
        Json(ApiError {
            error: ErrorBody {
                code,
                message: message.to_string(),
            },
        }),
    )
        .into_response()
}

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
        .token_account(&state.tokens.hash("api_token", secret), now)
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

/// Requests per key (a token, a client address) per minute, counted on this node (a fixed
/// one-minute window). Keys of past minutes are dropped once there are many.
pub struct RateCounter<K = TokenId>(Mutex<HashMap<K, (i64, i64)>>);

impl<K> Default for RateCounter<K> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

/// Keys kept before those of past minutes are dropped.
const RATE_KEYS_KEPT: usize = 10_000;

impl<K: std::hash::Hash + Eq + Clone> RateCounter<K> {
    pub fn allow(&self, key: &K, per_minute: i64, now_ms: i64) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return true;
        };
        let window = now_ms / 60_000;
        if map.len() >= RATE_KEYS_KEPT {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(key.clone()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

/// A fresh token secret: `spk_` and 43 characters of base64url (256 random bits).
pub fn new_secret() -> Result<String, Error> {
    let t = spreekuur_crypto::generate_token().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(format!("spk_{}", t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counter_counts_per_token_per_minute() {
        let c = RateCounter::default();
        let a = TokenId::new();
        let b = TokenId::new();
        assert!(c.allow(&a, 2, 0) && c.allow(&a, 2, 10));
        assert!(!c.allow(&a, 2, 20), "third in the same minute");
        assert!(c.allow(&b, 2, 20), "another token counts alone");
        assert!(c.allow(&a, 2, 60_000), "a new minute");
    }

    #[test]
    fn the_rate_counter_forgets_past_minutes_when_it_holds_many_keys() {
        let c = RateCounter::<String>::default();
        for i in 0..RATE_KEYS_KEPT {
            assert!(c.allow(&i.to_string(), 1, 0));
        }
        assert!(c.allow(&"new".to_string(), 1, 60_000));
        assert_eq!(
            c.0.lock().unwrap().len(),
            1,
            "only this minute's key is kept"
        );
    }

    #[test]
    fn the_openapi_document_names_every_route() {
        let doc = ApiDoc::openapi();
        for path in [
            "/api/v1/me",
            "/api/v1/conversations",
            "/api/v1/conversations/{id}/messages",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path}");
        }
    }
}
