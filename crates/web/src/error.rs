//! The one mapping from domain outcomes to HTTP: each error's status, the stable code of a
//! status (the JSON API's `error.code` and the WebSocket's `error` frames) and what a person
//! reads about it. Handlers return `PageError`; the `render_errors` middleware turns its marker
//! into a page in the visitor's language and logs internal causes once, with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use spreekuur_domain::{Error, StoreError};

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    Domain(Error),
    /// A form without a valid CSRF token.
    Csrf,
    /// The page needs a signed-in user.
    Login,
    /// Signed in by password, but the second step the practice asks must be set up first.
    Enrol,
    /// The app lock is closed on this device.
    Locked,
}

/// Attached to an error response; the middleware renders it.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// Catalogue key of the title and of the message.
    pub title: &'static str,
    pub message: &'static str,
    /// An internal cause, for the log only.
    pub internal: Option<String>,
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::Domain(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Domain(e.into())
    }
}

/// The status for each outcome. Exhaustive on purpose: a new variant must be decided here.
pub(crate) fn status(err: &Error) -> StatusCode {
    match err {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Expired | Error::Used => StatusCode::GONE,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::BadCredentials => StatusCode::UNAUTHORIZED,
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The stable code of a status, as the JSON API (`error.code`) and the WebSocket (`error`
/// frames) name it: an error has the same code wherever it is met.
pub(crate) fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::GONE => "gone",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "invalid",
    }
}

/// What a person reads about `err` in their language: the text its error page shows (for
/// refused input, the reason's text).
pub(crate) fn text(t: &spreekuur_i18n::Msgs, err: &Error) -> &'static str {
    t.text(page(err).message)
}

fn page(err: &Error) -> ErrorPage {
    let (title, message, internal) = match err {
        Error::NotFound => ("error_not_found_title", "error_not_found", None),
        Error::Forbidden => ("error_title", "error_forbidden", None),
        Error::Invalid { reason, .. } => ("error_title", reason.key(), None),
        Error::Expired => ("error_title", "link_expired", None),
        Error::Used => ("error_title", "link_used", None),
        Error::Conflict(reason) => ("error_title", reason.key(), None),
        Error::BadCredentials => ("error_title", "login_failed", None),
        Error::TooLarge { .. } => ("error_title", "error_too_large", None),
        Error::RateLimited { .. } => ("error_title", "error_rate_limited", None),
        Error::Internal(cause) => ("error_title", "error_generic", Some(cause.clone())),
    };
    ErrorPage {
        title,
        message,
        internal,
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login => Redirect::to("/login").into_response(),
            PageError::Enrol => Redirect::to("/enrol").into_response(),
            PageError::Locked => Redirect::to("/lock").into_response(),
            PageError::Csrf => {
                let mut r = StatusCode::FORBIDDEN.into_response();
                r.extensions_mut().insert(ErrorPage {
                    title: "error_title",
                    message: "error_csrf",
                    internal: None,
                });
                r
            }
            PageError::Domain(e) => {
                let mut r = status(&e).into_response();
                r.extensions_mut().insert(page(&e));
                if let Error::RateLimited { wait_secs, .. } = &e {
                    r.headers_mut().insert(
                        axum::http::header::RETRY_AFTER,
                        axum::http::HeaderValue::from((*wait_secs).max(1)),
                    );
                }
                r
            }
        }
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

#[cfg(test)]
mod tests {
    use super::*;
    use spreekuur_domain::Reason;

    #[test]
    fn outcomes_map_to_statuses() {
        assert_eq!(status(&Error::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(&Error::Used), StatusCode::GONE);
        assert_eq!(
            status(&Error::invalid("f", Reason::EmailInvalid)),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(code(status(&Error::NotFound)), "not_found");
        assert_eq!(
            code(status(&Error::invalid("body", Reason::MessageEmpty))),
            "invalid"
        );
        assert_eq!(code(StatusCode::BAD_REQUEST), "invalid");
        assert_eq!(code(status(&Error::Internal("x".into()))), "internal");
        let t = spreekuur_i18n::Lang::En.msgs();
        assert_eq!(
            text(t, &Error::invalid("body", Reason::MessageEmpty)),
            t.message_empty
        );
        assert_eq!(text(t, &Error::NotFound), t.error_not_found);
        let p = page(&Error::Internal("db down".into()));
        assert_eq!(
            (p.message, p.internal.as_deref()),
            ("error_generic", Some("db down"))
        );
    }

    /// Every reason a person can meet has a text in both languages: none falls back to "Er
    /// ging iets mis aan onze kant".
    #[test]
    fn every_reason_has_a_text_in_both_languages() {
        for reason in Reason::shown() {
            for lang in [spreekuur_i18n::Lang::Nl, spreekuur_i18n::Lang::En] {
                assert!(
                    lang.msgs().get(reason.key()).is_some(),
                    "{reason:?} ({}) has no {} text",
                    reason.key(),
                    lang.code()
                );
            }
        }
    }
}
