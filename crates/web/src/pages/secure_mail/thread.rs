//! A secure e-mail's page for staff: the recipients with their status and what the sender can
//! change (send again, a new access code, sms codes), the thread and "Beantwoorden", and
//! "Intrekken".

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::secure_mail::{
    Author, Line, MailState, Method, PhoneNumber, Status, manage, reply,
};
use spreekuur_domain::{Error, RecipientId, SecureMailId};
use spreekuur_i18n::{Msgs, fill};

use super::{codes, rules, team_ids};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff};
use crate::layout::Layout;
use crate::pages::{FormErrors, render, see_other};
use crate::state::AppState;

pub struct CopyLine {
    id: String,
    email: String,
    cc: bool,
    method: &'static str,
    status: &'static str,
    when: String,
    locked: Option<String>,
    wrong_number: bool,
}

pub struct PostView {
    author: String,
    mine: bool,
    guest: bool,
    at: String,
    text: String,
}

#[derive(Template)]
#[template(path = "secure_mail_thread.html")]
struct ThreadPage {
    layout: Layout,
    t: &'static Msgs,
    id: String,
    subject: String,
    notice: Option<&'static str>,
    codes: Vec<(String, String)>,
    copies: Vec<CopyLine>,
    posts: Vec<PostView>,
    closed: Option<&'static str>,
    expiry: String,
    errors: FormErrors,
}

