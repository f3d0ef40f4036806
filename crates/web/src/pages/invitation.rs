//! The invitation's landing page (seed 000): "Registratieproces", "Hallo {voornaam},", the
//! buttons "Maak je account aan" and "Ik heb al een account", and the link "uitnodiging dan
//! ook afwijzen"; linking an existing account; declining.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use spreekuur_domain::account::Role;
use spreekuur_domain::invitation::{self, Answering, Invitation};
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::{Msgs, fill};

use super::login::{LoginForm, LoginPage, Outcome, authenticate, failure_message};
use super::{render, see_other, start_session};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Device, MaybeUser, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "invitation_landing.html")]
struct LandingPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    hello: String,
    from: String,
    /// "Je bent … ingelogd als …": registering here would replace that session.
    signed_in_as: Option<String>,
}

#[derive(Template)]
#[template(path = "invitation_problem.html")]
struct ProblemPage {
    layout: Layout,
    t: &'static Msgs,
    message: &'static str,
    ask_new: bool,
    existing_link: Option<String>,
}

#[derive(Template)]
#[template(path = "invitation_decline.html")]
struct DeclinePage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    text: String,
    done: bool,
}

#[derive(Template)]
#[template(path = "invitation_link_account.html")]
struct LinkAccountPage {
    layout: Layout,
    t: &'static Msgs,
    token: String,
    intro: String,
}

/// What the invitation's answers need from this node.
pub(crate) fn answering<'a>(state: &'a AppState, now: Timestamp, client: &'a str) -> Answering<'a> {
    Answering {
        store: &*state.store,
        tokens: &*state.tokens,
        live: &*state.live,
        now,
        client,
    }
}

/// An open invitation for `token` with the page in its language, or the page that explains
/// why not.
pub(crate) enum Found {
    Open(Box<Invitation>, Page),
    Problem(axum::response::Response),
}

/// Looks the link up and checks it can still be answered. The page language is the visitor's
/// choice, else the invitation's.
pub(crate) async fn find_open(
    state: &AppState,
    page: Page,
    token: &str,
    path: &str,
) -> PageResult<Found> {
    let now = state.clock.now();
    let inv = invitation::lookup(&*state.store, &*state.tokens, token).await?;
    let Some(inv) = inv else {
        return Ok(Found::Problem(problem_page(
            &page,
            path,
            &Error::NotFound,
            StatusCode::NOT_FOUND,
        )?));
    };
    let lang = page.or(&inv.lang);
    let page = page.in_lang(lang);
    match inv.check_answerable(now) {
        Ok(()) => Ok(Found::Open(Box::new(inv), page)),
        Err(problem) => Ok(Found::Problem(problem_page(
            &page,
            path,
            &problem,
            StatusCode::GONE,
        )?)),
    }
}

pub(crate) fn problem_page(
    page: &Page,
    path: &str,
    problem: &Error,
    status: StatusCode,
) -> PageResult {
    let t = page.lang.msgs();
    let (message, ask_new) = match problem {
        Error::Expired => (t.invitation_expired, true),
        Error::Used => (t.invitation_used, true),
        _ => (t.invitation_unknown, false),
    };
    let view = ProblemPage {
        layout: page.layout_at(path, None, ""),
        t,
        message,
        ask_new,
        existing_link: None,
    };
    render(status, &view)
}

/// GET /i/{token}
pub async fn landing_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}");
    let (inv, page) = match find_open(&state, page, &token, &path).await? {
        Found::Open(inv, page) => (inv, page),
        Found::Problem(problem) => return Ok(problem),
    };
    invitation::open(answering(&state, state.clock.now(), &client), &inv).await?;
    let t = page.lang.msgs();
    let practice = state.practice_name().await?;
    let view = LandingPage {
        layout: page.layout_at(&path, None, ""),
        t,
        hello: fill(t.landing_hello, &[("name", inv.first_name.as_str())]),
        from: fill(
            t.landing_from,
            &[("inviter", &inv.inviter_name), ("practice", &practice)],
        ),
        token,
        signed_in_as: user.map(|u| fill(t.landing_signed_in, &[("name", &u.display_name())])),
    };
    render(StatusCode::OK, &view)
}

