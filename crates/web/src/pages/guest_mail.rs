//! The guest's pages of a secure e-mail (seed 003): "Open bericht" leads here. The guest gives
//! the access code, reads the thread (oldest first) and answers ("Beantwoorden"). A guest
//! session keeps this one thread open in this browser for a while; the use cases are
//! `domain::secure_mail::{guest, reply}`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use spreekuur_domain::Error;
use spreekuur_domain::auth::session_code::CodeProblem;
use spreekuur_domain::secure_mail::guest::{self, GUEST_MAX_SECS, Guest, Landing};
use spreekuur_domain::secure_mail::{Author, Copy, Method, reply, sent_code};
use spreekuur_i18n::{Lang, Msgs, fill};

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::cookies;
use crate::extract::{Client, Page};
use crate::layout::Layout;
use crate::state::AppState;

pub struct PostView {
    author: String,
    mine: bool,
    guest: bool,
    at: String,
    text: String,
}

/// What the page shows: the code form, the thread, or why it cannot open.
enum Body {
    /// The access code's form, or, for an sms or e-mail code, "Stuur mij de code" and the
    /// code's form.
    Code {
        /// For an sms or e-mail code: how it comes ("… per sms naar 06 •• •• •• 78").
        sent_by: Option<String>,
        /// A code was just sent: where to.
        sent: Option<String>,
        error: Option<String>,
        /// Sms only: "Stel de afzender op de hoogte" is offered, or was just used.
        sms: bool,
        reported: bool,
    },
    Thread {
        subject: String,
        posts: Vec<PostView>,
        replied: bool,
        error: Option<&'static str>,
    },
    Closed(&'static str),
}

#[derive(Template)]
#[template(path = "guest_mail.html")]
struct GuestPage {
    layout: Layout,
    t: &'static Msgs,
    action: String,
    from: String,
    body: Body,
}

fn guest<'a>(state: &'a AppState, client: &'a str) -> Guest<'a> {
    Guest {
        store: &*state.store,
        throttles: &*state.store,
        tokens: &*state.tokens,
        now: state.clock.now(),
        client,
    }
}

fn guest_page(page: &Page, token: &str, from: String, body: Body) -> GuestPage {
    let action = format!("/m/{token}");
    GuestPage {
        layout: page.layout_at(&action, None, ""),
        t: page.lang.msgs(),
        action,
        from,
        body,
    }
}

fn from_line(t: &'static Msgs, copy: &Copy, practice: &str) -> String {
    fill(
        t.guest_from,
        &[("sender", &copy.sender_name), ("practice", practice)],
    )
}

async fn thread_body(
    state: &AppState,
    lang: Lang,
    copy: &Copy,
    replied: bool,
    error: Option<&'static str>,
) -> Result<Body, Error> {
    let t = lang.msgs();
    let thread = state
        .store
        .thread(&copy.mail)
        .await?
        .ok_or(Error::NotFound)?;
    let posts = thread
        .posts
        .iter()
        .map(|p| {
            let (author, mine, guest) = match &p.author {
                Author::Staff { name, .. } => (name.clone(), false, false),
                Author::Guest { copy: c, .. } if c == &copy.id => {
                    (t.guest_you.to_string(), true, true)
                }
                Author::Guest { email, .. } => (email.as_str().to_string(), false, true),
            };
            PostView {
                author,
                mine,
                guest,
                at: spreekuur_i18n::date_time(lang, p.at.millis()),
                text: p.text.clone(),
            }
        })
        .collect();
    Ok(Body::Thread {
        subject: thread.subject.unwrap_or_default(),
        posts,
        replied,
        error,
    })
}

fn session_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookies::get(headers, cookies::GUEST, state.cfg.secure_cookies())
}

