//! "Patiënt uitnodigen": a provider or assistant invites a patient by e-mail. The invitation,
//! its e-mail (outbox) and the audit records are stored in one transaction.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::invitation::NewInvitation;
use spreekuur_domain::mail::{Letter, LetterKind};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::Msgs;

use super::{FormErrors, render, see_other};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref, Staff};
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

async fn page(
    state: &AppState,
    lang: LangPref,
    csrf: String,
    me: &Account,
    form: InviteForm,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> InvitePage {
    let mail_lang = if form.lang.is_empty() {
        lang.lang.code().to_string()
    } else {
        form.lang
    };
    InvitePage {
        layout: Layout::new(lang.lang, "/invite", csrf, Some(me), state, "invite").await,
        t: lang.lang.msgs(),
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
pub async fn invite_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Staff(me): Staff,
    Query(q): Query<Notice>,
) -> PageResult {
    let notice = match q.notice.as_deref() {
        Some("setup_done") => Some(lang.lang.msgs().setup_done),
        _ => None,
    };
    render(
        StatusCode::OK,
        &page(
            &state,
            lang,
            csrf.0,
            &me,
            InviteForm::default(),
            FormErrors::default(),
            notice,
        )
        .await,
    )
}

/// The invitation e-mail with a fresh link.
pub(crate) async fn invitation_mail(
    state: &AppState,
    inviter: &str,
    first_name: &str,
    to: &spreekuur_domain::validate::EmailAddress,
    lang: &str,
    token: &str,
    expires_at: Timestamp,
    has_note: bool,
) -> Result<spreekuur_domain::mail::Outgoing, PageError> {
    let practice = state.practice_name().await?;
    let link = state.link(&format!("/i/{token}"));
    Ok(state.composer.compose(&Letter {
        to,
        lang,
        practice: &practice,
        kind: LetterKind::Invitation {
            inviter,
            first_name,
            link: &link,
            valid_until: expires_at,
            has_note,
        },
    }))
}

/// POST /invite
pub async fn invite_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    Staff(me): Staff,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> PageResult {
    if !me.role.may_invite() {
        return Err(Error::Forbidden.into());
    }
    let now = state.clock.now();
    let token = spreekuur_crypto::generate_token().map_err(|e| Error::Internal(e.to_string()))?;
    let hash = state.tokens.hash(TokenKind::Invitation, &token);
    let parsed = NewInvitation::parse(
        me.id.clone(),
        &form.first_name,
        &form.last_name,
        &form.email,
        &form.note,
        &form.lang,
        hash,
        now,
        state.cfg.invitation_valid_days,
    );
    let inv = match parsed {
        Ok(inv) => inv,
        Err(errs) => {
            let errors = FormErrors::from_errors(lang.lang.msgs(), &errs);
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&state, lang, csrf.0, &me, form, errors, None).await,
            );
        }
    };
    let mail = invitation_mail(
        &state,
        &me.display_name(),
        inv.first_name.as_str(),
        &inv.email,
        &inv.lang,
        &token,
        inv.expires_at,
        inv.note.is_some(),
    )
    .await?;
    let audit = [
        AuditRecord::new(now, Action::InvitationCreated, &client)
            .actor(&me.id)
            .object(&inv.id),
        AuditRecord::new(now, Action::InvitationSent, &client)
            .actor(&me.id)
            .object(&inv.id),
    ];
    state.store.create_invitation(&inv, &mail, &audit).await?;
    state.mail_wake.notify_one();
    tracing::info!(invitation_id = %inv.id, "invitation created");
    Ok(see_other(&format!("/invitations?sent={}", inv.id), None))
}