fn status_label(t: &'static Msgs, s: Status) -> &'static str {
    match s {
        Status::Sent => t.secure_status_sent,
        Status::Delivered => t.secure_status_delivered,
        Status::NotDelivered => t.secure_status_not_delivered,
        Status::Opened => t.secure_status_opened,
        Status::Replied => t.secure_status_replied,
    }
}

fn method_label(t: &'static Msgs, m: Method) -> &'static str {
    match m {
        Method::AccessCode => t.guest_code_label,
        Method::Sms => t.secure_phone,
        Method::EmailCode => t.secure_email,
    }
}

#[allow(clippy::too_many_arguments)]
async fn thread_page(
    state: &AppState,
    page: &Page,
    me: &Account,
    client: &str,
    id: &SecureMailId,
    notice: Option<&'static str>,
    codes: Vec<(String, String)>,
    errors: FormErrors,
) -> Result<ThreadPage, Error> {
    let lang = page.lang;
    let t = lang.msgs();
    let thread = state.store.thread(id).await?.ok_or(Error::NotFound)?;
    let teams = team_ids(state, me).await?;
    if !reply::may_read(&thread, me, &teams) {
        return Err(Error::NotFound);
    }
    let now = state.clock.now();
    let record = AuditRecord::new(now, Action::SecureMailRead, client)
        .actor(&me.id)
        .object(id);
    state
        .store
        .mark_secure_mail_read(id, &me.id, thread.last_seq(), &record)
        .await?;
    let copies = thread
        .copies
        .iter()
        .map(|c| {
            let when = [
                c.replied_at,
                c.opened_at,
                c.failed_at,
                c.delivered_at,
                Some(c.sent_at),
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(c.sent_at);
            CopyLine {
                id: c.id.to_string(),
                email: c.email.as_str().to_string(),
                cc: c.line == Line::Cc,
                method: method_label(t, c.method),
                status: status_label(t, c.status),
                when: spreekuur_i18n::date_time(lang, when.millis()),
                wrong_number: c.wrong_number_at.is_some(),
                locked: c.locked_until.filter(|u| *u > now).map(|u| {
                    fill(
                        t.secure_locked_until,
                        &[("time", &spreekuur_i18n::time_of_day(u.millis()))],
                    )
                }),
            }
        })
        .collect();
    let posts = thread
        .posts
        .iter()
        .map(|p| {
            let (author, mine, guest) = match &p.author {
                Author::Staff { id, name } => (name.clone(), id == &me.id, false),
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
    let closed = match thread.state(now) {
        MailState::Open => None,
        MailState::Revoked => Some(t.secure_revoked_staff),
        MailState::Expired => Some(t.secure_expired_staff),
    };
    let expiry = match thread.expires_at {
        Some(e) => fill(
            t.secure_expires,
            &[("date", &spreekuur_i18n::date(lang, e.millis()))],
        ),
        None => t.secure_no_expiry.to_string(),
    };
    Ok(ThreadPage {
        layout: page.layout_at(&format!("/secure-mail/{id}"), Some(me), "secure_mail"),
        t,
        id: id.to_string(),
        subject: thread.subject.clone().unwrap_or_else(|| "—".into()),
        notice,
        codes,
        copies,
        posts,
        closed,
        expiry,
        errors,
    })
}

#[derive(Deserialize)]
pub struct ThreadQuery {
    replied: Option<String>,
    sent: Option<String>,
    revoked: Option<String>,
    changed: Option<String>,
    resent: Option<String>,
}

/// GET /secure-mail/{id}
pub async fn thread_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> PageResult {
    let id = SecureMailId::parse(&id).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    let notice = if q.sent.is_some() {
        Some(t.secure_sent)
    } else if q.changed.is_some() {
        Some(t.secure_changed)
    } else if q.resent.is_some() {
        Some(t.secure_resent)
    } else if q.revoked.is_some() {
        Some(t.secure_revoked_done)
    } else {
        q.replied.is_some().then_some(t.secure_replied)
    };
    let shown = codes::take(&state, &headers, &id);
    let clear = (!shown.is_empty()).then(|| codes::clear(&state)).flatten();
    let view = thread_page(
        &state,
        &page,
        &me,
        &client,
        &id,
        notice,
        shown,
        FormErrors::default(),
    )
    .await?;
    let mut res = render(StatusCode::OK, &view)?;
    if let Some(c) = clear {
        res.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct Empty {}

/// POST /secure-mail/{id}/revoke: "Intrekken".
pub async fn revoke_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    let id = SecureMailId::parse(&id).ok_or(Error::NotFound)?;
    let teams = team_ids(&state, &me).await?;
    let now = state.clock.now();
    manage::revoke(&*state.store, now, &client, &me, &teams, &id).await?;
    Ok(see_other(&format!("/secure-mail/{id}?revoked=1"), None))
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    phone: String,
}

/// POST /secure-mail/{id}/recipients/{rid}: "Opnieuw versturen", "Nieuwe toegangscode" or
/// "Overschakelen" to sms codes on a number.
pub async fn change_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    Path((id, rid)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> PageResult {
    let id = SecureMailId::parse(&id).ok_or(Error::NotFound)?;
    let copy = RecipientId::parse(&rid).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    let change = match form.action.as_str() {
        "resend" => manage::Change::Resend,
        "new_code" => manage::Change::NewAccessCode,
        "sms" => match PhoneNumber::parse(&form.phone) {
            Ok(p) => manage::Change::Sms(p),
            Err(e) => {
                let errors = FormErrors::from_errors(t, &[e]);
                let view =
                    thread_page(&state, &page, &me, &client, &id, None, Vec::new(), errors).await?;
                return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
            }
        },
        _ => {
            return Err(
                Error::invalid("action", spreekuur_domain::error::Reason::FormHasErrors).into(),
            );
        }
    };
    let teams = team_ids(&state, &me).await?;
    let practice = state.practice_name().await?;
    let managing = manage::Managing {
        store: &*state.store,
        tokens: &*state.tokens,
        letters: state.letters(&practice),
        now: state.clock.now(),
        client: &client,
        lang: page.lang.code(),
    };
    let resend = matches!(change, manage::Change::Resend);
    let code = manage::change_recipient(managing, &me, &teams, &id, &copy, change).await?;
    let thread = state.store.thread(&id).await?.ok_or(Error::NotFound)?;
    let cookie = code.and_then(|c| {
        let email = thread
            .copies
            .iter()
            .find(|v| v.id == copy)
            .map(|v| v.email.as_str().to_string())
            .unwrap_or_default();
        codes::carry(&state, &id, &[(email, c.to_string())])
    });
    let flag = if resend { "resent" } else { "changed" };
    Ok(see_other(&format!("/secure-mail/{id}?{flag}=1"), cookie))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    lang: String,
}

/// POST /secure-mail/{id}/reply
pub async fn reply_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReplyForm>,
) -> PageResult {
    let id = SecureMailId::parse(&id).ok_or(Error::NotFound)?;
    let teams = team_ids(&state, &me).await?;
    let practice = state.practice_name().await?;
    let answering = reply::Answering {
        store: &*state.store,
        tokens: &*state.tokens,
        letters: state.letters(&practice),
        now: state.clock.now(),
        client: &client,
        lang: if form.lang.is_empty() {
            page.lang.code()
        } else {
            &form.lang
        },
        subject_in_notice: rules(&state).await?.subject_in_notice,
    };
    match reply::staff_reply(answering, &me, &teams, &id, &form.text).await {
        Ok(_) => Ok(see_other(&format!("/secure-mail/{id}?replied=1"), None)),
        Err(e @ Error::Invalid { .. }) => {
            let t = page.lang.msgs();
            let errors = FormErrors::from_errors(t, &[e]);
            let page =
                thread_page(&state, &page, &me, &client, &id, None, Vec::new(), errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ProofLine {
    email: String,
    cc: bool,
    method: &'static str,
    sent: String,
    delivered: String,
    failed: String,
    opened: String,
    replied: String,
}

#[derive(Template)]
#[template(path = "secure_mail_proof.html")]
struct ProofPage {
    layout: Layout,
    t: &'static Msgs,
    id: String,
    subject: String,
    meta: String,
    expiry: String,
    closed: Option<&'static str>,
    lines: Vec<ProofLine>,
}

/// GET /secure-mail/{id}/proof: the printable proof of delivery, per recipient with the time
/// of each step.
pub async fn proof_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
) -> PageResult {
    let id = SecureMailId::parse(&id).ok_or(Error::NotFound)?;
    let lang = page.lang;
    let t = lang.msgs();
    let thread = state.store.thread(&id).await?.ok_or(Error::NotFound)?;
    let teams = team_ids(&state, &me).await?;
    if !reply::may_read(&thread, &me, &teams) {
        return Err(Error::NotFound.into());
    }
    let now = state.clock.now();
    state
        .store
        .audit(
            &AuditRecord::new(now, Action::SecureMailRead, &client)
                .actor(&me.id)
                .object(&id),
        )
        .await?;
    let at = |ts: Option<spreekuur_domain::Timestamp>| {
        ts.map(|x| spreekuur_i18n::date_time(lang, x.millis()))
            .unwrap_or_else(|| "—".into())
    };
    let lines = thread
        .copies
        .iter()
        .map(|c| ProofLine {
            email: c.email.as_str().to_string(),
            cc: c.line == Line::Cc,
            method: method_label(t, c.method),
            sent: at(Some(c.sent_at)),
            delivered: at(c.delivered_at),
            failed: at(c.failed_at),
            opened: at(c.opened_at),
            replied: at(c.replied_at),
        })
        .collect();
    let view = ProofPage {
        layout: page.layout_at(
            &format!("/secure-mail/{id}/proof"),
            Some(&me),
            "secure_mail",
        ),
        t,
        id: id.to_string(),
        subject: thread.subject.clone().unwrap_or_else(|| "—".into()),
        meta: fill(
            t.secure_proof_meta,
            &[
                ("sender", &thread.sender_name),
                (
                    "date",
                    &spreekuur_i18n::date_time(lang, thread.created_at.millis()),
                ),
            ],
        ),
        expiry: match thread.expires_at {
            Some(e) => fill(
                t.secure_expires,
                &[("date", &spreekuur_i18n::date(lang, e.millis()))],
            ),
            None => t.secure_no_expiry.to_string(),
        },
        closed: match thread.state(now) {
            MailState::Open => None,
            MailState::Revoked => Some(t.secure_revoked_staff),
            MailState::Expired => Some(t.secure_expired_staff),
        },
        lines,
    };
    render(StatusCode::OK, &view)
}
