//! Staff accounts, for administrators: add (with an e-mailed set-password link), deactivate,
//! activate. The shell does the same with `spreekuur admin create-staff`.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::{Account, NewAccount, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::mail::{Letter, LetterKind};
use spreekuur_domain::ports::{LinkPurpose, NewLinkToken};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::validate::{EmailAddress, PersonName};
use spreekuur_domain::{Error, UserId};
use spreekuur_i18n::{Lang, Msgs, fill};

use super::{FormErrors, render, see_other};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::PageResult;
use crate::extract::{Admin, Client, LangPref};
use crate::layout::Layout;
use crate::state::AppState;

/// A set-password link is valid this long.
pub const PASSWORD_LINK_HOURS: i64 = 24;

pub struct StaffRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    status: &'static str,
    active: bool,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    layout: Layout,
    t: &'static Msgs,
    notice: Option<String>,
    rows: Vec<StaffRow>,
    first_name: String,
    last_name: String,
    email: String,
    role: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct StaffForm {
    first_name: String,
    last_name: String,
    email: String,
    role: String,
}

#[derive(Deserialize)]
pub struct Notice {
    added: Option<String>,
}

pub fn role_label(t: &'static Msgs, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Provider => t.role_provider,
        Role::Assistant => t.role_assistant,
        Role::Patient => t.role_patient,
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    me: &Account,
    form: StaffForm,
    errors: FormErrors,
    notice: Option<String>,
) -> PageResult<StaffPage> {
    let t = lang.msgs();
    let rows = state
        .store
        .list_staff()
        .await?
        .into_iter()
        .map(|a| StaffRow {
            id: a.id.to_string(),
            name: a.display_name(),
            email: a.email.as_str().into(),
            role: role_label(t, a.role),
            status: if a.active {
                t.staff_active
            } else {
                t.staff_inactive
            },
            active: a.active,
            is_me: a.id == me.id,
        })
        .collect();
    Ok(StaffPage {
        layout: Layout::new(lang, "/staff", csrf, Some(me), state, "staff").await,
        t,
        notice,
        rows,
        first_name: form.first_name,
        last_name: form.last_name,
        email: form.email,
        role: if form.role.is_empty() {
            "provider".into()
        } else {
            form.role
        },
        errors,
    })
}

/// GET /staff
pub async fn staff_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Admin(me): Admin,
    Query(q): Query<Notice>,
) -> PageResult {
    let t = lang.lang.msgs();
    let notice = match q.added.as_deref().and_then(UserId::parse) {
        Some(id) => state
            .store
            .account(&id)
            .await?
            .map(|a| fill(t.staff_added, &[("name", &a.display_name())])),
        None => None,
    };
    render(
        StatusCode::OK,
        &page(
            &state,
            lang.lang,
            csrf.0,
            &me,
            StaffForm::default(),
            FormErrors::default(),
            notice,
        )
        .await?,
    )
}

/// Creates a staff account with a set-password link; returns the link. Used by the page and
/// (through the same store call) mirrored by `spreekuur admin create-staff`.
pub async fn create_staff(
    state: &AppState,
    actor: Option<&UserId>,
    source: &str,
    first_name: &str,
    last_name: &str,
    email: &str,
    role: Role,
    lang: Lang,
) -> Result<(UserId, String), Vec<Error>> {
    let mut errs = Vec::new();
    let first = PersonName::parse("first_name", first_name)
        .map_err(|e| errs.push(e))
        .ok();
    let last = PersonName::parse("last_name", last_name)
        .map_err(|e| errs.push(e))
        .ok();
    let email = EmailAddress::parse(email).map_err(|e| errs.push(e)).ok();
    let (Some(first_name), Some(last_name), Some(email)) = (first, last, email) else {
        return Err(errs);
    };
    if role == Role::Patient {
        return Err(vec![Error::invalid("role", "error_forbidden")]);
    }
    let now = state.clock.now();
    let token =
        spreekuur_crypto::generate_token().map_err(|e| vec![Error::Internal(e.to_string())])?;
    let account = NewAccount {
        id: UserId::new(),
        role,
        email,
        username: None,
        first_name,
        last_name,
        password_hash: None,
        lang: lang.code().into(),
    };
    let link = NewLinkToken {
        hash: state
            .tokens
            .hash(TokenKind::Link(LinkPurpose::SetPassword), &token),
        purpose: LinkPurpose::SetPassword,
        user: Some(account.id.clone()),
        created_at: now,
        expires_at: now.plus_seconds(PASSWORD_LINK_HOURS * 3600),
    };
    let url = state.link(&format!("/password/{}", token.as_str()));
    let practice = state
        .store
        .practice()
        .await
        .map_err(|e| vec![e.into()])?
        .map(|p| p.name)
        .unwrap_or_default();
    let mail = state.composer.compose(&Letter {
        to: &account.email,
        lang: lang.code(),
        practice: &practice,
        kind: LetterKind::SetPassword {
            first_name: account.first_name.as_str(),
            link: &url,
            valid_until: link.expires_at,
        },
    });
    let mut rec = AuditRecord::new(now, Action::StaffCreated, source).object(&account.id);
    if let Some(a) = actor {
        rec = rec.actor(a);
    }
    state
        .store
        .create_account(&account, Some(&link), Some(&mail), &rec)
        .await
        .map_err(|e| vec![e])?;
    state.mail_wake.notify_one();
    Ok((account.id, url))
}

/// POST /staff
pub async fn staff_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    Admin(me): Admin,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> PageResult {
    let role = Role::parse(&form.role)
        .filter(|r| r.is_staff())
        .unwrap_or(Role::Provider);
    match create_staff(
        &state,
        Some(&me.id),
        &client,
        &form.first_name,
        &form.last_name,
        &form.email,
        role,
        lang.lang,
    )
    .await
    {
        Ok((id, _)) => Ok(see_other(&format!("/staff?added={id}"), None)),
        Err(errs) => {
            let errors = FormErrors::from_errors(lang.lang.msgs(), &errs);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&state, lang.lang, csrf.0, &me, form, errors, None).await?,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

/// POST /staff/{id}/active
pub async fn active_post(
    State(state): State<AppState>,
    Client(client): Client,
    Admin(me): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> PageResult {
    let id = UserId::parse(&id).ok_or(Error::NotFound)?;
    if id == me.id {
        return Err(Error::Forbidden.into());
    }
    let rec = AuditRecord::new(state.clock.now(), Action::StaffUpdated, &client)
        .actor(&me.id)
        .object(&id);
    state
        .store
        .set_active(&id, form.active == "yes", &rec)
        .await?;
    Ok(see_other("/staff", None))
}
