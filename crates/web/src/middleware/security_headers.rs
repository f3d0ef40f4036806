//! One place for the security headers of every response. Pages may only load scripts and
//! styles from this origin (`script-src 'self'`, no inline script), may not be framed, and send
//! no Referer anywhere: invitation and password URLs carry tokens that must not leak.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Marks a response that sets its own Content-Security-Policy (the development mailbox's view
/// of an e-mail's HTML part).
#[derive(Clone, Copy)]
pub struct OwnCsp;

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // HSTS when people reach us over https: our own TLS, or a proxy in front with an https public URL.
    let https = state.cfg.secure_cookies();
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let own_csp = res.extensions().get::<OwnCsp>().is_some();
    let h = res.headers_mut();
    if !own_csp {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static && !h.contains_key(CACHE_CONTROL) {
        // Pages show patient data: never keep them in a shared or back-button cache.
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