/// The copy behind `token` with the page in the message's language (unless the guest chose
/// one with "Change language"), or the answer that says why there is none to open.
async fn landing(
    state: &AppState,
    page: Page,
    client: &str,
    token: &str,
) -> Result<Result<(Copy, Page), Response>, PageError> {
    let t = page.lang.msgs();
    let (status, text) = match guest::land(guest(state, client), token).await {
        Ok(Landing::Open(copy)) => {
            let lang = page.or(&copy.lang);
            return Ok(Ok((*copy, page.in_lang(lang))));
        }
        Ok(Landing::Revoked) => (StatusCode::GONE, t.guest_revoked),
        Ok(Landing::Expired) => (StatusCode::GONE, t.guest_expired),
        Err(Error::NotFound) => (StatusCode::NOT_FOUND, t.guest_unknown),
        Err(e) => return Err(e.into()),
    };
    let closed = guest_page(&page, token, String::new(), Body::Closed(text));
    Ok(Err(render(status, &closed)?))
}

#[derive(Deserialize)]
pub struct Replied {
    replied: Option<String>,
    sent: Option<String>,
    reported: Option<String>,
}

/// The form that asks for the code, with what the guest needs to know about it.
fn code_body(t: &'static Msgs, copy: &Copy, sent: bool, error: Option<String>) -> Body {
    code_body_reported(t, copy, sent, error, false)
}

fn code_body_reported(
    t: &'static Msgs,
    copy: &Copy,
    sent: bool,
    error: Option<String>,
    reported: bool,
) -> Body {
    let masked = copy.phone.as_ref().map(|p| p.masked()).unwrap_or_default();
    let (sent_by, sent_to) = match copy.method {
        Method::AccessCode => (None, None),
        Method::Sms => (
            Some(fill(t.guest_sms_intro, &[("phone", &masked)])),
            Some(fill(t.guest_code_sent_sms, &[("phone", &masked)])),
        ),
        Method::EmailCode => (
            Some(t.guest_email_intro.to_string()),
            Some(t.guest_code_sent_email.to_string()),
        ),
    };
    Body::Code {
        sent_by,
        sent: sent_to.filter(|_| sent),
        error,
        sms: copy.method == Method::Sms,
        reported,
    }
}

/// What a refused sms or e-mail code means for the guest.
fn problem_text(t: &'static Msgs, p: CodeProblem) -> String {
    match p {
        CodeProblem::Incorrect { attempts_left } => fill(
            t.guest_code_incorrect,
            &[("count", &attempts_left.to_string())],
        ),
        CodeProblem::Expired => t.guest_code_expired.to_string(),
        CodeProblem::Voided => t.guest_code_voided.to_string(),
        CodeProblem::Exhausted => t.guest_code_exhausted.to_string(),
        CodeProblem::Used => t.guest_code_used.to_string(),
        CodeProblem::Missing => t.guest_code_missing.to_string(),
    }
}

/// GET /m/{token}
pub async fn open_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<Replied>,
) -> PageResult {
    let (copy, page) = match landing(&state, page, &client, &token).await? {
        Ok(open) => open,
        Err(closed) => return Ok(closed),
    };
    let lang = page.lang;
    let t = lang.msgs();
    let practice = state.practice_name().await?;
    let cookie = session_cookie(&state, &headers);
    let body = if guest::session_on(guest(&state, &client), cookie.as_deref(), &copy.id).await? {
        thread_body(&state, lang, &copy, q.replied.is_some(), None).await?
    } else {
        code_body_reported(t, &copy, q.sent.is_some(), None, q.reported.is_some())
    };
    let from = from_line(t, &copy, &practice);
    render(StatusCode::OK, &guest_page(&page, &token, from, body))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// POST /m/{token}: the access code.
pub async fn code_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let (copy, page) = match landing(&state, page, &client, &token).await? {
        Ok(open) => open,
        Err(closed) => return Ok(closed),
    };
    let lang = page.lang;
    let t = lang.msgs();
    let g = guest(&state, &client);
    let answer = match copy.method {
        Method::AccessCode => guest::enter_access_code(g, &copy, &form.code).await,
        Method::Sms | Method::EmailCode => {
            match sent_code::enter_sent_code(g, &copy, &form.code).await? {
                Ok(session) => Ok(session),
                Err(p) => {
                    let page_body = code_body(t, &copy, false, Some(problem_text(t, p)));
                    let practice = state.practice_name().await?;
                    let from = from_line(t, &copy, &practice);
                    return render(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &guest_page(&page, &token, from, page_body),
                    );
                }
            }
        }
    };
    let (status, error) = match answer {
        Ok(session) => {
            let cookie = cookies::set(
                cookies::GUEST,
                session.token.as_str(),
                Some(GUEST_MAX_SECS),
                state.cfg.secure_cookies(),
                "Lax",
                true,
            );
            return Ok(see_other(
                &format!("/m/{token}"),
                HeaderValue::from_str(&cookie).ok(),
            ));
        }
        Err(Error::BadCredentials) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.guest_code_wrong.to_string(),
        ),
        Err(Error::RateLimited { until, .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            fill(
                t.guest_locked,
                &[("time", &spreekuur_i18n::time_of_day(until.millis()))],
            ),
        ),
        Err(e) => return Err(e.into()),
    };
    let practice = state.practice_name().await?;
    let from = from_line(t, &copy, &practice);
    let body = code_body(t, &copy, false, Some(error));
    render(status, &guest_page(&page, &token, from, body))
}

