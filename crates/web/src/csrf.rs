//! CSRF protection for every form: a random `spreekuur_csrf` cookie (HttpOnly, SameSite=Strict)
//! and, in each form, a hidden `_csrf` field holding a keyed hash of it. A cross-site page can
//! neither read the cookie nor compute the hash, so it cannot forge the field. The check runs
//! in `CsrfForm` before the form is even parsed for the handler.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use serde::de::DeserializeOwned;
use spreekuur_domain::Error;
use spreekuur_domain::error::Reason;
use spreekuur_domain::token::TokenKind;

use crate::error::PageError;
use crate::extract::cookies;
use crate::state::AppState;

/// The value forms must carry, for this visitor.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

fn form_token(state: &AppState, cookie: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(state.tokens.hash(TokenKind::Csrf, cookie))
}

/// Makes sure every visitor has a CSRF cookie, and hands the matching form token to handlers.
pub async fn ensure_cookie(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let existing = cookies::get(req.headers(), cookies::CSRF, state.cfg.secure_cookies())
        .filter(|c| c.len() >= 32);
    // Static files (also one that is not there) never carry a cookie.
    let path = req.uri().path();
    let static_path =
        path.starts_with("/static/") || path == "/sw.js" || path == "/manifest.webmanifest";
    let (cookie, fresh) = match existing {
        Some(c) => (c, false),
        None => match spreekuur_crypto::generate_token() {
            Ok(t) => (t.to_string(), true),
            Err(_) => {
                return PageError::Domain(Error::Internal("rng".into())).into_response_inner();
            }
        },
    };
    req.extensions_mut()
        .insert(CsrfToken(form_token(&state, &cookie)));
    let mut res = next.run(req).await;
    // A response that a shared cache may keep (static files) carries no cookie: the cache
    // would hand one visitor's CSRF cookie to the next. Pages get `no-store` further out.
    let cacheable = res
        .headers()
        .get(axum::http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.contains("no-store") && !v.contains("private"))
        || static_path;
    if fresh && !cacheable {
        let c = cookies::set(
            cookies::CSRF,
            &cookie,
            None,
            state.cfg.secure_cookies(),
            "Strict",
            true,
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

impl PageError {
    fn into_response_inner(self) -> Response {
        axum::response::IntoResponse::into_response(self)
    }
}

/// A form whose `_csrf` field matched; `T` is the rest of the form.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let expected = req.extensions().get::<CsrfToken>().cloned();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // Whatever the Content-Type said: a field with a NUL or bytes that are not UTF-8 is
        // refused, never read as U+FFFD (the edge, `clean_input`, leaves forms to this check).
        if crate::middleware::clean_input::check_urlencoded(&bytes, true).is_err() {
            return Err(crate::middleware::clean_input::not_text_page());
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| bad_form())?;
        let given = pairs
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        match expected {
            Some(CsrfToken(t)) if spreekuur_crypto::ct_eq(t.as_bytes(), given.as_bytes()) => {}
            _ => return Err(PageError::Csrf.into_response()),
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| bad_form())
    }
}

fn bad_form() -> Response {
    axum::response::IntoResponse::into_response(PageError::Domain(Error::invalid(
        "form",
        Reason::FormHasErrors,
    )))
}

/// For requests the page's own script makes with a body that is not a form (a file upload):
/// the form token travels in the `X-CSRF-Token` header instead of a field.
pub fn check_header(headers: &axum::http::HeaderMap, expected: &CsrfToken) -> bool {
    let given = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    spreekuur_crypto::ct_eq(expected.0.as_bytes(), given.as_bytes())
}
