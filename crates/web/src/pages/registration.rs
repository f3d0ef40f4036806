//! Registration (seeds 000, 002): Persoonsgegevens → Samenvatting → Registratie voltooid.
//!
//! Between the steps, what was entered travels in a hidden field as a *sealed draft*: the
//! names, the username and the Argon2 hash of the password (never the password), sealed with a
//! key derived from the master key and bound to this invitation. So "Vorige" keeps what was
//! entered, the server stores nothing until the last step, and nobody can alter the draft.
//! The e-mail address is the invitation's and is never read from a form.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use spreekuur_crypto::Aad;
use spreekuur_domain::account::{NewAccount, Role};
use spreekuur_domain::error::Reason;
use spreekuur_domain::invitation;
use spreekuur_domain::invitation::Invitation;
use spreekuur_domain::registration::check_personal_details;
use spreekuur_domain::validate::{PersonName, parse_username};
use spreekuur_domain::{Error, UserId};
use spreekuur_i18n::{Msgs, fill};

use super::invitation::{Found, answering, find_open, problem_page};
use super::{FormErrors, RuleView, hash_password, render, rules_view, start_session};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Device, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Serialize, Deserialize, Clone, Default)]
struct Draft {
    first_name: String,
    last_name: String,
    username: Option<String>,
    password_hash: String,
}

fn seal_draft(state: &AppState, inv: &Invitation, d: &Draft) -> Result<String, PageError> {
    let json = serde_json::to_vec(d).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state
        .drafts
        .seal(Aad::new("registration", "draft", inv.id.as_str()), &json)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

/// A draft that does not open (altered, or from another invitation) is simply absent.
fn open_draft(state: &AppState, inv: &Invitation, field: &str) -> Option<Draft> {
    let bytes = URL_SAFE_NO_PAD.decode(field.trim()).ok()?;
    let json = state
        .drafts
        .open(Aad::new("registration", "draft", inv.id.as_str()), &bytes)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[derive(Template)]
#[template(path = "register_details.html")]
struct DetailsPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    first_name: String,
    last_name: String,
    username: String,
    email: String,
    draft: String,
    password_kept: bool,
    rules: Vec<RuleView>,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "register_summary.html")]
struct SummaryPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    first_name: String,
    last_name: String,
    username: String,
    email: String,
    draft: String,
    terms_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "register_done.html")]
struct DonePage {
    layout: Layout,
    t: &'static Msgs,
    messenger: String,
    countdown: String,
    /// The server's address for the phone, between the hint's two halves.
    address: String,
    install_hint_before: String,
    install_hint_after: String,
}

#[derive(Deserialize, Default)]
pub struct DetailsForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    draft: String,
}

#[derive(Deserialize)]
pub struct SummaryForm {
    #[serde(default)]
    draft: String,
    #[serde(default)]
    terms: Option<String>,
}

/// The invitation being answered, the page in its language, and the first step's address
/// (every step's "Change language" comes back to it).
struct Ctx {
    inv: Box<Invitation>,
    page: Page,
    path: String,
}

async fn open_invitation(
    state: &AppState,
    page: Page,
    token: &str,
) -> PageResult<Result<Ctx, axum::response::Response>> {
    let path = format!("/i/{token}/register");
    Ok(match find_open(state, page, token, &path).await? {
        Found::Open(inv, page) => Ok(Ctx { inv, page, path }),
        Found::Problem(problem) => Err(problem),
    })
}

fn details_page(
    ctx: &Ctx,
    token: String,
    form: &DetailsForm,
    draft: String,
    password_kept: bool,
    errors: FormErrors,
) -> DetailsPage {
    let t = ctx.page.lang.msgs();
    DetailsPage {
        layout: ctx.page.layout_at(&ctx.path, None, ""),
        t,
        token,
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        username: form.username.clone(),
        email: ctx.inv.email.as_str().to_string(),
        draft,
        password_kept,
        rules: rules_view(t, &form.password),
        errors,
    }
}