/// GET /i/{token}/existing: log in (or confirm, when signed in as a patient) to link the
/// invitation to an existing account.
pub async fn existing_get(
    State(state): State<AppState>,
    page: Page,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}/existing");
    let page = match find_open(&state, page, &token, &path).await? {
        Found::Open(_, page) => page,
        Found::Problem(problem) => return Ok(problem),
    };
    let t = page.lang.msgs();
    let practice = state.practice_name().await?;
    let intro = fill(t.login_for_invitation, &[("practice", &practice)]);
    if let Some(u) = user.filter(|u| u.role == Role::Patient) {
        let view = LinkAccountPage {
            layout: page.layout_at(&path, Some(&u), ""),
            t,
            token,
            intro,
        };
        return render(StatusCode::OK, &view);
    }
    let view = LoginPage {
        layout: page.layout_at(&path, None, ""),
        t,
        intro,
        action: path,
        login: String::new(),
        error: None,
        notice: None,
        passkey: None,
    };
    render(StatusCode::OK, &view)
}

/// POST /i/{token}/existing
pub async fn existing_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Device(device): Device,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    let path = format!("/i/{token}/existing");
    let page = match find_open(&state, page, &token, &path).await? {
        Found::Open(_, page) => page,
        Found::Problem(problem) => return Ok(problem),
    };
    let lang = page.lang;
    let t = lang.msgs();
    let signed_in_patient = user.filter(|u| u.role == Role::Patient);
    let (outcome, new_session) = match signed_in_patient {
        Some(u) if form.login.is_empty() => (Outcome::SignedIn(u), false),
        _ => (
            authenticate(&state, &form.login, &form.password, &client).await?,
            true,
        ),
    };
    let failure = match &outcome {
        Outcome::SignedIn(a) if a.role != Role::Patient => {
            Some((StatusCode::FORBIDDEN, t.login_patient_only.to_string()))
        }
        Outcome::SignedIn(_) => None,
        other => Some(failure_message(lang, other)),
    };
    let blocked_until = match &outcome {
        Outcome::Blocked(until) => Some(*until),
        _ => None,
    };
    let account = match (outcome, failure) {
        (Outcome::SignedIn(a), None) => a,
        (_, failure) => {
            let (status, error) =
                failure.unwrap_or((StatusCode::UNAUTHORIZED, t.login_failed.to_string()));
            let practice = state.practice_name().await?;
            let view = LoginPage {
                layout: page.layout_at(&path, None, ""),
                t,
                intro: fill(t.login_for_invitation, &[("practice", &practice)]),
                action: path,
                login: form.login,
                error: Some(error),
                notice: None,
                passkey: None,
            };
            let r = render(status, &view)?;
            return Ok(match blocked_until {
                Some(until) => super::retry_after(r, until, state.clock.now()),
                None => r,
            });
        }
    };
    // A fresh sign-in first completes the practice's second step; this page then shows the
    // one-click confirmation for the signed-in patient.
    if new_session
        && spreekuur_domain::auth::sign_in::needs_second_step(&state.signing_in(&client), &account)
            .await?
    {
        return super::login::sign_in(&state, &account, lang, &device, &path).await;
    }
    let now = state.clock.now();
    let accepted =
        invitation::accept_existing(answering(&state, now, &client), &token, &account.id).await;
    let conv = match accepted {
        Ok(c) => c,
        Err(e @ (Error::Used | Error::Expired | Error::NotFound)) => {
            return problem_page(&page, &path, &e, StatusCode::GONE);
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = if new_session {
        Some(start_session(&state, &account.id, &device).await?)
    } else {
        None
    };
    Ok(see_other(&format!("/messenger/{conv}"), cookie))
}

/// GET /i/{token}/decline: asks for confirmation.
pub async fn decline_get(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}/decline");
    let page = match find_open(&state, page, &token, &path).await? {
        Found::Open(_, page) => page,
        Found::Problem(problem) => return Ok(problem),
    };
    let t = page.lang.msgs();
    let practice = state.practice_name().await?;
    let view = DeclinePage {
        layout: page.layout_at(&path, None, ""),
        t,
        text: fill(t.decline_question, &[("practice", &practice)]),
        token,
        done: false,
    };
    render(StatusCode::OK, &view)
}

/// POST /i/{token}/decline
pub async fn decline_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let path = format!("/i/{token}/decline");
    let page = match find_open(&state, page, &token, &path).await? {
        Found::Open(_, page) => page,
        Found::Problem(problem) => return Ok(problem),
    };
    let declined = invitation::decline(answering(&state, state.clock.now(), &client), &token);
    if let Err(e) = declined.await {
        return problem_page(&page, &path, &e, StatusCode::GONE);
    }
    let t = page.lang.msgs();
    let practice = state.practice_name().await?;
    let view = DeclinePage {
        layout: page.layout_at(&path, None, ""),
        t,
        text: fill(t.decline_done, &[("practice", &practice)]),
        token,
        done: true,
    };
    render(StatusCode::OK, &view)
}
