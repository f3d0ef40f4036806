//! "Patiënt uitnodigen": a provider or assistant invites a patient by e-mail. The invitation,
//! its e-mail (outbox) and the audit records are stored in one transaction.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::FormError;
use spreekuur_domain::account::Account;
use spreekuur_domain::invitation::{self, Sending};
use spreekuur_i18n::Msgs;

use super::{FormErrors, render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    layout: Layout,
    t: &'static Msgs,
    notice: Option<&'static str>,
    first_name: String,
    last_name: String,
    email: String,
    note: String,
    mail_lang: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    first_name: String,
    last_name: String,
    email: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    lang: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

fn invite_page(
    page: &Page,
    me: &Account,
    form: InviteForm,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> InvitePage {
    let mail_lang = if form.lang.is_empty() {
        page.lang.code().to_string()
    } else {
        form.lang
    };
    InvitePage {
        layout: page.layout(Some(me), "invite"),
        t: page.lang.msgs(),
        notice,
        first_name: form.first_name,
        last_name: form.last_name,
        email: form.email,
        note: form.note,
        mail_lang,
        errors,
    }
}

/// GET /invite
pub async fn invite_get(page: Page, Staff(me): Staff, Query(q): Query<Notice>) -> PageResult {
    let notice = match q.notice.as_deref() {
        Some("setup_done") => Some(page.lang.msgs().setup_done),
        _ => None,
    };
    render(
        StatusCode::OK,
        &invite_page(
            &page,
            &me,
            InviteForm::default(),
            FormErrors::default(),
            notice,
        ),
    )
}

/// What the invitation use cases need from this node.
pub(crate) fn sending<'a>(state: &'a AppState, practice: &'a str, client: &'a str) -> Sending<'a> {
    Sending {
        store: &*state.store,
        tokens: &*state.tokens,
        letters: state.letters(practice),
        valid_days: state.cfg.invitation_valid_days,
        now: state.clock.now(),
        client,
    }
}

/// POST /invite
pub async fn invite_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> PageResult {
    let practice = state.practice_name().await?;
    let typed = invitation::InviteForm {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        note: &form.note,
        lang: &form.lang,
    };
    let sent = invitation::invite(
        sending(&state, &practice, &client),
        &me,
        &typed,
        invitation::Channel::Page,
    )
    .await;
    match sent {
        Ok(inv) => Ok(see_other(&format!("/invitations?sent={}", inv.id), None)),
        Err(FormError::Fields(errs)) => {
            let errors = FormErrors::from_errors(page.lang.msgs(), &errs);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &invite_page(&page, &me, form, errors, None),
            )
        }
        Err(FormError::Failed(e)) => Err(e.into()),
    }
}
