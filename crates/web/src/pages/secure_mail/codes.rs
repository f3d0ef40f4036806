//! The access codes a send generated, shown to the sender once. The send answers with a
//! redirect (so a reload never sends twice); the codes ride along in a short-lived cookie,
//! sealed for that one message, which the message's page reads and clears.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use spreekuur_crypto::Aad;
use spreekuur_domain::SecureMailId;

use crate::extract::cookies;
use crate::state::AppState;

/// Long enough to follow the redirect, short enough not to linger.
const MAX_AGE_SECS: i64 = 120;

fn aad(id: &SecureMailId) -> Aad<'_> {
    Aad::new("secure_mail", "codes", id.as_str())
}

/// The cookie that carries `codes` (address, code) to the page of message `id`.
pub(super) fn carry(
    state: &AppState,
    id: &SecureMailId,
    codes: &[(String, String)],
) -> Option<HeaderValue> {
    if codes.is_empty() {
        return None;
    }
    let lines: String = codes
        .iter()
        .map(|(email, code)| format!("{email}\t{code}\n"))
        .collect();
    let sealed = state.drafts.seal(aad(id), lines.as_bytes()).ok()?;
    let cookie = cookies::set(
        cookies::CODES,
        &URL_SAFE_NO_PAD.encode(sealed),
        Some(MAX_AGE_SECS),
        state.cfg.secure_cookies(),
        "Strict",
        true,
    );
    HeaderValue::from_str(&cookie).ok()
}

/// The codes carried to the page of message `id`, if the cookie is there and was sealed for
/// it; anything else is no codes.
pub(super) fn take(
    state: &AppState,
    headers: &HeaderMap,
    id: &SecureMailId,
) -> Vec<(String, String)> {
    let Some(value) = cookies::get(headers, cookies::CODES, state.cfg.secure_cookies()) else {
        return Vec::new();
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(value.trim()) else {
        return Vec::new();
    };
    let Ok(plain) = state.drafts.open(aad(id), &bytes) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&plain)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(e, c)| (e.to_string(), c.to_string()))
        .collect()
}

/// Clears the cookie (the codes are shown once).
pub(super) fn clear(state: &AppState) -> Option<HeaderValue> {
    let cookie = cookies::set(
        cookies::CODES,
        "",
        Some(0),
        state.cfg.secure_cookies(),
        "Strict",
        true,
    );
    HeaderValue::from_str(&cookie).ok()
}
