//! "Wachtwoord vergeten" (seed 002): the e-mail address goes in, and the answer is always the
//! same, whether or not the address belongs to an account. For an account, an e-mail with a
//! single-use link (valid 1 hour; the newest voids older ones) is queued, at most one a minute.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::auth::password_reset;
use spreekuur_domain::validate::EmailAddress;
use spreekuur_i18n::Msgs;

use super::{FormErrors, render};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Page};
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

fn forgot_page(page: &Page, sent: bool, email: String, errors: FormErrors) -> ForgotPage {
    ForgotPage {
        layout: page.layout(None, ""),
        t: page.lang.msgs(),
        sent,
        email,
        errors,
    }
}

/// GET /forgot-password
pub async fn forgot_get(page: Page) -> PageResult {
    render(
        StatusCode::OK,
        &forgot_page(&page, false, String::new(), FormErrors::default()),
    )
}

/// POST /forgot-password
pub async fn forgot_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> PageResult {
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            let errors = FormErrors::from_errors(page.lang.msgs(), &[e]);
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &forgot_page(&page, false, form.email, errors),
            );
        }
    };
    // The answer does not wait for the link and the e-mail: known and unknown addresses take
    // the same time, so the timing says nothing about which addresses have an account.
    let lang = page.lang;
    tokio::spawn(async move {
        if let Err(e) = send_reset_link(&state, &email, lang, &client).await {
            tracing::error!(error = ?e, "password reset link not issued");
        }
    });
    render(
        StatusCode::OK,
        &forgot_page(&page, true, String::new(), FormErrors::default()),
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
