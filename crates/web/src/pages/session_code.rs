//! "Sessiecode" (seed 004): after the password, the e-mailed 6-digit code completes the
//! sign-in. Until then the session is pending and opens nothing but this page, so going
//! straight to a messenger URL does not skip the step. See `domain::auth::session_code`.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::session_code::{
    CODE_VALID_SECS, CodeProblem, CodeState, candidates, check_open, code_from_random,
    next_request_at,
};
use spreekuur_domain::auth::throttle;
use spreekuur_domain::mail::{Letter, LetterKind};
use spreekuur_domain::ports::{NewSessionCode, PendingStage, SessionCodeInfo, SessionDevice};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::{Lang, Msgs, fill, time_of_day};

use super::{NewSession, render, see_other};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref, cookies};
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

fn new_code(
    state: &AppState,
    session_hash: &[u8],
    account: &Account,
    now: Timestamp,
    next_path: &str,
) -> Result<(NewSessionCode, String), PageError> {
    let code = code_from_random(
        spreekuur_crypto::random_bytes::<8>().map_err(|e| Error::Internal(e.to_string()))?,
    );
    let id = uuid::Uuid::now_v7().to_string();
    let code_hash = state.tokens.hash(TokenKind::SessionCode { id: &id }, &code);
    Ok((
        NewSessionCode {
            id,
            session_hash: session_hash.to_vec(),
            user: account.id.clone(),
            code_hash,
            requested_at: now,
            expires_at: now.plus_seconds(CODE_VALID_SECS),
            next_path: next_path.to_string(),
        },
        code,
    ))
}

/// After a correct password: starts a pending sign-in, e-mails its code and sends the person
/// to "Sessiecode". `next_path` is where they go once the code is accepted.
pub async fn begin(
    state: &AppState,
    account: &Account,
    lang: Lang,
    device: &SessionDevice,
    next_path: &str,
) -> PageResult {
    let client = device.client.as_str();
    let now = state.clock.now();
    let session = NewSession::new(state, now)?;
    if code_quota(state, account, now, client).await?.is_err() {
        // The sign-in waits on "Sessiecode", which says when a new code can be asked for.
        return super::pending_sign_in(state, account, device, PendingStage::SessionCode).await;
    }
    let (code, digits) = new_code(state, &session.hash, account, now, next_path)?;
    let practice = state.practice_name().await?;
    let mail = state.composer.compose(&Letter {
        to: &account.email,
        lang: lang.code(),
        practice: &practice,
        kind: LetterKind::SessionCode {
            first_name: account.first_name.as_str(),
            code: &digits,
            requested_at: now,
        },
    });
    let rec = AuditRecord::new(now, Action::SessionCodeSent, client)
        .actor(&account.id)
        .object(&code.id);
    state
        .store
        .start_pending_session(session.expires_at, device, &code, &mail, &rec)
        .await?;
    state.mail_wake.notify_one();
    Ok(see_other("/session-code", Some(session.cookie(state)?)))
}

/// Takes one of the account's session codes for this hour (`auth::throttle`), or says when
/// the next may be sent; a refusal is audited.
async fn code_quota(
    state: &AppState,
    account: &Account,
    now: Timestamp,
    client: &str,
) -> Result<Result<(), Timestamp>, PageError> {
    let key = throttle::session_codes_key(&account.id);
    match state
        .store
        .take_attempt(&key, now, throttle::SESSION_CODES_FREE)
        .await?
    {
        Ok(_) => Ok(Ok(())),
        Err(until) => {
            let rec = AuditRecord::new(now, Action::SessionCodeLimited, client)
                .actor(&account.id)
                .failed();
            state.store.audit(&rec).await?;
            Ok(Err(until))
        }
    }
}

/// When the account may be sent a new code, while it has had too many this hour.
async fn codes_blocked(
    state: &AppState,
    account: &Account,
    now: Timestamp,
) -> Result<Option<Timestamp>, PageError> {
    Ok(state
        .store
        .throttle(&throttle::session_codes_key(&account.id))
        .await?
        .blocked(now))
}

/// The pending sign-in of this browser, if any.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Vec<u8>, Account, Option<SessionCodeInfo>)>, PageError> {
    let Some(token) = cookies::get(headers, cookies::SESSION, state.cfg.secure_cookies()) else {
        return Ok(None);
    };
    let hash = state.tokens.hash(TokenKind::Session, &token);
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

