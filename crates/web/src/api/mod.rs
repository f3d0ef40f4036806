//! The JSON API for practice systems, under `/api/v1`. Authentication is a personal access
//! token (`Authorization: Bearer spk_…`, made in Instellingen or with `spreekuur admin
//! create-token`); the same authorization rules as the web pages apply, because the same store
//! calls make the same checks. The OpenAPI document at `/api/v1/openapi.json` is generated from
//! the annotations on the handlers and types below.

mod admin;
mod conversations;
pub(crate) mod files;
mod groups;
mod rules;

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Serialize;
use serde::de::DeserializeOwned;
use spreekuur_domain::account::Account;
use spreekuur_domain::ports::ApiToken;
use spreekuur_domain::{Error, StoreError, TokenId};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::state::AppState;

/// Requests per minute of a token without its own limit.
pub const DEFAULT_RATE_PER_MINUTE: i64 = 600;

/// The `/api/v1` routes. Every answer under `/api/` is JSON, errors in the shape of
/// [`ApiError`]: a route that does not exist, a method a route does not have and a request an
/// extractor refused included.
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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spreekuur API",
        version = "1",
        description = "Conversations and messages of a Spreekuur server, for practice systems. \
            Authenticate with a personal access token: `Authorization: Bearer spk_…` (the \
            `bearer` security scheme). Every error is JSON in the shape of `ApiError`. Text \
            never holds NUL or bytes that are not UTF-8: such a request is refused (400) \
            wherever they are, in the URL or the body. Live delivery uses the WebSocket \
            described in docs/websocket.md."
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
        groups::create,
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
        groups::NewGroup,
        admin::MemberOut,
        admin::NewMember,
        admin::ExternalId,
        admin::NewAccountIn,
        admin::ProvisionedOut,
        admin::TokenOut,
        admin::TokenRate
    )),
    modifiers(&BearerToken, &CommonAnswers, &Links),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The `bearer` security scheme: a personal access token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("spk_…")
                    .description(Some(
                        "A personal access token (`spk_` and 43 characters), made in \
                         Instellingen or with `spreekuur admin create-token`; it acts as its \
                         staff account.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Answers any operation can give, as shared components: a request refused before its handler
/// (400), no valid token (401), past the token's rate (429); for a JSON body also too large
/// (413), not JSON (415) and not what the operation takes (422).
struct CommonAnswers;

impl CommonAnswers {
    const ANSWERS: [(&'static str, &'static str, &'static str); 6] = [
        (
            "400",
            "BadRequest",
            "Malformed: a query or JSON body that cannot be read, or text holding NUL or \
             bytes that are not UTF-8.",
        ),
        (
            "401",
            "Unauthorized",
            "No valid token: `Authorization: Bearer spk_…` is missing, unknown or revoked.",
        ),
        (
            "413",
            "TooLarge",
            "The body is larger than this server accepts.",
        ),
        (
            "415",
            "UnsupportedMediaType",
            "The body is not sent as `Content-Type: application/json`.",
        ),
        (
            "422",
            "Invalid",
            "The body or a parameter is not what the operation takes; `message` names the \
             field.",
        ),
        (
            "429",
            "RateLimited",
            "Too many requests for this token this minute; `Retry-After` says how many \
             seconds until the next.",
        ),
    ];

    fn operations(
        openapi: &mut utoipa::openapi::OpenApi,
    ) -> impl Iterator<Item = &mut Operation> + '_ {
        openapi.paths.paths.values_mut().flat_map(|item| {
            [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
        })
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in Self::ANSWERS {
            let mut answer = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiError")))
                    .build(),
            );
            let integer = || {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(1))
                    .build()
            };
            let text = || {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .build()
            };
            if status == "429" {
                answer = answer.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(integer()))
                        .description(Some("Seconds until the token may send again."))
                        .build(),
                );
            }
            if status == "401" {
                answer = answer.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(Some(text()))
                        .description(Some("`Bearer`"))
                        .build(),
                );
            }
            components
                .responses
                .insert(name.to_string(), answer.build().into());
        }
        for op in Self::operations(openapi) {
            let json_body = matches!(&op.request_body, Some(RefOr::T(b)) if b.content.contains_key("application/json"));
            let any_body = op.request_body.is_some();
            for (status, name, _) in Self::ANSWERS {
                let applies = match status {
                    "413" => any_body,
                    "415" | "422" => json_body,
                    _ => true,
                };
                if applies && !op.responses.responses.contains_key(status) {
                    op.responses.responses.insert(
                        status.to_string(),
                        RefOr::Ref(Ref::from_response_name(name)),
                    );
                }
            }
        }
    }
}

