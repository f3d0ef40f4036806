//! A single-use link to set a password (new staff accounts): valid 1 hour by default.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::Error;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::LinkPurpose;
use spreekuur_i18n::Msgs;

use super::{
    FormErrors, RuleView, hash_password, password_errors, render, rules_view, see_other,
    start_session,
};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::PageResult;
use crate::extract::{Client, LangPref};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    rules: Vec<RuleView>,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
    password_confirmation: String,
}

fn link_error(e: Error) -> Error {
    match e {
        Error::Expired => Error::invalid("token", "link_expired"),
        Error::Used => Error::invalid("token", "link_used"),
        Error::NotFound => Error::invalid("token", "link_unknown"),
        other => other,
    }
}

async fn page(
    state: &AppState,
    lang: LangPref,
    csrf: String,
    token: String,
    password: &str,
    errors: FormErrors,
) -> SetPasswordPage {
    let t = lang.lang.msgs();
    SetPasswordPage {
        layout: Layout::new(
            lang.lang,
            &format!("/password/{token}"),
            csrf,
            None,
            state,
            "",
        )
        .await,
        t,
        token,
        rules: rules_view(t, password),
        errors,
    }
}

/// GET /password/{token}
pub async fn set_password_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> PageResult {
    let hash = state.tokens.hash(LinkPurpose::SetPassword.as_str(), &token);
    state
        .store
        .check_link(&hash, LinkPurpose::SetPassword, state.clock.now())
        .await
        .map_err(link_error)?;
    render(
        StatusCode::OK,
        &page(&state, lang, csrf.0, token, "", FormErrors::default()).await,
    )
}

/// POST /password/{token}
pub async fn set_password_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    let hash = state.tokens.hash(LinkPurpose::SetPassword.as_str(), &token);
    state
        .store
        .check_link(&hash, LinkPurpose::SetPassword, state.clock.now())
        .await
        .map_err(link_error)?;
    let t = lang.lang.msgs();
    let mut errors = FormErrors::default();
    password_errors(t, &form.password, &form.password_confirmation, &mut errors);
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, lang, csrf.0, token, &form.password, errors).await,
        );
    }
    let phc = hash_password(&state, form.password).await?;
    let now = state.clock.now();
    let user = state
        .store
        .redeem_password_link(
            &hash,
            now,
            &phc,
            AuditRecord::new(now, Action::PasswordSet, &client),
        )
        .await
        .map_err(link_error)?;
    let cookie = start_session(&state, &user, now).await?;
    Ok(see_other("/messenger", Some(cookie)))
}
