//! Reading and writing cookies by hand: four cookies do not need a crate.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub const SESSION: &str = "spreekuur_session";
pub const CSRF: &str = "spreekuur_csrf";
pub const LANG: &str = "spreekuur_lang";
/// The app lock's proof that this browser run was unlocked; a browser-session cookie, so a
/// browser that is closed and reopened no longer has it.
pub const UNLOCK: &str = "spreekuur_unlock";

/// The value of cookie `name`, if the request carries it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value. `max_age = Some(0)` deletes the cookie.
pub fn set(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
    same_site: &str,
    http_only: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite={same_site}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; spreekuur_lang=en ;b=2"),
        );
        assert_eq!(get(&h, LANG).as_deref(), Some("en"));
        assert_eq!(get(&h, "c"), None);
    }

    #[test]
    fn session_cookies_are_http_only() {
        assert_eq!(
            set(SESSION, "x", None, true, "Lax", true),
            "spreekuur_session=x; Path=/; SameSite=Lax; HttpOnly; Secure"
        );
    }
}
