//! Login with e-mail address or username and password, and logout.
//!
//! An unknown account and a wrong password get the same answer, after the same work (a dummy
//! Argon2 verification), so neither the text nor the timing says which accounts exist. Every
//! attempt is audited.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_i18n::Msgs;

use super::{render, see_other, start_session, verify_password};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref, MaybeUser, cookies};
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
    pub error: Option<&'static str>,
    pub notice: Option<&'static str>,
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
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<Notice>,
) -> PageResult {
    if user.is_some() {
        return Ok(see_other("/messenger", None));
    }
    let t = lang.lang.msgs();
    let notice = match q.notice.as_deref() {
        Some("password_set") => Some(t.set_password_done),
        _ => None,
    };
    let page = LoginPage {
        layout: Layout::new(lang.lang, "/login", csrf.0, None, &state, "").await,
        t,
        intro: t.login_intro.into(),
        action: "/login".into(),
        login: String::new(),
        error: None,
        notice,
    };
    render(StatusCode::OK, &page)
}

/// Checks credentials and audits the attempt. `None` for any kind of failure.
pub async fn authenticate(
    state: &AppState,
    login: &str,
    password: &str,
    client: &str,
) -> Result<Option<Account>, PageError> {
    let now = state.clock.now();
    let found = state.store.account_for_login(login).await?;
    let (account, hash) = match found {
        Some((a, h)) if a.active => (Some(a), h),
        _ => (None, None),
    };
    let ok = verify_password(state, password.to_string(), hash).await && account.is_some();
    let mut rec = AuditRecord::new(
        now,
        if ok {
            Action::LoginSucceeded
        } else {
            Action::LoginFailed
        },
        client,
    );
    if let Some(a) = &account {
        rec = rec.actor(&a.id);
    }
    if !ok {
        rec = rec.failed();
    }
    state.store.audit(&rec).await?;
    Ok(if ok { account } else { None })
}

/// POST /login
pub async fn login_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    match authenticate(&state, &form.login, &form.password, &client).await? {
        Some(account) => {
            let cookie = start_session(&state, &account.id, state.clock.now()).await?;
            Ok(see_other("/messenger", Some(cookie)))
        }
        None => {
            let t = lang.lang.msgs();
            let page = LoginPage {
                layout: Layout::new(lang.lang, "/login", csrf.0, None, &state, "").await,
                t,
                intro: t.login_intro.into(),
                action: "/login".into(),
                login: form.login,
                error: Some(t.login_failed),
                notice: None,
            };
            render(StatusCode::UNAUTHORIZED, &page)
        }
    }
}

/// POST /logout
pub async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    MaybeUser(user): MaybeUser,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    if let Some(token) = cookies::get(&headers, cookies::SESSION) {
        state
            .store
            .delete_session(&state.tokens.hash("session", &token))
            .await?;
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
    Ok(see_other("/login", HeaderValue::from_str(&gone).ok()))
}