/// How the answers of one operation lead to the next (OpenAPI links): the ids a list or a new
/// conversation gives are the ids the operations on it take. Clients and test tools follow them.
struct Links;

/// The operations on any conversation (they take its id in `id`).
const ON_A_CONVERSATION: [&str; 5] = [
    "list_messages",
    "send_message",
    "list_members",
    "set_external_id",
    "send_file",
];

/// The operations on a group only (a 1:1 conversation has no members to add or remove).
const ON_A_GROUP: [&str; 2] = ["add_member", "remove_member"];

impl Links {
    /// (operation, statuses, link name, target operation, parameters, request body)
    #[allow(clippy::type_complexity)]
    fn table() -> Vec<(
        &'static str,
        &'static [&'static str],
        String,
        &'static str,
        Vec<(&'static str, &'static str)>,
        Option<serde_json::Value>,
    )> {
        let mut t = Vec::new();
        for target in ON_A_CONVERSATION {
            t.push((
                "list_conversations",
                &["200"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/0/id")],
                None,
            ));
            t.push((
                "open_conversation",
                &["200", "201"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/id")],
                None,
            ));
        }
        for target in ON_A_CONVERSATION.into_iter().chain(ON_A_GROUP) {
            t.push((
                "create_group",
                &["201"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/id")],
                None,
            ));
        }
        t.push((
            "list_members",
            &["200"],
            "remove_member".into(),
            "remove_member",
            vec![
                ("id", "$request.path.id"),
                ("member", "$response.body#/0/id"),
            ],
            None,
        ));
        t.push((
            "list_members",
            &["200"],
            "open_conversation".into(),
            "open_conversation",
            vec![],
            Some(serde_json::json!({ "member": "$response.body#/0/id" })),
        ));
        t.push((
            "create_account",
            &["201"],
            "open_conversation".into(),
            "open_conversation",
            vec![],
            Some(serde_json::json!({ "member": "$response.body#/account" })),
        ));
        t.push((
            "send_message",
            &["200", "201"],
            "list_messages".into(),
            "list_messages",
            vec![("id", "$response.body#/conversation")],
            None,
        ));
        t.push((
            "send_file",
            &["200", "201"],
            "download_file".into(),
            "download_file",
            vec![("id", "$response.body#/file/id")],
            None,
        ));
        t.push((
            "list_files",
            &["200"],
            "download_file".into(),
            "download_file",
            vec![("id", "$response.body#/0/file/id")],
            None,
        ));
        t.push((
            "list_tokens",
            &["200"],
            "set_token_rate".into(),
            "set_token_rate",
            vec![("id", "$response.body#/0/id")],
            None,
        ));
        t
    }
}

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (from, statuses, name, target, parameters, body) in Self::table() {
            for op in CommonAnswers::operations(openapi) {
                if op.operation_id.as_deref() != Some(from) {
                    continue;
                }
                for status in statuses {
                    if let Some(RefOr::T(answer)) = op.responses.responses.get_mut(*status) {
                        let mut link = utoipa::openapi::link::LinkBuilder::new()
                            .operation_id(target)
                            .request_body(body.clone());
                        for (param, value) in &parameters {
                            link = link.parameter(*param, *value);
                        }
                        answer.links.insert(name.clone(), link.build().into());
                    }
                }
            }
        }
    }
}

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
    /// `too_large`, `unsupported_media_type`, `method_not_allowed`, `conflict`, `internal`.
    code: &'static str,
    /// What went wrong, in English.
    message: String,
}

/// Why the API refuses a request: a domain outcome, or a request refused before its handler
/// understood it (its JSON, its query, its content type, its route).
#[derive(Debug)]
pub enum ApiFailure {
    Domain(Error),
    Request {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl From<Error> for ApiFailure {
    fn from(e: Error) -> Self {
        Self::Domain(e)
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        Self::Domain(e.into())
    }
}

impl ApiFailure {
    /// A refusal with its own status and message (the code follows from the status).
    pub fn request(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Request {
            status,
            code: code_of(status),
            message: message.into(),
        }
    }
}

/// The stable code of an answer's status.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "invalid",
    }
}