fn summary_page(
    ctx: &Ctx,
    token: String,
    d: &Draft,
    sealed: String,
    terms_error: Option<&'static str>,
) -> SummaryPage {
    let t = ctx.page.lang.msgs();
    SummaryPage {
        layout: ctx.page.layout_at(&ctx.path, None, ""),
        t,
        token,
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        username: d
            .username
            .clone()
            .unwrap_or_else(|| t.summary_no_username.to_string()),
        email: ctx.inv.email.as_str().to_string(),
        draft: sealed,
        terms_error,
    }
}

/// GET /i/{token}/register: "Persoonsgegevens", names prefilled from the invitation.
pub async fn details_get(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> PageResult {
    let ctx = match open_invitation(&state, page, &token).await? {
        Ok(c) => c,
        Err(problem) => return Ok(problem),
    };
    let form = DetailsForm {
        first_name: ctx.inv.first_name.as_str().to_string(),
        last_name: ctx.inv.last_name.as_str().to_string(),
        ..DetailsForm::default()
    };
    render(
        StatusCode::OK,
        &details_page(
            &ctx,
            token,
            &form,
            String::new(),
            false,
            FormErrors::default(),
        ),
    )
}

/// POST /i/{token}/register: checks the first step and shows "Samenvatting".
pub async fn details_post(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> PageResult {
    let ctx = match open_invitation(&state, page, &token).await? {
        Ok(c) => c,
        Err(problem) => return Ok(problem),
    };
    let t = ctx.page.lang.msgs();
    let previous = open_draft(&state, &ctx.inv, &form.draft);
    // Both password fields left empty after "Vorige": keep the password chosen before.
    let keep = previous
        .as_ref()
        .filter(|_| form.password.is_empty() && form.password_confirmation.is_empty());
    let result = match keep {
        Some(prev) => {
            let mut errs = Vec::new();
            let first = PersonName::parse("first_name", &form.first_name)
                .map_err(|e| errs.push(e))
                .ok();
            let last = PersonName::parse("last_name", &form.last_name)
                .map_err(|e| errs.push(e))
                .ok();
            let user = parse_username(&form.username)
                .map_err(|e| errs.push(e))
                .ok();
            match (first, last, user) {
                (Some(f), Some(l), Some(u)) if errs.is_empty() => Ok(Draft {
                    first_name: f.as_str().into(),
                    last_name: l.as_str().into(),
                    username: u,
                    password_hash: prev.password_hash.clone(),
                }),
                _ => Err(errs),
            }
        }
        None => match check_personal_details(
            &form.first_name,
            &form.last_name,
            &form.username,
            &form.password,
            &form.password_confirmation,
        ) {
            Ok(d) => {
                let hash = hash_password(&state, form.password.clone()).await?;
                Ok(Draft {
                    first_name: d.first_name.as_str().into(),
                    last_name: d.last_name.as_str().into(),
                    username: d.username,
                    password_hash: hash,
                })
            }
            Err(errs) => Err(errs),
        },
    };
    // A username someone else already has is refused here, not after the summary.
    let result = match result {
        Ok(d) => match &d.username {
            Some(u) if state.store.account_for_login(u).await?.is_some() => {
                Err(vec![Error::invalid("username", Reason::AccountExists)])
            }
            _ => Ok(d),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(draft) => {
            let sealed = seal_draft(&state, &ctx.inv, &draft)?;
            render(
                StatusCode::OK,
                &summary_page(&ctx, token, &draft, sealed, None),
            )
        }
        Err(errs) => {
            let errors = FormErrors::from_errors(t, &errs);
            let kept = keep.is_some();
            let draft = if kept {
                form.draft.clone()
            } else {
                String::new()
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &details_page(&ctx, token, &form, draft, kept, errors),
            )
        }
    }
}

/// POST /i/{token}/back: "Vorige" on the summary; the first step again, as it was entered.
pub async fn back_post(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SummaryForm>,
) -> PageResult {
    let ctx = match open_invitation(&state, page, &token).await? {
        Ok(c) => c,
        Err(problem) => return Ok(problem),
    };
    let (details, kept) = match open_draft(&state, &ctx.inv, &form.draft) {
        Some(d) => (
            DetailsForm {
                first_name: d.first_name,
                last_name: d.last_name,
                username: d.username.unwrap_or_default(),
                ..DetailsForm::default()
            },
            true,
        ),
        None => (
            DetailsForm {
                first_name: ctx.inv.first_name.as_str().into(),
                last_name: ctx.inv.last_name.as_str().into(),
                ..DetailsForm::default()
            },
            false,
        ),
    };
    let draft = if kept { form.draft } else { String::new() };
    render(
        StatusCode::OK,
        &details_page(&ctx, token, &details, draft, kept, FormErrors::default()),
    )
}

/// POST /i/{token}/complete: with the terms accepted, creates the account, opens the
/// conversation with the inviter and signs the patient in ("Registratie voltooid").
pub async fn complete_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Device(device): Device,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SummaryForm>,
) -> PageResult {
    let ctx = match open_invitation(&state, page, &token).await? {
        Ok(c) => c,
        Err(problem) => return Ok(problem),
    };
    let t = ctx.page.lang.msgs();
    let Some(draft) = open_draft(&state, &ctx.inv, &form.draft) else {
        // No valid draft (altered or lost): start the first step again.
        let details = DetailsForm {
            first_name: ctx.inv.first_name.as_str().into(),
            last_name: ctx.inv.last_name.as_str().into(),
            ..DetailsForm::default()
        };
        let mut errors = FormErrors::default();
        errors.add("form", t.form_has_errors);
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &details_page(&ctx, token, &details, String::new(), false, errors),
        );
    };
    if form.terms.as_deref() != Some("yes") {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &summary_page(
                &ctx,
                token,
                &draft,
                form.draft.clone(),
                Some(t.summary_terms_required),
            ),
        );
    }
    let account = NewAccount {
        id: UserId::new(),
        role: Role::Patient,
        email: ctx.inv.email.clone(),
        username: draft.username.clone(),
        first_name: PersonName::parse("first_name", &draft.first_name)?,
        last_name: PersonName::parse("last_name", &draft.last_name)?,
        password_hash: Some(draft.password_hash.clone()),
        lang: ctx.page.lang.code().into(),
    };
    let now = state.clock.now();
    let accepted = invitation::accept(answering(&state, now, &client), &token, &account).await;
    let (user, conv) = match accepted {
        Ok(v) => v,
        Err(Error::Conflict(_)) => {
            let details = DetailsForm {
                first_name: draft.first_name,
                last_name: draft.last_name,
                ..DetailsForm::default()
            };
            let mut errors = FormErrors::default();
            errors.add("form", t.account_exists);
            return render(
                StatusCode::CONFLICT,
                &details_page(&ctx, token, &details, String::new(), false, errors),
            );
        }
        Err(e @ (Error::Used | Error::Expired | Error::NotFound)) => {
            return problem_page(&ctx.page, &ctx.path, &e, StatusCode::GONE);
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = start_session(&state, &user, &device).await?;
    let view = DonePage {
        layout: ctx.page.layout_at("/messenger", None, ""),
        t,
        messenger: format!("/messenger/{conv}"),
        countdown: fill(t.done_countdown, &[("n", "9")]),
        address: state.link(""),
        install_hint_before: t
            .done_install_hint
            .split_once("{address}")
            .map_or(t.done_install_hint, |(b, _)| b)
            .to_string(),
        install_hint_after: t
            .done_install_hint
            .split_once("{address}")
            .map_or("", |(_, a)| a)
            .to_string(),
    };
    let mut res = render(StatusCode::OK, &view)?;
    res.headers_mut()
        .append(axum::http::header::SET_COOKIE, cookie);
    Ok(res)
}