/// POST /m/{token}/send: "Stuur mij de code" (at most once a minute, five times an hour).
pub async fn send_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    let (copy, page) = match landing(&state, page, &client, &token).await? {
        Ok(open) => open,
        Err(closed) => return Ok(closed),
    };
    let t = page.lang.msgs();
    let practice = state.practice_name().await?;
    let letters = state.letters(&practice);
    match sent_code::send_code(guest(&state, &client), letters, &copy, page.lang.code()).await {
        Ok(()) => Ok(see_other(&format!("/m/{token}?sent=1"), None)),
        Err(Error::RateLimited { until, .. }) => {
            let wait = fill(
                t.guest_code_wait,
                &[("time", &spreekuur_i18n::time_of_day(until.millis()))],
            );
            let from = from_line(t, &copy, &practice);
            let body = code_body(t, &copy, false, Some(wait));
            render(
                StatusCode::TOO_MANY_REQUESTS,
                &guest_page(&page, &token, from, body),
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// POST /m/{token}/wrong-number: "Stel de afzender op de hoogte".
pub async fn wrong_number_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    let (copy, _) = match landing(&state, page, &client, &token).await? {
        Ok(open) => open,
        Err(closed) => return Ok(closed),
    };
    let practice = state.practice_name().await?;
    guest::report_wrong_number(
        guest(&state, &client),
        &*state.store,
        state.letters(&practice),
        &copy,
    )
    .await?;
    Ok(see_other(&format!("/m/{token}?reported=1"), None))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
}

/// POST /m/{token}/reply: "Beantwoorden". Without a live guest session on this copy the
/// answer is refused and the code is asked again.
pub async fn reply_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    headers: HeaderMap,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<ReplyForm>,
) -> PageResult {
    let (copy, page) = match landing(&state, page, &client, &token).await? {
        Ok(open) => open,
        Err(closed) => return Ok(closed),
    };
    let lang = page.lang;
    let cookie = session_cookie(&state, &headers);
    if !guest::session_on(guest(&state, &client), cookie.as_deref(), &copy.id).await? {
        return Ok(see_other(&format!("/m/{token}"), None));
    }
    let now = state.clock.now();
    match reply::guest_reply(
        &*state.store,
        now,
        &client,
        &copy.mail,
        &copy.id,
        &form.text,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/m/{token}?replied=1#reply"), None)),
        Err(Error::Invalid { reason, .. }) => {
            let t = lang.msgs();
            let practice = state.practice_name().await?;
            let from = from_line(t, &copy, &practice);
            let body = thread_body(&state, lang, &copy, false, Some(t.text(reason.key()))).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &guest_page(&page, &token, from, body),
            )
        }
        Err(e) => Err(e.into()),
    }
}