fn error_response(status: StatusCode, code: &'static str, message: String) -> Response {
    (
        status,
        Json(ApiError {
            error: ErrorBody { code, message },
        }),
    )
        .into_response()
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let e = match self {
            Self::Request {
                status,
                code,
                message,
            } => return error_response(status, code, message),
            Self::Domain(e) => e,
        };
        let (status, code, message) = match &e {
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
                (StatusCode::CONFLICT, "conflict", e.to_string())
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
        let mut r = error_response(status, code, message);
        if let Error::RateLimited { wait_secs, .. } = &e {
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
    error_response(status, code_of(status), message.to_string())
}

/// A JSON body, refused in the API's error shape: not JSON at all (400), not sent as JSON
/// (415), too large (413), or not what the operation takes (422).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiFailure {
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "the body must be JSON, sent with Content-Type: application/json".to_string()
        }
        _ => rejection.body_text(),
    };
    ApiFailure::request(rejection.status(), message)
}

/// A query string, refused in the API's error shape (400) when it cannot be read.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiFailure {
    ApiFailure::request(StatusCode::BAD_REQUEST, rejection.body_text())
}

/// Any method on a path under `/api/` that is no route.
async fn not_found() -> ApiFailure {
    Error::NotFound.into()
}

/// The last word on every answer under `/api/`: an error that is not JSON yet (a method the
/// route does not have, a rejection of an extractor not wrapped above) becomes the API's error
/// shape, keeping its status and headers (`Allow` on a 405).
async fn json_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (parts, _) = res.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this route does not take this method (see Allow)",
        _ => status.canonical_reason().unwrap_or("refused"),
    };
    let mut out = invalid_request(status, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
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

    /// Every route of [`router`], as the document names it.
    const ROUTES: [(&str, &str); 16] = [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/conversations"),
        ("post", "/api/v1/conversations"),
        ("get", "/api/v1/conversations/{id}/messages"),
        ("post", "/api/v1/conversations/{id}/messages"),
        ("post", "/api/v1/conversations/{id}/files"),
        ("get", "/api/v1/conversations/{id}/members"),
        ("post", "/api/v1/conversations/{id}/members"),
        ("delete", "/api/v1/conversations/{id}/members/{member}"),
        ("put", "/api/v1/conversations/{id}/external-id"),
        ("post", "/api/v1/groups"),
        ("post", "/api/v1/accounts"),
        ("get", "/api/v1/tokens"),
        ("patch", "/api/v1/tokens/{id}"),
        ("get", "/api/v1/files"),
        ("get", "/api/v1/files/{id}"),
    ];

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON")
    }

    /// Every operation of the document: (method, path, operation).
    fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    #[test]
    fn the_openapi_document_names_every_route() {
        let doc = document();
        let mut documented: Vec<(String, String)> = operations(&doc)
            .into_iter()
            .map(|(m, p, _)| (m, p))
            .collect();
        documented.sort();
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        routes.sort();
        assert_eq!(documented, routes);
    }

    #[test]
    fn operation_ids_are_unique_and_links_lead_to_them() {
        let doc = document();
        let ops = operations(&doc);
        let mut ids = std::collections::HashSet::new();
        for (method, path, op) in &ops {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
        }
        for (_, _, op) in &ops {
            for answer in op["responses"].as_object().into_iter().flatten() {
                for link in answer.1["links"].as_object().into_iter().flatten() {
                    let target = link.1["operationId"].as_str().unwrap_or_default();
                    assert!(ids.contains(target), "a link to {target}");
                }
            }
        }
    }

    #[test]
    fn every_operation_needs_the_bearer_token_and_documents_its_errors() {
        let doc = document();
        let scheme = &doc["components"]["securitySchemes"]["bearer"];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(doc["security"], serde_json::json!([{ "bearer": [] }]));
        for (method, path, op) in operations(&doc) {
            assert!(
                op.get("security").is_none(),
                "{method} {path} overrides the bearer scheme"
            );
            let answers = &op["responses"];
            for status in ["400", "401", "429"] {
                assert!(answers[status].is_object(), "{method} {path}: {status}");
            }
            let json_body = op["requestBody"]["content"]["application/json"].is_object();
            if json_body {
                for status in ["413", "415", "422"] {
                    assert!(answers[status].is_object(), "{method} {path}: {status}");
                }
            }
            if path.contains('{') {
                assert!(answers["404"].is_object(), "{method} {path}: 404");
            }
            // Every error answer is the ApiError shape.
            for (status, answer) in answers.as_object().into_iter().flatten() {
                if status.starts_with('4') {
                    let answer = match answer["$ref"].as_str() {
                        Some(r) => {
                            let name = r.rsplit('/').next().unwrap_or_default();
                            doc["components"]["responses"][name].clone()
                        }
                        None => answer.clone(),
                    };
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ApiError",
                        "{method} {path}: {status}"
                    );
                }
            }
            // A parameter in the path is one the path names; the rest are elsewhere.
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(p["in"] == "path", in_path, "{method} {path}: {name}");
            }
        }
        assert_eq!(
            doc["components"]["responses"]["RateLimited"]["headers"]["Retry-After"]["schema"]["type"],
            "integer"
        );
    }

    #[test]
    fn a_file_is_sent_as_bytes_and_a_message_body_has_its_limits() {
        let doc = document();
        let body = &doc["paths"]["/api/v1/conversations/{id}/files"]["post"]["requestBody"];
        let schema = &body["content"]["application/octet-stream"]["schema"];
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["format"], "binary");
        let message = &doc["components"]["schemas"]["NewMessage"]["properties"]["body"];
        assert_eq!(message["minLength"], 1);
        assert_eq!(message["maxLength"], 10_000);
        assert_eq!(
            doc["components"]["schemas"]["NewMessage"]["additionalProperties"],
            false
        );
    }

    async fn body_of(r: Response) -> (StatusCode, serde_json::Value) {
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        body: String,
    }

    #[tokio::test]
    async fn refused_json_answers_in_the_api_error_shape() {
        let request = |content_type: Option<&str>, body: &'static str| {
            let mut b = Request::builder().method("POST").uri("/api/v1/x");
            if let Some(t) = content_type {
                b = b.header(header::CONTENT_TYPE, t);
            }
            b.body(axum::body::Body::from(body))
                .unwrap_or_else(|_| Request::new(axum::body::Body::empty()))
        };
        for (content_type, body, status) in [
            (None, r#"{"body":"x"}"#, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            (
                Some("text/plain"),
                r#"{"body":"x"}"#,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (Some("application/json"), "{", StatusCode::BAD_REQUEST),
            (
                Some("application/json"),
                "{}",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                Some("application/json"),
                r#"{"body":"x","y":1}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let refused = ApiJson::<Body>::from_request(request(content_type, body), &())
                .await
                .err()
                .map(IntoResponse::into_response);
            let Some(r) = refused else {
                panic!("{body} with {content_type:?} was taken");
            };
            let (got, json) = body_of(r).await;
            assert_eq!(got, status, "{body} with {content_type:?}");
            assert!(json["error"]["code"].is_string(), "{json}");
            assert!(json["error"]["message"].is_string(), "{json}");
        }
        let taken = ApiJson::<Body>::from_request(
            request(Some("application/json"), r#"{"body":"x"}"#),
            &(),
        )
        .await;
        assert!(matches!(taken, Ok(ApiJson(Body { .. }))));
    }

    #[tokio::test]
    async fn an_unreadable_query_and_a_wrong_method_answer_json() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Q {
            #[serde(default, deserialize_with = "rules::query_integer")]
            limit: Option<i64>,
        }
        let (mut parts, _) = Request::builder()
            .uri("/api/v1/x?limit=many")
            .body(())
            .unwrap_or_default()
            .into_parts();
        let refused = ApiQuery::<Q>::from_request_parts(&mut parts, &())
            .await
            .err();
        let (status, json) =
            body_of(refused.map(IntoResponse::into_response).unwrap_or_default()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json["error"]["code"], "invalid");

        let mut not_allowed = StatusCode::METHOD_NOT_ALLOWED.into_response();
        not_allowed
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET,HEAD"));
        let r = json_errors(not_allowed).await;
        assert_eq!(
            r.headers().get(header::ALLOW).map(|v| v.as_bytes()),
            Some(&b"GET,HEAD"[..])
        );
        let (status, json) = body_of(r).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(json["error"]["code"], "method_not_allowed");
        let (status, json) = body_of(not_found().await.into_response()).await;
        assert_eq!(
            (status, &json["error"]["code"]),
            (StatusCode::NOT_FOUND, &serde_json::json!("not_found"))
        );
    }
}
