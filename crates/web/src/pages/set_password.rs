//! Single-use links that set a password: "Wachtwoord instellen" for new staff accounts (valid
//! 24 hours) and "Nieuw wachtwoord instellen" after "Wachtwoord vergeten" (valid 1 hour). Both
//! check the five rules, sign out every other session of the account and sign this browser in;
//! a reset also sends a notice that the password was changed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::FormError;
use spreekuur_domain::auth::password_reset::{self, Resetting};
use spreekuur_domain::auth::sign_in::{self, Proof};
use spreekuur_domain::ports::{LinkPurpose, SessionDevice};
use spreekuur_i18n::Msgs;

use super::login::waiting_page;
use super::{FormErrors, RuleView, render, rules_view, see_other, session_cookie};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Device, Page};
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

/// The ports of the password-link use cases (`domain::auth::password_reset`).
pub fn resetting<'a>(
    state: &'a AppState,
    passwords: &'a super::BlockingPasswords,
    practice: &'a str,
    client: &'a str,
) -> Resetting<'a> {
    Resetting {
        accounts: &*state.store,
        throttles: &*state.store,
        tokens: &*state.tokens,
        passwords,
        letters: state.letters(practice),
        now: state.clock.now(),
        client,
    }
}

fn path(purpose: LinkPurpose, token: &str) -> String {
    match purpose {
        LinkPurpose::PasswordReset => format!("/reset-password/{token}"),
        _ => format!("/password/{token}"),
    }
}

fn password_page(
    page: &Page,
    purpose: LinkPurpose,
    token: &str,
    password: &str,
    errors: FormErrors,
) -> SetPasswordPage {
    let t = page.lang.msgs();
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
        layout: page.layout_at(&action, None, ""),
        t,
        title,
        intro,
        submit,
        action,
        rules: rules_view(t, password),
        errors,
    }
}

async fn show(state: AppState, page: Page, purpose: LinkPurpose, token: String) -> PageResult {
    password_reset::check_link(
        &*state.store,
        &*state.tokens,
        state.clock.now(),
        purpose,
        &token,
    )
    .await?;
    render(
        StatusCode::OK,
        &password_page(&page, purpose, &token, "", FormErrors::default()),
    )
}

async fn save(
    state: AppState,
    page: Page,
    device: SessionDevice,
    purpose: LinkPurpose,
    token: String,
    form: PasswordForm,
) -> PageResult {
    let client = device.client.clone();
    let t = page.lang.msgs();
    let passwords = super::BlockingPasswords(state.passwords.clone());
    let practice = state.practice_name().await?;
    let r = resetting(&state, &passwords, &practice, &client);
    let account = match password_reset::set_password(
        r,
        purpose,
        &token,
        &form.password,
        &form.password_confirmation,
        page.lang.code(),
    )
    .await
    {
        Ok(account) => account,
        Err(FormError::Fields(errs)) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &password_page(
                    &page,
                    purpose,
                    &token,
                    &form.password,
                    FormErrors::from_errors(t, &errs),
                ),
            );
        }
        Err(FormError::Failed(e)) => return Err(e.into()),
    };
    // The e-mailed link proves the mailbox, as a session code would. An authenticator app or a
    // passkey, or a practice that asks two-factor of this account, still takes that step (or
    // sets one up) before anything opens.
    let begun = sign_in::begin(
        &state.signing_in(&client),
        &account,
        Proof::MailedLink,
        &device,
        page.lang.code(),
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
        layout: page.layout_at("/messenger", Some(&account), ""),
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
    page: Page,
    Path(token): Path<String>,
) -> PageResult {
    show(state, page, LinkPurpose::SetPassword, token).await
}

/// POST /password/{token}
pub async fn set_password_post(
    State(state): State<AppState>,
    page: Page,
    Device(device): Device,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    save(state, page, device, LinkPurpose::SetPassword, token, form).await
}

/// GET /reset-password/{token}
pub async fn reset_get(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> PageResult {
    show(state, page, LinkPurpose::PasswordReset, token).await
}

/// POST /reset-password/{token}
pub async fn reset_post(
    State(state): State<AppState>,
    page: Page,
    Device(device): Device,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    save(state, page, device, LinkPurpose::PasswordReset, token, form).await
}
