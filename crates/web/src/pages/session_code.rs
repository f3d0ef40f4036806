//! "Sessiecode" (seed 004): after the password, the e-mailed 6-digit code completes the
//! sign-in. Until then the session is pending and opens nothing but this page, so going
//! straight to a messenger URL does not skip the step. See `domain::auth::session_code`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use spreekuur_domain::account::Account;

use spreekuur_domain::auth::session_code::{
    self, CodeProblem, CodeState, Entered, check_open, next_request_at,
};
use spreekuur_domain::ports::SessionCodeInfo;
use spreekuur_i18n::{Msgs, fill, time_of_day};

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "session_code.html")]
struct CodePage {
    layout: Layout,
    t: &'static Msgs,
    notice: Option<&'static str>,
    problem: Option<String>,
    requested: String,
    can_type: bool,
    wait: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// The pending sign-in of this browser, if any.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Vec<u8>, Account, Option<SessionCodeInfo>)>, PageError> {
    let Some(hash) = crate::extract::session_hash(state, headers) else {
        return Ok(None);
    };
    Ok(state
        .store
        .pending_session(&hash, state.clock.now())
        .await?
        .map(|(a, c)| (hash, a, c)))
}

fn problem_text(t: &'static Msgs, p: CodeProblem) -> String {
    match p {
        CodeProblem::Incorrect { attempts_left } => fill(
            t.session_code_incorrect,
            &[("n", &attempts_left.to_string())],
        ),
        CodeProblem::Expired => t.session_code_expired.into(),
        CodeProblem::Voided | CodeProblem::Used | CodeProblem::Missing => {
            t.session_code_voided.into()
        }
        CodeProblem::Exhausted => t.session_code_exhausted.into(),
    }
}

async fn show(
    state: &AppState,
    page: &Page,
    account: &Account,
    code: Option<&SessionCodeInfo>,
    notice: Option<&'static str>,
    problem: Option<String>,
    status: StatusCode,
) -> PageResult {
    let t = page.lang.msgs();
    let now = state.clock.now();
    let usable = code.is_some_and(|c| check_open(c.state, c.expires_at, now).is_ok());
    // No code to type and no new one this hour yet: say when.
    let limited = if usable {
        None
    } else {
        session_code::codes_blocked(&state.signing_in(""), account).await?
    };
    // A code that can no longer be used says so at once, with the way to a new one.
    let closed = code
        .map(|c| check_open(c.state, c.expires_at, now))
        .and_then(Result::err);
    let problem = problem
        // The time to ask again stands beside the button.
        .or_else(|| limited.map(|_| t.session_codes_limited.to_string()))
        .or_else(|| closed.map(|p| problem_text(t, p)));
    let wait = next_request_at(code.map(|c| c.requested_at))
        .max(limited)
        .filter(|at| *at > now)
        .map(|at| {
            fill(
                t.session_code_resend_wait,
                &[("time", &time_of_day(at.millis()))],
            )
        });
    let view = CodePage {
        layout: page.layout_at("/session-code", None, ""),
        t,
        notice,
        problem,
        requested: code
            .map(|c| {
                fill(
                    t.session_code_requested,
                    &[("time", &time_of_day(c.requested_at.millis()))],
                )
            })
            .unwrap_or_default(),
        can_type: code.is_some_and(|c| c.state == CodeState::Open && c.expires_at > now),
        wait,
    };
    render(status, &view)
}

/// GET /session-code
pub async fn session_code_get(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> PageResult {
    let Some((_, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let notice =
        (q.notice.as_deref() == Some("resent")).then_some(page.lang.msgs().session_code_resent);
    show(
        &state,
        &page,
        &account,
        code.as_ref(),
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

/// POST /session-code: "Doorgaan".
pub async fn session_code_post(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let Some((hash, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let t = page.lang.msgs();
    let Some(code) = code else {
        return Ok(see_other("/session-code", None));
    };
    let now = state.clock.now();
    let s = state.signing_in(&client);
    let blocked_text = |until| super::second_step_blocked(t, until);
    let (status, text, until) =
        match session_code::enter(&s, &hash, &account, &code, &form.code).await? {
            Entered::Open { next_path, session } => {
                return Ok(see_other(
                    &next_path,
                    super::rotated_cookie(&state, session)?,
                ));
            }
            // Not six digits: nothing to check, and no attempt is counted.
            Entered::Unreadable => (
                StatusCode::UNPROCESSABLE_ENTITY,
                t.session_code_unreadable.to_string(),
                None,
            ),
            Entered::Blocked(until) => (
                StatusCode::TOO_MANY_REQUESTS,
                blocked_text(until),
                Some(until),
            ),
            Entered::Refused {
                problem: CodeProblem::Incorrect { .. },
                blocked: Some(until),
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                blocked_text(until),
                Some(until),
            ),
            Entered::Refused {
                problem: problem @ CodeProblem::Incorrect { .. },
                blocked: None,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                problem_text(t, problem),
                None,
            ),
            Entered::Refused { problem, .. } => (StatusCode::GONE, problem_text(t, problem), None),
        };
    // The code as it is now (a wrong answer counts on it).
    let fresh = state
        .store
        .pending_session(&hash, now)
        .await?
        .and_then(|(_, c)| c);
    let r = show(
        &state,
        &page,
        &account,
        fresh.as_ref(),
        None,
        Some(text),
        status,
    )
    .await?;
    Ok(match until {
        Some(until) => super::retry_after(r, until, now),
        None => r,
    })
}

/// POST /session-code/new: "Geen sessiecode ontvangen?" – a new code, at most one per 30 seconds.
pub async fn session_code_new_post(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Some((hash, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let now = state.clock.now();
    let s = state.signing_in(&client);
    match session_code::resend(&s, &hash, &account, code.as_ref(), page.lang.code()).await? {
        Ok(()) => Ok(see_other("/session-code?notice=resent", None)),
        // Within 30 seconds of the last code, or past the account's codes for the hour: the
        // page says when.
        Err(until) => show(
            &state,
            &page,
            &account,
            code.as_ref(),
            None,
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await
        .map(|r| super::retry_after(r, until, now)),
    }
}
