//! "Wachtwoord vergeten" (seed 002): the e-mail address goes in, and the answer is always the
//! same, whether or not the address belongs to an account. For an account, an e-mail with a
//! single-use link (valid 1 hour; the newest voids older ones) is queued, at most one a minute.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::auth::password_reset;
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

/// Issues a reset link and queues its e-mail (`auth::password_reset::request`).
async fn send_reset_link(
    state: &AppState,
    email: &EmailAddress,
    lang: spreekuur_i18n::Lang,
    client: &str,
) -> Result<(), PageError> {
    let passwords = super::BlockingPasswords(state.passwords.clone());
    let practice = state.practice_name().await?;
    let r = super::set_password::resetting(state, &passwords, &practice, client);
    Ok(password_reset::request(r, email, lang.code()).await?)
}
