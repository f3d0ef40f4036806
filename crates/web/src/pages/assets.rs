//! The stylesheet, script, icons, service worker and web app manifest, embedded in the binary.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const SW: &str = include_str!("../../static/sw.js");
const ICON_192: &[u8] = include_bytes!("../../static/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../../static/icon-512.png");

/// GET /static/{file}
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind): (&'static [u8], _) = match file.as_str() {
        "app.css" => (CSS.as_bytes(), "text/css; charset=utf-8"),
        "app.js" => (JS.as_bytes(), "text/javascript; charset=utf-8"),
        "icon-192.png" => (ICON_192, "image/png"),
        "icon-512.png" => (ICON_512, "image/png"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [(CONTENT_TYPE, kind), (CACHE_CONTROL, "public, max-age=300")],
        body,
    )
        .into_response()
}

/// GET /sw.js: at the root, so it may serve the whole site (it caches static files only).
pub async fn service_worker() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        SW,
    )
        .into_response()
}

/// GET /manifest.webmanifest: installs the messenger as an app, named after the practice.
pub async fn manifest(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    lang: crate::extract::LangPref,
) -> Response {
    let t = lang.lang.msgs();
    let practice = state.practice_name().await.unwrap_or_default();
    let name = if practice.is_empty() {
        t.app_name.to_string()
    } else {
        format!("{} – {practice}", t.app_name)
    };
    let body = serde_json::json!({
        "name": name,
        "short_name": t.app_name,
        "description": t.manifest_description,
        "lang": lang.lang.code(),
        "start_url": "/messenger",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f5",
        "theme_color": "#146c2e",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    });
    (
        [
            (CONTENT_TYPE, "application/manifest+json"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}
