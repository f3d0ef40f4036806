//! Reading and writing cookies by hand: four cookies do not need a crate.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub const SESSION: &str = "spreekuur_session";
pub const CSRF: &str = "spreekuur_csrf";
pub const LANG: &str = "spreekuur_lang";
/// A guest's session on one secure e-mail's thread ("Open bericht").
pub const GUEST: &str = "spreekuur_guest";
/// The access codes a secure e-mail's send generated, on their way to its page (shown once).
pub const CODES: &str = "spreekuur_codes";
/// The app lock's proof that this browser run was unlocked; a browser-session cookie, so a
/// browser that is closed and reopened no longer has it.
pub const UNLOCK: &str = "spreekuur_unlock";

/// Over https every cookie carries the `__Host-` prefix: the browser then keeps it only when
/// it was set Secure, for this host alone and for every path, so a neighbouring subdomain
/// cannot plant a session or a CSRF cookie of its own choosing.
fn full_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

fn find(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// The value of cookie `name`, if the request carries it (over https only with its
/// `__Host-` prefix; `secure` is `cfg.secure_cookies()`).
pub fn get(headers: &HeaderMap, name: &str, secure: bool) -> Option<String> {
    find(headers, &full_name(name, secure))
}

/// The language cookie, whichever way it was set: a choice of language is no secret, and the
/// error pages read it without the configuration at hand.
pub fn get_lang(headers: &HeaderMap) -> Option<String> {
    find(headers, &full_name(LANG, true)).or_else(|| find(headers, LANG))
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
    let name = full_name(name, secure);
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
    fn over_https_only_the_host_prefixed_cookie_counts() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("spreekuur_session=planted; __Host-spreekuur_session=ours"),
        );
        assert_eq!(get(&h, SESSION, true).as_deref(), Some("ours"));
        assert_eq!(get(&h, SESSION, false).as_deref(), Some("planted"));
        let mut only_planted = HeaderMap::new();
        only_planted.insert(
            COOKIE,
            HeaderValue::from_static("spreekuur_session=planted"),
        );
        assert_eq!(get(&only_planted, SESSION, true), None);
        assert!(
            set(SESSION, "v", None, true, "Lax", true)
                .starts_with("__Host-spreekuur_session=v; Path=/;")
        );
        assert!(
            set(SESSION, "v", None, false, "Lax", true).starts_with("spreekuur_session=v; Path=/;")
        );
    }

    #[test]
    fn finds_a_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; spreekuur_lang=en ;b=2"),
        );
        assert_eq!(get(&h, LANG, false).as_deref(), Some("en"));
        assert_eq!(get(&h, "c", false), None);
    }

    #[test]
    fn session_cookies_are_http_only() {
        assert_eq!(
            set(SESSION, "x", None, true, "Lax", true),
            "__Host-spreekuur_session=x; Path=/; SameSite=Lax; HttpOnly; Secure"
        );
    }
}
