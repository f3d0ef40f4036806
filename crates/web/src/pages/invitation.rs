//! The invitation's landing page (seed 000): "Registratieproces", "Hallo {voornaam},", the
//! buttons "Maak je account aan" and "Ik heb al een account", and the link "uitnodiging dan
//! ook afwijzen"; linking an existing account; declining.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use spreekuur_domain::account::Role;
use spreekuur_domain::invitation::{self, Answering, Invitation};
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::{Lang, Msgs, fill};

use super::login::{LoginForm, LoginPage, Outcome, authenticate, failure_message};
use super::{render, see_other, start_session};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::PageResult;
use crate::extract::{Client, Device, LangPref, MaybeUser};
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

/// An open invitation for `token`, or the page that explains why not.
pub(crate) enum Found {
    Open(Box<Invitation>, Lang),
    Problem(axum::response::Response),
}

/// Looks the link up and checks it can still be answered. The page language is the visitor's
/// choice, else the invitation's.
pub(crate) async fn find_open(
    state: &AppState,
    lang: LangPref,
    csrf: &str,
    token: &str,
    path: &str,
) -> PageResult<Found> {
    let now = state.clock.now();
    let inv = invitation::lookup(&*state.store, &*state.tokens, token).await?;
    let Some(inv) = inv else {
        return Ok(Found::Problem(
            problem_page(
                state,
                lang.lang,
                csrf,
                path,
                &Error::NotFound,
                StatusCode::NOT_FOUND,
            )
            .await?,
        ));
    };
    let page_lang = lang.or(&inv.lang);
    let problem = match inv.check_answerable(now) {
        Ok(()) => return Ok(Found::Open(Box::new(inv), page_lang)),
        Err(e) => e,
    };
    let (lang, status) = (page_lang, StatusCode::GONE);
    Ok(Found::Problem(
        problem_page(state, lang, csrf, path, &problem, status).await?,
    ))
}

pub(crate) async fn problem_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    path: &str,
    problem: &Error,
    status: StatusCode,
) -> PageResult {
    let t = lang.msgs();
    let (message, ask_new) = match problem {
        Error::Expired => (t.invitation_expired, true),
        Error::Used => (t.invitation_used, true),
        _ => (t.invitation_unknown, false),
    };
    let page = ProblemPage {
        layout: Layout::new(lang, path, csrf.to_string(), None, state, "").await,
        t,
        message,
        ask_new,
        existing_link: None,
    };
    render(status, &page)
}

/// GET /i/{token}
pub async fn landing_get(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}");
    let (inv, lang) = match find_open(&state, lang, &csrf.0, &token, &path).await? {
        Found::Open(inv, lang) => (inv, lang),
        Found::Problem(page) => return Ok(page),
    };
    invitation::open(answering(&state, state.clock.now(), &client), &inv).await?;
    let t = lang.msgs();
    let practice = state.practice_name().await?;
    let page = LandingPage {
        layout: Layout::new(lang, &path, csrf.0, None, &state, "").await,
        t,
        hello: fill(t.landing_hello, &[("name", inv.first_name.as_str())]),
        from: fill(
            t.landing_from,
            &[("inviter", &inv.inviter_name), ("practice", &practice)],
        ),
        token,
        signed_in_as: user.map(|u| fill(t.landing_signed_in, &[("name", &u.display_name())])),
    };
    render(StatusCode::OK, &page)
}

/// GET /i/{token}/existing: log in (or confirm, when signed in as a patient) to link the
/// invitation to an existing account.
pub async fn existing_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}/existing");
    let lang = match find_open(&state, lang, &csrf.0, &token, &path).await? {
        Found::Open(_, lang) => lang,
        Found::Problem(page) => return Ok(page),
    };
    let t = lang.msgs();
    let practice = state.practice_name().await?;
    let intro = fill(t.login_for_invitation, &[("practice", &practice)]);
    if let Some(u) = user.filter(|u| u.role == Role::Patient) {
        let page = LinkAccountPage {
            layout: Layout::new(lang, &path, csrf.0, Some(&u), &state, "").await,
            t,
            token,
            intro,
        };
        return render(StatusCode::OK, &page);
    }
    let page = LoginPage {
        layout: Layout::new(lang, &path, csrf.0, None, &state, "").await,
        t,
        intro,
        action: path,
        login: String::new(),
        error: None,
        notice: None,
        passkey: None,
    };
    render(StatusCode::OK, &page)
}

/// POST /i/{token}/existing
pub async fn existing_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Device(device): Device,
    Extension(csrf): Extension<CsrfToken>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    let path = format!("/i/{token}/existing");
    let lang = match find_open(&state, lang, &csrf.0, &token, &path).await? {
        Found::Open(_, lang) => lang,
        Found::Problem(page) => return Ok(page),
    };
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
            let page = LoginPage {
                layout: Layout::new(lang, &path, csrf.0, None, &state, "").await,
                t,
                intro: fill(t.login_for_invitation, &[("practice", &practice)]),
                action: path,
                login: form.login,
                error: Some(error),
                notice: None,
                passkey: None,
            };
            let r = render(status, &page)?;
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
            return problem_page(&state, lang, &csrf.0, &path, &e, StatusCode::GONE).await;
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
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> PageResult {
    let path = format!("/i/{token}/decline");
    let lang = match find_open(&state, lang, &csrf.0, &token, &path).await? {
        Found::Open(_, lang) => lang,
        Found::Problem(page) => return Ok(page),
    };
    let t = lang.msgs();
    let practice = state.practice_name().await?;
    let page = DeclinePage {
        layout: Layout::new(lang, &path, csrf.0, None, &state, "").await,
        t,
        text: fill(t.decline_question, &[("practice", &practice)]),
        token,
        done: false,
    };
    render(StatusCode::OK, &page)
}

/// POST /i/{token}/decline
pub async fn decline_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let path = format!("/i/{token}/decline");
    let lang = match find_open(&state, lang, &csrf.0, &token, &path).await? {
        Found::Open(_, lang) => lang,
        Found::Problem(page) => return Ok(page),
    };
    let declined = invitation::decline(answering(&state, state.clock.now(), &client), &token);
    if let Err(e) = declined.await {
        return problem_page(&state, lang, &csrf.0, &path, &e, StatusCode::GONE).await;
    }
    let t = lang.msgs();
    let practice = state.practice_name().await?;
    let page = DeclinePage {
        layout: Layout::new(lang, &path, csrf.0, None, &state, "").await,
        t,
        text: fill(t.decline_done, &[("practice", &practice)]),
        token,
        done: true,
    };
    render(StatusCode::OK, &page)
}
