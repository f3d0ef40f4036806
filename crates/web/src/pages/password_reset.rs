//! "Wachtwoord vergeten" (seed 002): the e-mail address goes in, and the answer is always the
//! same, whether or not the address belongs to an account. For an account, an e-mail with a
//! single-use link (valid 1 hour; the newest voids older ones) is queued, at most one a minute.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::password_reset::{LINK_VALID_SECS, MIN_SECS_BETWEEN_MAILS};
use spreekuur_domain::mail::{Letter, LetterKind};
use spreekuur_domain::ports::{LinkPurpose, NewLinkToken};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_i18n::{Lang, Msgs};

use super::{FormErrors, render};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    t: &'static Msgs,
    sent: bool,
    email: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    sent: bool,
    email: String,
    errors: FormErrors,
) -> ForgotPage {
    ForgotPage {
        layout: Layout::new(lang, "/forgot-password", csrf, None, state, "").await,
        t: lang.msgs(),
        sent,
        email,
        errors,
    }
}

/// GET /forgot-password
pub async fn forgot_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    render(
        StatusCode::OK,
        &page(
            &state,
            lang.lang,
            csrf.0,
            false,
            String::new(),
            FormErrors::default(),
        )
        .await,
    )
}

/// POST /forgot-password
pub async fn forgot_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> PageResult {
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            let errors = FormErrors::from_errors(lang.lang.msgs(), &[e]);
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&state, lang.lang, csrf.0, false, form.email, errors).await,
            );
        }
    };
    // The answer does not wait for the link and the e-mail: known and unknown addresses take
    // the same time, so the timing says nothing about which addresses have an account.
    let task_state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = send_reset_link(&task_state, &email, lang.lang, &client).await {
            tracing::error!(error = ?e, "password reset link not issued");
        }
    });
    render(
        StatusCode::OK,
        &page(
            &state,
            lang.lang,
            csrf.0,
            true,
            String::new(),
            FormErrors::default(),
        )
        .await,
    )
}

/// Issues a reset link and queues its e-mail, if the address belongs to an active account that
/// was not sent one in the last minute.
async fn send_reset_link(
    state: &AppState,
    email: &EmailAddress,
    lang: spreekuur_i18n::Lang,
    client: &str,
) -> Result<(), PageError> {
    let now = state.clock.now();
    let Some((account, _)) = state
        .store
        .account_for_login(email.as_str())
        .await?
        .filter(|(a, _)| a.active && a.email == *email)
    else {
        return Ok(());
    };
    let recent = state
        .store
        .latest_open_link(&account.id, LinkPurpose::PasswordReset, now)
        .await?
        .is_some_and(|at| now.millis() - at.millis() < MIN_SECS_BETWEEN_MAILS * 1000);
    if recent {
        return Ok(());
    }
    let issued = state
        .tokens
        .issue(TokenKind::Link(LinkPurpose::PasswordReset))?;
    let token = issued.token;
    let link = NewLinkToken {
        hash: issued.hash,
        purpose: LinkPurpose::PasswordReset,
        user: Some(account.id.clone()),
        created_at: now,
        expires_at: now.plus_seconds(LINK_VALID_SECS),
    };
    let practice = state.practice_name().await?;
    let mail = state.composer.compose(&Letter {
        to: &account.email,
        lang: lang.code(),
        practice: &practice,
        kind: LetterKind::PasswordReset {
            first_name: account.first_name.as_str(),
            link: &state.link(&format!("/reset-password/{}", token.as_str())),
            valid_until: link.expires_at,
        },
    });
    let rec = AuditRecord::new(now, Action::PasswordResetRequested, client).actor(&account.id);
    state.store.issue_link(&link, Some(&mail), &rec).await?;
    state.mail_wake.notify_one();
    Ok(())
}
