//! The one-time setup link printed at first start: creates the practice and its first
//! administrator, then signs that administrator in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::{NewAccount, Practice, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::LinkPurpose;
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{Error, UserId};
use spreekuur_i18n::Msgs;

use super::login::sign_in;
use super::{FormErrors, RuleView, hash_password, password_errors, render, rules_view};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Device, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    practice_name: String,
    practice_email: String,
    first_name: String,
    last_name: String,
    email: String,
    rules: Vec<RuleView>,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct SetupForm {
    practice_name: String,
    practice_email: String,
    first_name: String,
    last_name: String,
    email: String,
    password: String,
    password_confirmation: String,
}

async fn check(state: &AppState, token: &str) -> Result<(), PageError> {
    let hash = state
        .tokens
        .hash(TokenKind::Link(LinkPurpose::Setup), token);
    state
        .store
        .check_link(&hash, LinkPurpose::Setup, state.clock.now())
        .await
        .map_err(|_| Error::invalid("token", Reason::SetupLinkInvalid))?;
    Ok(())
}

fn setup_page(page: &Page, token: String, form: SetupForm, errors: FormErrors) -> SetupPage {
    let t = page.lang.msgs();
    SetupPage {
        layout: page.layout_at(&format!("/setup/{token}"), None, ""),
        t,
        token,
        practice_name: form.practice_name,
        practice_email: form.practice_email,
        first_name: form.first_name,
        last_name: form.last_name,
        email: form.email,
        rules: rules_view(t, &form.password),
        errors,
    }
}

/// GET /setup/{token}
pub async fn setup_get(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> PageResult {
    check(&state, &token).await?;
    render(
        StatusCode::OK,
        &setup_page(&page, token, SetupForm::default(), FormErrors::default()),
    )
}

/// POST /setup/{token}
pub async fn setup_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Device(device): Device,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> PageResult {
    check(&state, &token).await?;
    let t = page.lang.msgs();
    let mut problems = Vec::new();
    let name = form.practice_name.trim().to_string();
    if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 120 {
        problems.push(Error::invalid(
            "practice_name",
            Reason::PracticeNameRequired,
        ));
    }
    let practice_email = EmailAddress::parse(&form.practice_email)
        .map_err(|e| problems.push(relabel(e, "practice_email")))
        .ok();
    let first = PersonName::parse("first_name", &form.first_name)
        .map_err(|e| problems.push(e))
        .ok();
    let last = PersonName::parse("last_name", &form.last_name)
        .map_err(|e| problems.push(e))
        .ok();
    let email = EmailAddress::parse(&form.email)
        .map_err(|e| problems.push(e))
        .ok();
    let mut errors = FormErrors::from_errors(t, &problems);
    password_errors(t, &form.password, &form.password_confirmation, &mut errors);
    let (Some(practice_email), Some(first_name), Some(last_name), Some(email), true) =
        (practice_email, first, last, email, errors.is_empty())
    else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &setup_page(&page, token, form, errors),
        );
    };
    let password_hash = hash_password(&state, form.password.clone()).await?;
    let now = state.clock.now();
    let admin = NewAccount {
        id: UserId::new(),
        role: Role::Admin,
        email,
        username: None,
        first_name,
        last_name,
        password_hash: Some(password_hash),
        lang: page.lang.code().into(),
    };
    let practice = Practice::new(name, practice_email);
    let hash = state
        .tokens
        .hash(TokenKind::Link(LinkPurpose::Setup), &token);
    let audit = [AuditRecord::new(now, Action::PracticeSetUp, &client).actor(&admin.id)];
    match state
        .store
        .redeem_setup(&hash, now, &practice, &admin, &audit)
        .await
    {
        Ok(()) => {}
        Err(Error::Conflict(_)) => {
            let mut errors = FormErrors::default();
            errors.add("email", t.account_exists);
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &setup_page(&page, token, form, errors),
            );
        }
        Err(Error::Used | Error::Expired | Error::NotFound) => {
            return Err(Error::invalid("token", Reason::SetupLinkInvalid).into());
        }
        Err(e) => return Err(e.into()),
    }
    // The most powerful account is no exception to the practice's rule for staff: by default it
    // sets up an authenticator app or a passkey before anything opens.
    let account = state
        .store
        .account(&admin.id)
        .await?
        .ok_or_else(|| Error::Internal("the new administrator was not stored".into()))?;
    sign_in(
        &state,
        &account,
        page.lang,
        &device,
        "/invite?notice=setup_done",
    )
    .await
}

fn relabel(e: Error, field: &'static str) -> Error {
    match e {
        Error::Invalid { reason, .. } => Error::Invalid { field, reason },
        other => other,
    }
}