#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    lang: Lang,
    csrf: String,
    account: &Account,
    code: Option<&SessionCodeInfo>,
    notice: Option<&'static str>,
    problem: Option<String>,
    status: StatusCode,
) -> PageResult {
    let t = lang.msgs();
    let now = state.clock.now();
    let usable = code.is_some_and(|c| check_open(c.state, c.expires_at, now).is_ok());
    // No code to type and no new one this hour yet: say when.
    let limited = if usable {
        None
    } else {
        codes_blocked(state, account, now).await?
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
    let page = CodePage {
        layout: Layout::new(lang, "/session-code", csrf, None, state, "").await,
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
    render(status, &page)
}

/// GET /session-code
pub async fn session_code_get(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    Query(q): Query<Notice>,
) -> PageResult {
    let Some((_, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let notice =
        (q.notice.as_deref() == Some("resent")).then_some(lang.lang.msgs().session_code_resent);
    show(
        &state,
        lang.lang,
        csrf.0,
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
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let Some((hash, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let t = lang.lang.msgs();
    let Some(code) = code else {
        return Ok(see_other("/session-code", None));
    };
    let readings = candidates(&form.code);
    if readings.is_empty() {
        // Not six digits: nothing to check, and no attempt is counted.
        return show(
            &state,
            lang.lang,
            csrf.0,
            &account,
            Some(&code),
            None,
            Some(t.session_code_unreadable.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // Counted for the account before it is checked: every session and node shares the count.
    let now = state.clock.now();
    let counted = match super::two_factor::take_second_step(&state, &account, now, &client).await? {
        Ok(counted) => counted,
        Err(until) => {
            let blocked = fill(
                t.second_step_blocked,
                &[("time", &time_of_day(until.millis()))],
            );
            return show(
                &state,
                lang.lang,
                csrf.0,
                &account,
                Some(&code),
                None,
                Some(blocked),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
            .map(|r| super::retry_after(r, until, now));
        }
    };
    let hashes: Vec<Vec<u8>> = readings
        .iter()
        .map(|r| {
            state
                .tokens
                .hash(TokenKind::SessionCode { id: &code.id }, r)
        })
        .collect();
    match state
        .store
        .verify_session_code(&hash, &code.id, &hashes, now, &client)
        .await?
    {
        Ok(next) => {
            state
                .store
                .clear_throttle(&throttle::second_step_key(&account.id))
                .await?;
            let cookie = super::rotated_session(&state, &hash).await?;
            Ok(see_other(&next, cookie))
        }
        Err(problem) => {
            let (status, text) = match (problem, counted.blocked(now)) {
                (CodeProblem::Incorrect { .. }, Some(until)) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    fill(
                        t.second_step_blocked,
                        &[("time", &time_of_day(until.millis()))],
                    ),
                ),
                (CodeProblem::Incorrect { .. }, None) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, problem_text(t, problem))
                }
                _ => (StatusCode::GONE, problem_text(t, problem)),
            };
            let fresh = state
                .store
                .pending_session(&hash, state.clock.now())
                .await?
                .and_then(|(_, c)| c);
            let page = show(
                &state,
                lang.lang,
                csrf.0,
                &account,
                fresh.as_ref(),
                None,
                Some(text),
                status,
            )
            .await?;
            Ok(match counted.blocked(now) {
                Some(until) if status == StatusCode::TOO_MANY_REQUESTS => {
                    super::retry_after(page, until, now)
                }
                _ => page,
            })
        }
    }
}

/// POST /session-code/new: "Geen sessiecode ontvangen?" – a new code, at most one per 30 seconds.
pub async fn session_code_new_post(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Some((hash, account, code)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let now = state.clock.now();
    // Within 30 seconds of the last code, or past the account's codes for the hour: the page
    // says when (the quota is only taken when the 30 seconds are over).
    let wait = match next_request_at(code.as_ref().map(|c| c.requested_at)).filter(|at| *at > now) {
        Some(at) => Some(at),
        None => code_quota(&state, &account, now, &client).await?.err(),
    };
    if let Some(until) = wait {
        return show(
            &state,
            lang.lang,
            csrf.0,
            &account,
            code.as_ref(),
            None,
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await
        .map(|r| super::retry_after(r, until, now));
    }
    let next_path = code
        .as_ref()
        .map_or_else(|| "/messenger".to_string(), |c| c.next_path.clone());
    let (new, digits) = new_code(&state, &hash, &account, now, &next_path)?;
    let practice = state.practice_name().await?;
    let mail = state.composer.compose(&Letter {
        to: &account.email,
        lang: lang.lang.code(),
        practice: &practice,
        kind: LetterKind::SessionCode {
            first_name: account.first_name.as_str(),
            code: &digits,
            requested_at: now,
        },
    });
    let rec = AuditRecord::new(now, Action::SessionCodeSent, &client)
        .actor(&account.id)
        .object(&new.id);
    state.store.replace_session_code(&new, &mail, &rec).await?;
    state.mail_wake.notify_one();
    Ok(see_other("/session-code?notice=resent", None))
}
