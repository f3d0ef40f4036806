//! One module per page or journey step; handlers are `<page>_get` / `<page>_post`.

pub mod accounts;
pub mod app_lock;
pub mod assets;
pub mod contacts;
pub mod dev_mailbox;
pub mod enrol;
pub mod files;
pub mod groups;
pub mod guest_mail;
pub mod health;
pub mod home;
pub mod invitation;
pub mod invitations;
pub mod invite;
pub mod lang;
pub mod login;
pub mod messenger;
pub mod passkeys;
pub mod password_reset;
pub mod practice;
pub mod registration;
pub mod secure_mail;
pub mod session_code;
pub mod set_password;
pub mod settings;
pub mod setup;
pub mod staff;
pub mod teams;
pub mod terms;
pub mod totp;

use askama::Template;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use spreekuur_domain::registration::password_rules::Rule;
use spreekuur_domain::{Error, Timestamp, UserId};
use spreekuur_i18n::Msgs;

use crate::error::{PageError, PageResult};
use crate::extract::cookies;
use crate::state::AppState;

/// Renders a page with a status (200 for a page, 422 for a form shown again with messages).
pub fn render(status: StatusCode, page: &impl Template) -> PageResult {
    let html = page
        .render()
        .map_err(|e| PageError::Domain(Error::Internal(format!("template: {e}"))))?;
    Ok((status, Html(html)).into_response())
}

/// A form page: 422 when it comes back with an error, 200 otherwise.
pub fn render_form(error: bool, page: &impl Template) -> PageResult {
    render(
        if error {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        page,
    )
}

/// Field messages of a form shown again.
#[derive(Default)]
pub struct FormErrors(Vec<(&'static str, &'static str)>);

impl FormErrors {
    /// Collects domain errors as (field, message in the visitor's language).
    pub fn from_errors(t: &'static Msgs, errors: &[Error]) -> Self {
        Self(
            errors
                .iter()
                .map(|e| match e {
                    Error::Invalid { field, reason } => (*field, t.text(reason.key())),
                    Error::Conflict(reason) => ("form", t.text(reason.key())),
                    _ => ("form", t.error_generic),
                })
                .collect(),
        )
    }
    pub fn add(&mut self, field: &'static str, message: &'static str) {
        self.0.push((field, message));
    }
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One line of the password checklist.
pub struct RuleView {
    pub id: &'static str,
    pub text: &'static str,
    pub met: bool,
}

/// The five rules, ticked for `password` (empty: none ticked).
pub fn rules_view(t: &'static Msgs, password: &str) -> Vec<RuleView> {
    Rule::ALL
        .into_iter()
        .map(|r| RuleView {
            id: match r {
                Rule::MinLength => "length",
                Rule::Lowercase => "lower",
                Rule::Uppercase => "upper",
                Rule::Digit => "digit",
                Rule::Special => "special",
            },
            text: t.text(r.key()),
            met: !password.is_empty() && r.is_met(password),
        })
        .collect()
}

/// The password errors of a form: every unmet rule is named, not only the first.
pub fn password_errors(
    t: &'static Msgs,
    password: &str,
    confirmation: &str,
    errors: &mut FormErrors,
) {
    if let Err(Error::Invalid { reason, .. }) =
        spreekuur_domain::registration::password_rules::check(password)
    {
        errors.add("password", t.text(reason.key()));
    } else if password != confirmation {
        errors.add("password_confirmation", t.password_mismatch);
    }
}

/// Starts an open session for `user` (`auth::sign_in::open`) and returns the cookie to set.
pub async fn start_session(
    state: &AppState,
    user: &UserId,
    device: &spreekuur_domain::ports::SessionDevice,
) -> Result<HeaderValue, PageError> {
    let session =
        spreekuur_domain::auth::sign_in::open(&state.signing_in(&device.client), user, device)
            .await?;
    session_cookie(state, &session.token)
}

/// The `Set-Cookie` value that gives this browser a session (HttpOnly, SameSite=Lax, Secure
/// over https); the token itself goes nowhere else.
pub fn session_cookie(state: &AppState, token: &str) -> Result<HeaderValue, PageError> {
    let c = cookies::set(
        cookies::SESSION,
        token,
        Some(state.cfg.session_hours * 3600),
        state.cfg.secure_cookies(),
        "Lax",
        true,
    );
    HeaderValue::from_str(&c).map_err(|e| PageError::Domain(Error::Internal(e.to_string())))
}

/// The cookie of a session that got a new id after its second step (`None`: it was gone).
pub fn rotated_cookie(
    state: &AppState,
    fresh: Option<spreekuur_domain::token::Issued>,
) -> Result<Option<HeaderValue>, PageError> {
    fresh.map(|f| session_cookie(state, &f.token)).transpose()
}

/// A "303 See Other" to `to`, optionally setting a cookie.
pub fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut r = (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, to.to_string())],
    )
        .into_response();
    if let Some(c) = cookie {
        r.headers_mut().append(SET_COOKIE, c);
    }
    r
}

/// "Te veel pogingen": when the account may answer a second step again (session code, app
/// code, app-lock PIN all share the count).
pub fn second_step_blocked(t: &'static Msgs, until: Timestamp) -> String {
    spreekuur_i18n::fill(
        t.second_step_blocked,
        &[("time", &spreekuur_i18n::time_of_day(until.millis()))],
    )
}

/// Adds `Retry-After` (whole seconds until `until`, at least 1) to a 429 answer.
pub fn retry_after(mut r: Response, until: Timestamp, now: Timestamp) -> Response {
    let secs = ((until.millis() - now.millis()) + 999) / 1000;
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(secs.max(1)),
    );
    r
}

/// The signed-in person's password, asked again before a change that outlives the session
/// (a passkey, an authenticator app, an API token).
pub async fn confirm_password(
    state: &AppState,
    me: &spreekuur_domain::account::Account,
    password: String,
) -> Result<bool, PageError> {
    let hash = state
        .store
        .account_for_login(me.email.as_str())
        .await?
        .and_then(|(_, h)| h);
    Ok(verify_password(state, password, hash).await)
}

/// Hashes a password on a blocking thread (Argon2id takes tens of milliseconds of CPU).
pub async fn hash_password(state: &AppState, password: String) -> Result<String, PageError> {
    let hasher = state.passwords.clone();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| PageError::Domain(Error::Internal(e.to_string())))
}

/// Argon2id on a blocking thread: the domain's password check.
pub struct BlockingPasswords(pub std::sync::Arc<spreekuur_crypto::PasswordHasher>);

#[async_trait::async_trait]
impl spreekuur_domain::auth::login::PasswordCheck for BlockingPasswords {
    async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let hasher = self.0.clone();
        let (password, phc) = (password.to_string(), phc.map(str::to_string));
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => hasher.verify(&password, &phc),
            None => hasher.verify_dummy(&password),
        })
        .await
        .unwrap_or(false)
    }

    async fn hash(&self, password: &str) -> Result<String, Error> {
        let hasher = self.0.clone();
        let password = zeroize::Zeroizing::new(password.to_string());
        tokio::task::spawn_blocking(move || hasher.hash(&password))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::Internal(e.to_string()))
    }
}

/// Verifies a password on a blocking thread; `None` spends the same time on a dummy hash.
pub async fn verify_password(state: &AppState, password: String, phc: Option<String>) -> bool {
    use spreekuur_domain::auth::login::PasswordCheck;
    BlockingPasswords(state.passwords.clone())
        .verify(&password, phc.as_deref())
        .await
}
