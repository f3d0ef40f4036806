//! Single-use links that set a password: "Wachtwoord instellen" for new staff accounts (valid
//! 24 hours) and "Nieuw wachtwoord instellen" after "Wachtwoord vergeten" (valid 1 hour). Both
//! check the five rules, sign out every other session of the account and sign this browser in;
//! a reset also sends a notice that the password was changed.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::Error;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::login::login_name_key;
use spreekuur_domain::auth::sign_in::{self, Proof};
use spreekuur_domain::error::Reason;
use spreekuur_domain::mail::SecurityNotice;
use spreekuur_domain::mail::{Letter, LetterKind};
use spreekuur_domain::ports::{LinkPurpose, SessionDevice};
use spreekuur_domain::token::TokenKind;
use spreekuur_i18n::{Lang, Msgs};

use super::login::waiting_page;
use super::{
    FormErrors, RuleView, hash_password, password_errors, render, rules_view, see_other,
    session_cookie,
};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::PageResult;
use crate::extract::{Device, LangPref};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    t: &'static Msgs,
    title: &'static str,
    intro: &'static str,
    submit: &'static str,
    action: String,
    rules: Vec<RuleView>,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    t: &'static Msgs,
    title: &'static str,
    message: &'static str,
    href: &'static str,
    button: &'static str,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
    password_confirmation: String,
}

fn link_error(e: Error) -> Error {
    match e {
        Error::Expired => Error::invalid("token", Reason::LinkExpired),
        Error::Used => Error::invalid("token", Reason::LinkUsed),
        Error::NotFound => Error::invalid("token", Reason::LinkUnknown),
        other => other,
    }
}

fn path(purpose: LinkPurpose, token: &str) -> String {
    match purpose {
        LinkPurpose::PasswordReset => format!("/reset-password/{token}"),
        _ => format!("/password/{token}"),
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    purpose: LinkPurpose,
    token: &str,
    password: &str,
    errors: FormErrors,
) -> SetPasswordPage {
    let t = lang.msgs();
    let (title, intro, submit) = match purpose {
        LinkPurpose::PasswordReset => (t.reset_title, t.reset_intro, t.set_password_submit),
        _ => (
            t.set_password_title,
            t.set_password_intro,
            t.set_password_submit,
        ),
    };
    let action = path(purpose, token);
    SetPasswordPage {
        layout: Layout::new(lang, &action, csrf, None, state, "").await,
        t,
        title,
        intro,
        submit,
        action,
        rules: rules_view(t, password),
        errors,
    }
}

async fn show(
    state: AppState,
    lang: LangPref,
    csrf: CsrfToken,
    purpose: LinkPurpose,
    token: String,
) -> PageResult {
    let hash = state.tokens.hash(TokenKind::Link(purpose), &token);
    state
        .store
        .check_link(&hash, purpose, state.clock.now())
        .await
        .map_err(link_error)?;
    render(
        StatusCode::OK,
        &page(
            &state,
            lang.lang,
            csrf.0,
            purpose,
            &token,
            "",
            FormErrors::default(),
        )
        .await,
    )
}

async fn save(
    state: AppState,
    lang: LangPref,
    device: SessionDevice,
    csrf: CsrfToken,
    purpose: LinkPurpose,
    token: String,
    form: PasswordForm,
) -> PageResult {
    let client = device.client.clone();
    let hash = state.tokens.hash(TokenKind::Link(purpose), &token);
    let now = state.clock.now();
    let user = state
        .store
        .check_link(&hash, purpose, now)
        .await
        .map_err(link_error)?
        .ok_or(Error::NotFound)?;
    let t = lang.lang.msgs();
    let mut errors = FormErrors::default();
    password_errors(t, &form.password, &form.password_confirmation, &mut errors);
    if !errors.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                &state,
                lang.lang,
                csrf.0,
                purpose,
                &token,
                &form.password,
                errors,
            )
            .await,
        );
    }
    let phc = hash_password(&state, form.password).await?;
    let account = state.store.account(&user).await?.ok_or(Error::NotFound)?;
    let (notice, action) = match purpose {
        LinkPurpose::PasswordReset => {
            let practice = state.practice_name().await?;
            let mail = state.composer.compose(&Letter {
                to: &account.email,
                lang: lang.lang.code(),
                practice: &practice,
                kind: LetterKind::Security {
                    first_name: account.first_name.as_str(),
                    notice: SecurityNotice::PasswordChanged,
                    link: &state.link("/forgot-password"),
                    at: now,
                },
            });
            (Some(mail), Action::PasswordReset)
        }
        _ => (None, Action::PasswordSet),
    };
    state
        .store
        .redeem_password_link(
            &hash,
            purpose,
            now,
            &phc,
            notice.as_ref(),
            AuditRecord::new(now, action, &client),
        )
        .await
        .map_err(link_error)?;
    state.mail_wake.notify_one();
    // A reset ends any wait that guessing caused (a reset always lets the patient back in).
    for login in std::iter::once(account.email.as_str()).chain(account.username.as_deref()) {
        state
            .store
            .clear_throttle(&login_name_key(&*state.tokens, login))
            .await?;
    }
    // The e-mailed link proves the mailbox, as a session code would. An authenticator app or a
    // passkey, or a practice that asks two-factor of this account, still takes that step (or
    // sets one up) before anything opens.
    let begun = sign_in::begin(
        &state.signing_in(&client),
        &account,
        Proof::MailedLink,
        &device,
        lang.lang.code(),
        "/messenger",
    )
    .await?;
    let cookie = session_cookie(&state, &begun.session.token)?;
    if begun.waiting.is_some() || purpose != LinkPurpose::PasswordReset {
        return Ok(see_other(
            waiting_page(begun.waiting, "/messenger"),
            Some(cookie),
        ));
    }
    let done = NoticePage {
        layout: Layout::new(lang.lang, "/messenger", csrf.0, Some(&account), &state, "").await,
        t,
        title: t.reset_title,
        message: t.reset_done,
        href: "/messenger",
        button: t.notice_continue,
    };
    let mut res = render(StatusCode::OK, &done)?;
    res.headers_mut()
        .append(axum::http::header::SET_COOKIE, cookie);
    Ok(res)
}

/// GET /password/{token}
pub async fn set_password_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> PageResult {
    show(state, lang, csrf, LinkPurpose::SetPassword, token).await
}

/// POST /password/{token}
pub async fn set_password_post(
    State(state): State<AppState>,
    lang: LangPref,
    Device(device): Device,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    save(
        state,
        lang,
        device,
        csrf,
        LinkPurpose::SetPassword,
        token,
        form,
    )
    .await
}

/// GET /reset-password/{token}
pub async fn reset_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> PageResult {
    show(state, lang, csrf, LinkPurpose::PasswordReset, token).await
}

/// POST /reset-password/{token}
pub async fn reset_post(
    State(state): State<AppState>,
    lang: LangPref,
    Device(device): Device,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    save(
        state,
        lang,
        device,
        csrf,
        LinkPurpose::PasswordReset,
        token,
        form,
    )
    .await
}
