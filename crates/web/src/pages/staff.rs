//! Staff accounts, for administrators: add (with an e-mailed set-password link; the use case is
//! `domain::account::create_staff`, which `spreekuur admin create-staff` calls too), deactivate,
//! activate.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::{self, Account, Role, create_staff};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::{Error, FormError, UserId};
use spreekuur_i18n::{Msgs, fill};

use super::{FormErrors, render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Admin, Client, Page};
use crate::layout::Layout;
use crate::state::AppState;

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

async fn staff_page(
    state: &AppState,
    page: &Page,
    me: &Account,
    form: StaffForm,
    errors: FormErrors,
    notice: Option<String>,
) -> PageResult<StaffPage> {
    let t = page.lang.msgs();
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
        layout: page.layout(Some(me), "staff"),
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
    page: Page,
    Admin(me): Admin,
    Query(q): Query<Notice>,
) -> PageResult {
    let t = page.lang.msgs();
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
        &staff_page(
            &state,
            &page,
            &me,
            StaffForm::default(),
            FormErrors::default(),
            notice,
        )
        .await?,
    )
}

/// POST /staff
pub async fn staff_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> PageResult {
    let role = Role::parse(&form.role)
        .filter(|r| r.is_staff())
        .unwrap_or(Role::Provider);
    let practice = state.practice_name().await?;
    let typed = account::StaffForm {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        role,
        lang: page.lang.code(),
    };
    let made = create_staff(
        &*state.store,
        &*state.tokens,
        state.letters(&practice),
        Some(&me.id),
        &typed,
        state.clock.now(),
        &client,
    )
    .await;
    match made {
        Ok(made) => Ok(see_other(&format!("/staff?added={}", made.id), None)),
        Err(FormError::Failed(e)) => Err(e.into()),
        Err(FormError::Fields(errs)) => {
            let errors = FormErrors::from_errors(page.lang.msgs(), &errs);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &staff_page(&state, &page, &me, form, errors, None).await?,
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
