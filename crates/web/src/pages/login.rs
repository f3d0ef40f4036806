//! Login with e-mail address or username and password, and logout.
//!
//! An unknown account and a wrong password get the same answer, after the same work (a dummy
//! Argon2 verification), so neither the text nor the timing says which accounts exist. Every
//! attempt is audited.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
pub use spreekuur_domain::auth::login::Outcome;
use spreekuur_domain::auth::login::{self, Checking};
use spreekuur_domain::auth::sign_in::{self, Proof};
use spreekuur_domain::ports::{PendingStage, SessionDevice};
use spreekuur_i18n::{Lang, Msgs, fill};

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Device, MaybeUser, Page, cookies};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub t: &'static Msgs,
    pub intro: String,
    pub action: String,
    pub login: String,
    pub error: Option<String>,
    pub notice: Option<&'static str>,
    /// Offered on the plain login page (not when linking an invitation).
    pub passkey: Option<super::passkeys::PasskeyAvailability>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// GET /login
pub async fn login_get(
    State(state): State<AppState>,
    page: Page,
    MaybeUser(user): MaybeUser,
    Query(q): Query<Notice>,
) -> PageResult {
    if user.is_some() {
        return Ok(see_other("/messenger", None));
    }
    let t = page.lang.msgs();
    let notice = match q.notice.as_deref() {
        Some("password_set") => Some(t.set_password_done),
        Some("lock_out") => Some(t.lock_signed_out),
        _ => None,
    };
    let view = LoginPage {
        layout: page.layout(None, ""),
        t,
        intro: t.login_intro.into(),
        action: "/login".into(),
        login: String::new(),
        error: None,
        notice,
        passkey: state
            .passkeys
            .is_some()
            .then(|| super::passkeys::availability(&state, t)),
    };
    render(StatusCode::OK, &view)
}

/// The password step (`domain::auth::login::authenticate`) with this node's ports.
pub async fn authenticate(
    state: &AppState,
    login: &str,
    password: &str,
    client: &str,
) -> Result<Outcome, PageError> {
    let passwords = super::BlockingPasswords(state.passwords.clone());
    let checking = Checking {
        accounts: &*state.store,
        throttles: &*state.store,
        audit: &*state.store,
        tokens: &*state.tokens,
        passwords: &passwords,
        now: state.clock.now(),
        client,
    };
    Ok(login::authenticate(checking, login, password).await?)
}

/// Completes a correct password (`auth::sign_in::begin`): straight on to `next_path`, or to
/// the page of the step the account or the practice asks first.
pub async fn sign_in(
    state: &AppState,
    account: &Account,
    lang: Lang,
    device: &SessionDevice,
    next_path: &str,
) -> PageResult {
    let s = state.signing_in(&device.client);
    let begun =
        sign_in::begin(&s, account, Proof::Password, device, lang.code(), next_path).await?;
    Ok(see_other(
        waiting_page(begun.waiting, next_path),
        Some(super::session_cookie(state, &begun.session.token)?),
    ))
}

/// The page a new session goes to: `open` when it is open, else the page of its step.
pub fn waiting_page(waiting: Option<PendingStage>, open: &str) -> &str {
    match waiting {
        None => open,
        Some(PendingStage::SecondFactor) => "/two-factor",
        Some(PendingStage::Enrol) => "/enrol",
        Some(PendingStage::SessionCode) => "/session-code",
    }
}

/// The message for a failed or blocked attempt, and its status.
pub fn failure_message(lang: Lang, outcome: &Outcome) -> (StatusCode, String) {
    let t = lang.msgs();
    match outcome {
        Outcome::Blocked(until) => (
            StatusCode::TOO_MANY_REQUESTS,
            fill(
                t.login_blocked,
                &[("time", &spreekuur_i18n::time_of_day(until.millis()))],
            ),
        ),
        _ => (StatusCode::UNAUTHORIZED, t.login_failed.to_string()),
    }
}

/// POST /login
pub async fn login_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Device(device): Device,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    let outcome = authenticate(&state, &form.login, &form.password, &client).await?;
    if let Outcome::SignedIn(account) = outcome {
        return sign_in(&state, &account, page.lang, &device, "/messenger").await;
    }
    let t = page.lang.msgs();
    let (status, error) = failure_message(page.lang, &outcome);
    let view = LoginPage {
        layout: page.layout(None, ""),
        t,
        intro: t.login_intro.into(),
        action: "/login".into(),
        login: form.login,
        error: Some(error),
        notice: None,
        passkey: state
            .passkeys
            .is_some()
            .then(|| super::passkeys::availability(&state, t)),
    };
    let r = render(status, &view)?;
    Ok(match outcome {
        Outcome::Blocked(until) => super::retry_after(r, until, state.clock.now()),
        _ => r,
    })
}

/// POST /logout
pub async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    MaybeUser(user): MaybeUser,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    // Back to an invitation's landing page (signed out to register someone new); nowhere
    // else, so the field cannot send anyone to another site.
    let next = form
        .get("next")
        .filter(|n| {
            n.strip_prefix("/i/").is_some_and(|token| {
                !token.is_empty()
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
        })
        .map_or("/login", String::as_str);
    if let Some(hash) = crate::extract::session_hash(&state, &headers) {
        state.store.delete_session(&hash).await?;
    }
    if let Some(u) = user {
        state
            .store
            .audit(&AuditRecord::new(state.clock.now(), Action::Logout, &client).actor(&u.id))
            .await?;
    }
    let gone = cookies::set(
        cookies::SESSION,
        "",
        Some(0),
        state.cfg.secure_cookies(),
        "Lax",
        true,
    );
    Ok(see_other(next, HeaderValue::from_str(&gone).ok()))
}
