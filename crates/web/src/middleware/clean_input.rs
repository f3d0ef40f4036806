//! Text input is text: every request's path, query and JSON body is refused at the edge when
//! it holds a NUL character or bytes that are not UTF-8, before any handler or database sees
//! it. Form bodies get the same check where every form is read, in `CsrfForm` (whatever
//! their Content-Type), so they are not buffered and scanned twice. Without this a form field with invalid UTF-8 became U+FFFD (an invitation to
//! "Ev\u{FFFD}a"), and a NUL reached PostgreSQL, which refuses it in text (a 500), while
//! SQLite stored it: the same request now gets the same clear answer on both.
//!
//! Bodies of other types (file uploads) stream through untouched: they are bytes, not text.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ErrorPage;
use crate::state::AppState;

/// Why a request's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotText {
    Nul,
    NotUtf8,
}

/// Percent-decodes one component of a URL or form (`+` is a space in forms) and checks it.
fn check_component(raw: &[u8], plus_is_space: bool) -> Result<(), NotText> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    i += 2;
                    h << 4 | l
                }
                _ => b'%',
            },
            b'+' if plus_is_space => b' ',
            b => b,
        };
        out.push(b);
        i += 1;
    }
    let text = std::str::from_utf8(&out).map_err(|_| NotText::NotUtf8)?;
    if text.contains('\0') {
        return Err(NotText::Nul);
    }
    Ok(())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A URL's path or query string, or an `application/x-www-form-urlencoded` body.
pub fn check_urlencoded(raw: &[u8], plus_is_space: bool) -> Result<(), NotText> {
    raw.split(|b| *b == b'&' || *b == b'/')
        .flat_map(|pair| pair.splitn(2, |b| *b == b'='))
        .try_for_each(|part| check_component(part, plus_is_space))
}

/// A JSON body: invalid UTF-8 is refused by the JSON parser already; this finds a NUL, raw or
/// written as the escape `\u0000` (an escaped backslash before "u0000" is not one).
pub fn check_json(raw: &[u8]) -> Result<(), NotText> {
    if raw.contains(&0) {
        return Err(NotText::Nul);
    }
    let needle = b"u0000";
    for (at, _) in raw
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| w == needle)
    {
        let backslashes = raw[..at].iter().rev().take_while(|b| **b == b'\\').count();
        if backslashes % 2 == 1 {
            return Err(NotText::Nul);
        }
    }
    Ok(())
}

/// The routes whose body is a file: `/messenger/{id}/files`, `/api/v1/conversations/{id}/files`.
fn is_upload(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "messenger", _, "files"] | ["", "api", "v1", "conversations", _, "files"]
    )
}

fn refuse(parts: &Parts, why: NotText) -> Response {
    if parts.uri.path().starts_with("/api/") {
        let message = match why {
            NotText::Nul => "the request holds a NUL character, which no text field accepts",
            NotText::NotUtf8 => "the request holds text that is not valid UTF-8",
        };
        return crate::api::invalid_request(StatusCode::BAD_REQUEST, message);
    }
    not_text_page()
}

/// The 400 page for input that is not text (rendered in the visitor's language).
pub fn not_text_page() -> Response {
    let mut r = StatusCode::BAD_REQUEST.into_response();
    r.extensions_mut().insert(ErrorPage {
        title: "error_title",
        message: "error_not_text",
        internal: None,
    });
    r
}

pub async fn clean_input(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let url = check_urlencoded(parts.uri.path().as_bytes(), false)
        .and_then(|()| check_urlencoded(parts.uri.query().unwrap_or("").as_bytes(), true));
    if let Err(why) = url {
        return refuse(&parts, why);
    }
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    // A file's body is the file, whatever type the browser gives it (a .json file comes as
    // application/json): it streams to the blob store untouched and is never text to us.
    if !json || is_upload(parts.uri.path()) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = state.cfg.max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        let mut r = StatusCode::PAYLOAD_TOO_LARGE.into_response();
        if parts.uri.path().starts_with("/api/") {
            r = crate::api::invalid_request(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than this server accepts",
            );
        }
        return r;
    };
    if let Err(why) = check_json(&bytes) {
        return refuse(&parts, why);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_invalid_utf8_are_refused_wherever_they_are_encoded() {
        assert_eq!(
            check_urlencoded(b"login=a%00b@x.test&password=x", true),
            Err(NotText::Nul)
        );
        assert_eq!(
            check_urlencoded(b"first_name=Ev%FFa", true),
            Err(NotText::NotUtf8)
        );
        assert_eq!(check_urlencoded(b"a%00b=1", true), Err(NotText::Nul));
        assert_eq!(
            check_urlencoded(b"/accounts/a%00b", false),
            Err(NotText::Nul)
        );
        assert_eq!(check_json(br#"{"body":"a\u0000b"}"#), Err(NotText::Nul));
        assert_eq!(check_json(b"{\"body\":\"a\0b\"}"), Err(NotText::Nul));
    }

    #[test]
    fn only_the_upload_routes_stream_untouched() {
        assert!(is_upload(
            "/messenger/0190c0de-0000-7000-8000-000000000000/files"
        ));
        assert!(is_upload(
            "/api/v1/conversations/0190c0de-0000-7000-8000-000000000000/files"
        ));
        assert!(!is_upload("/api/v1/files"));
        assert!(!is_upload("/messenger/x/files/extra"));
        assert!(!is_upload("/invite"));
    }

    #[test]
    fn ordinary_text_passes() {
        assert_eq!(
            check_urlencoded(b"q=Jos%C3%A9+de+Vries&x=%25%2B&y=100%", true),
            Ok(())
        );
        assert_eq!(check_urlencoded(b"first_name=Ev%C3%A1", true), Ok(()));
        assert_eq!(check_urlencoded(b"", true), Ok(()));
        assert_eq!(check_json(br#"{"body":"een \\u0000 als tekst"}"#), Ok(()));
        assert_eq!(
            check_json("{\"body\":\"Goedemorgen 👋\"}".as_bytes()),
            Ok(())
        );
    }
}
