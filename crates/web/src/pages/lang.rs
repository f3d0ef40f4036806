//! "Change language ▾": remembers the choice in a cookie and goes back to the page.

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::Response;
use serde::Deserialize;
use spreekuur_i18n::Lang;

use super::see_other;
use crate::extract::cookies;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Only a path on this site: `//evil.example` or `https://…` would be an open redirect.
fn safe_back(back: Option<&str>) -> &str {
    match back {
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.contains('\\')
                && !b.chars().any(char::is_control) =>
        {
            b
        }
        _ => "/",
    }
}

/// GET /lang/{code}?back=/path
pub async fn lang_get(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let cookie = cookies::set(
        cookies::LANG,
        lang.code(),
        Some(365 * 86_400),
        state.cfg.secure_cookies(),
        "Lax",
        false,
    );
    see_other(
        safe_back(q.back.as_deref()),
        HeaderValue::from_str(&cookie).ok(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_back(Some("/i/abc")), "/i/abc");
        assert_eq!(safe_back(Some("//evil.example")), "/");
        assert_eq!(safe_back(Some("https://evil.example")), "/");
        assert_eq!(safe_back(Some("/\\evil.example")), "/");
        assert_eq!(safe_back(None), "/");
        assert_eq!(safe_back(Some("/x\r\nSet-Cookie: a=b")), "/");
    }
}
