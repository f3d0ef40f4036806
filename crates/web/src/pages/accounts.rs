//! "Accounts" (administrators): find a patient or staff member who lost their phone or fears
//! someone else got in, and, after checking who they are, sign them out everywhere or reset
//! their second step. Both are audited and told to the person by e-mail. Showing an account
//! is audited too, per patient shown.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::mail::{Letter, LetterKind, SecurityNotice};
use spreekuur_domain::{Error, UserId};
use spreekuur_i18n::{Msgs, fill};

use super::staff::role_label;
use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Admin, Client, Page};
use crate::layout::Layout;
use crate::state::AppState;

/// At most this many accounts are listed for a search.
const SEARCH_LIMIT: i64 = 20;

pub struct AccountRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    second_step: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    t: &'static Msgs,
    query: String,
    rows: Vec<AccountRow>,
    searched: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    t: &'static Msgs,
    row: AccountRow,
    active: bool,
    sessions: String,
    notice: Option<String>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckedForm {
    #[serde(default)]
    checked: String,
}

/// What the account has as second step, in words.
async fn second_step(state: &AppState, t: &'static Msgs, a: &Account) -> Result<String, PageError> {
    let mut parts = Vec::new();
    if state.store.totp(&a.id).await?.is_some_and(|r| r.enabled) {
        parts.push(t.accounts_step_app.to_string());
    }
    let n = state.store.passkeys(&a.id).await?.len();
    if n > 0 {
        parts.push(fill(t.accounts_step_passkeys, &[("n", &n.to_string())]));
    }
    Ok(if parts.is_empty() {
        t.accounts_step_nothing.to_string()
    } else {
        parts.join(", ")
    })
}

async fn row(state: &AppState, t: &'static Msgs, a: &Account) -> Result<AccountRow, PageError> {
    Ok(AccountRow {
        id: a.id.to_string(),
        name: a.display_name(),
        email: a.email.as_str().to_string(),
        role: role_label(t, a.role),
        second_step: second_step(state, t, a).await?,
    })
}

/// Records that an administrator saw this account; for a patient, as access to their data.
async fn audit_view(
    state: &AppState,
    me: &Account,
    a: &Account,
    client: &str,
    context: &str,
) -> Result<(), PageError> {
    let mut rec = AuditRecord::new(state.clock.now(), Action::AccountViewed, client)
        .actor(&me.id)
        .object(format!("{context}:{}", a.id));
    if a.role == Role::Patient {
        rec = rec.patient(&a.id);
    }
    Ok(state.store.audit(&rec).await?)
}

/// GET /accounts?q=…
pub async fn accounts_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let t = page.lang.msgs();
    let query = q.q.trim().to_string();
    let mut rows = Vec::new();
    if !query.is_empty() {
        for a in state.store.search_accounts(&query, SEARCH_LIMIT).await? {
            audit_view(&state, &me, &a, &client, "search").await?;
            rows.push(row(&state, t, &a).await?);
        }
    }
    let view = AccountsPage {
        layout: page.layout(Some(&me), "accounts"),
        t,
        searched: !query.is_empty(),
        query,
        rows,
    };
    render(StatusCode::OK, &view)
}

async fn account_page(
    state: &AppState,
    page: &Page,
    me: &Account,
    a: &Account,
    notice: Option<String>,
    error: Option<&'static str>,
) -> Result<AccountPage, PageError> {
    let t = page.lang.msgs();
    let sessions = state
        .store
        .list_sessions(&a.id, &[], state.clock.now())
        .await?
        .len();
    Ok(AccountPage {
        layout: page.layout_at(&format!("/accounts/{}", a.id), Some(me), "accounts"),
        t,
        row: row(state, t, a).await?,
        active: a.active,
        sessions: fill(t.accounts_sessions, &[("n", &sessions.to_string())]),
        notice,
        error,
    })
}

async fn find(state: &AppState, id: &str) -> Result<Account, PageError> {
    let id = UserId::parse(id).ok_or(Error::NotFound)?;
    Ok(state.store.account(&id).await?.ok_or(Error::NotFound)?)
}

/// GET /accounts/{id}
pub async fn account_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> PageResult {
    let a = find(&state, &id).await?;
    audit_view(&state, &me, &a, &client, "account").await?;
    let t = page.lang.msgs();
    let name = a.display_name();
    let notice = match q.notice.as_deref() {
        Some("signed_out") => Some(fill(t.accounts_signed_out, &[("name", &name)])),
        Some("reset") => Some(fill(t.accounts_reset_done, &[("name", &name)])),
        _ => None,
    };
    let view = account_page(&state, &page, &me, &a, notice, None).await?;
    render(StatusCode::OK, &view)
}

/// POST /accounts/{id}/sign-out-everywhere and /accounts/{id}/reset-second-step; both need the
/// tick that the person's identity was checked.
pub async fn action_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    Path((id, what)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<CheckedForm>,
) -> PageResult {
    let (action, notice, done) = match what.as_str() {
        "sign-out-everywhere" => (
            Action::SignedOutEverywhere,
            SecurityNotice::SignedOutEverywhere,
            "signed_out",
        ),
        "reset-second-step" => (
            Action::SecondStepReset,
            SecurityNotice::SecondStepReset,
            "reset",
        ),
        _ => return Err(Error::NotFound.into()),
    };
    let a = find(&state, &id).await?;
    if form.checked != "yes" {
        let t = page.lang.msgs();
        let view = account_page(
            &state,
            &page,
            &me,
            &a,
            None,
            Some(t.accounts_check_required),
        )
        .await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    }
    let now = state.clock.now();
    let mut rec = AuditRecord::new(now, action, &client)
        .actor(&me.id)
        .object(&a.id);
    if a.role == Role::Patient {
        rec = rec.patient(&a.id);
    }
    let mail = state.composer.compose(&Letter {
        to: &a.email,
        lang: &a.lang,
        practice: &state.practice_name().await?,
        kind: LetterKind::Security {
            first_name: a.first_name.as_str(),
            notice,
            link: &state.link("/login"),
            at: now,
        },
    });
    match notice {
        SecurityNotice::SecondStepReset => {
            state.store.reset_second_step(&a.id, &mail, &rec).await?;
        }
        _ => {
            state.store.end_all_sessions(&a.id, &mail, &rec).await?;
        }
    }
    state.mail_wake.notify_one();
    Ok(see_other(
        &format!("/accounts/{}?notice={done}", a.id),
        None,
    ))
}
