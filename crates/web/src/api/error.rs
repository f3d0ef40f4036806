//! Every answer under `/api/` is JSON: the error shape, the extractors that refuse in it, and
//! the last word on answers that are not JSON yet.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use spreekuur_domain::{Error, StoreError};
use utoipa::ToSchema;

use crate::error::code as code_of;

/// An error as the API reports it.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `not_found`, `invalid`, `forbidden`, `rate_limited`,
    /// `too_large`, `unsupported_media_type`, `method_not_allowed`, `conflict`, `gone`,
    /// `internal`.
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
        // One status per outcome, the pages' (`crate::error::status`); the code follows from it.
        let status = crate::error::status(&e);
        let code = code_of(status);
        let message = match &e {
            Error::NotFound => "not found".to_string(),
            Error::Forbidden => "forbidden".to_string(),
            Error::Invalid { field, reason } => format!("{field}: {reason}"),
            Error::TooLarge { max_bytes } => {
                format!("larger than this server accepts ({max_bytes} bytes)")
            }
            Error::BadCredentials => {
                "a valid token is needed: Authorization: Bearer spk_…".to_string()
            }
            Error::RateLimited { .. } => {
                "too many requests for this token; try again in a minute".to_string()
            }
            Error::Expired | Error::Used | Error::Conflict(_) => e.to_string(),
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "api internal error");
                "internal error".to_string()
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
pub(super) async fn not_found() -> ApiFailure {
    Error::NotFound.into()
}

/// The last word on every answer under `/api/`: an error that is not JSON yet (a method the
/// route does not have, a rejection of an extractor not wrapped above) becomes the API's error
/// shape, keeping its status and headers (`Allow` on a 405).
pub(super) async fn json_errors(res: Response) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

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
