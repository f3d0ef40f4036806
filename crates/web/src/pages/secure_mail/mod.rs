//! "Veilig mailen" for staff (seed 003): the list of secure messages one sent or may answer,
//! the compose form, and a message's page with its recipients' status and the thread. The use
//! cases are `domain::secure_mail::{send, reply}`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::secure_mail::send::{ComposeError, ComposeForm, Rules, Sending};
use spreekuur_domain::secure_mail::{
    self, Author, Line, MailState, Method, PhoneNumber, RecipientForm, Status, manage, reply,
};
use spreekuur_domain::{Error, RecipientId, SecureMailId, TeamId};
use spreekuur_i18n::{Msgs, fill};

use super::{FormErrors, render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff};
use crate::layout::Layout;
use crate::state::AppState;

mod codes;

/// Recipient rows the form shows at first; "Nog een ontvanger" adds one.
const FIRST_ROWS: usize = 1;
/// Rows the form accepts; more recipients than this are sent in several messages.
const MAX_ROWS: usize = 50;

pub struct RowView {
    n: usize,
    label: String,
    email: String,
    cc: bool,
    method: String,
    access_code: String,
    phone: String,
    errors: FormErrors,
}

pub struct TeamChoice {
    id: String,
    label: String,
    chosen: bool,
}

pub struct ListLine {
    id: String,
    subject: String,
    to: String,
    sender: String,
    last: String,
    unread: Option<String>,
    closed: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "secure_mail.html")]
struct ListPage {
    layout: Layout,
    t: &'static Msgs,
    lines: Vec<ListLine>,
    rows: Vec<RowView>,
    subject: String,
    text: String,
    teams: Vec<TeamChoice>,
    mail_lang: String,
    email_code: bool,
    errors: FormErrors,
}

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

/// What the practice decided about secure e-mail (Praktijkgegevens).
async fn rules(state: &AppState) -> Result<Rules, Error> {
    Ok(state
        .store
        .practice()
        .await?
        .map(|p| p.secure_mail)
        .unwrap_or_default())
}

async fn my_teams(state: &AppState, me: &Account) -> Result<Vec<(TeamId, String)>, Error> {
    Ok(state
        .store
        .teams()
        .await?
        .into_iter()
        .filter(|t| t.members.iter().any(|m| m.id == me.id))
        .map(|t| (t.id, t.name))
        .collect())
}

/// The compose form as posted: indexed recipient rows (`r0_email`, `r0_method`, …).
struct Posted {
    pairs: Vec<(String, String)>,
}

impl Posted {
    fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
    fn rows(&self) -> usize {
        let n = self
            .pairs
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix('r')?
                    .split_once('_')?
                    .0
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |i| i + 1);
        n.clamp(FIRST_ROWS, MAX_ROWS)
    }
    fn row(&self, i: usize) -> RecipientForm<'_> {
        RecipientForm {
            email: self.get(&format!("r{i}_email")),
            cc: !self.get(&format!("r{i}_cc")).is_empty(),
            method: self.get(&format!("r{i}_method")),
            access_code: self.get(&format!("r{i}_code")),
            phone: self.get(&format!("r{i}_phone")),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    state: &AppState,
    page: &Page,
    me: &Account,
    posted: Option<&Posted>,
    extra_row: bool,
    row_errors: &[(usize, Error)],
    errors: FormErrors,
) -> Result<ListPage, Error> {
    let lang = page.lang;
    let t = lang.msgs();
    let now = state.clock.now();
    let lines = state
        .store
        .secure_mails_for(&me.id)
        .await?
        .into_iter()
        .map(|o| ListLine {
            subject: o.subject.clone().unwrap_or_else(|| "—".into()),
            to: o
                .recipients
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            sender: match &o.team_name {
                Some(team) => fill(t.secure_send_as_team, &[("team", team)]),
                None => o.sender_name.clone(),
            },
            last: spreekuur_i18n::date_time(lang, o.last_activity.millis()),
            unread: (o.unread > 0)
                .then(|| fill(t.secure_unread, &[("count", &o.unread.to_string())])),
            closed: match o.state(now) {
                MailState::Open => None,
                MailState::Revoked => Some(t.secure_revoked_staff),
                MailState::Expired => Some(t.secure_expired_staff),
            },
            id: o.id.to_string(),
        })
        .collect();
    let count = posted.map_or(FIRST_ROWS, Posted::rows) + usize::from(extra_row);
    let rows = (0..count.min(MAX_ROWS))
        .map(|i| {
            let typed = posted.map(|p| p.row(i)).unwrap_or_default();
            let mut errs = FormErrors::default();
            for (_, e) in row_errors.iter().filter(|(r, _)| *r == i) {
                if let Error::Invalid { field, reason } = e {
                    errs.add(field, t.text(reason.key()));
                }
            }
            RowView {
                n: i,
                label: fill(t.secure_recipient, &[("n", &(i + 1).to_string())]),
                email: typed.email.to_string(),
                cc: typed.cc,
                method: if typed.method.is_empty() {
                    Method::AccessCode.as_str().into()
                } else {
                    typed.method.to_string()
                },
                access_code: typed.access_code.to_string(),
                phone: typed.phone.to_string(),
                errors: errs,
            }
        })
        .collect();
    let chosen_team = posted.map_or("", |p| p.get("team"));
    let mut teams = vec![TeamChoice {
        id: String::new(),
        label: fill(t.secure_send_as_me, &[("name", &me.display_name())]),
        chosen: chosen_team.is_empty(),
    }];
    for (id, name) in my_teams(state, me).await? {
        teams.push(TeamChoice {
            chosen: chosen_team == id.as_str(),
            id: id.to_string(),
            label: fill(t.secure_send_as_team, &[("team", &name)]),
        });
    }
    let mail_lang = match posted.map_or("", |p| p.get("lang")) {
        "" => lang.code().to_string(),
        l => l.to_string(),
    };
    Ok(ListPage {
        layout: page.layout_at("/secure-mail", Some(me), "secure_mail"),
        t,
        lines,
        rows,
        subject: posted.map_or("", |p| p.get("subject")).to_string(),
        text: posted.map_or("", |p| p.get("text")).to_string(),
        teams,
        mail_lang,
        email_code: rules(state).await?.email_code,
        errors,
    })
}

/// GET /secure-mail
pub async fn list_get(State(state): State<AppState>, page: Page, Staff(me): Staff) -> PageResult {
    let page = list_page(&state, &page, &me, None, false, &[], FormErrors::default()).await?;
    render(StatusCode::OK, &page)
}

/// POST /secure-mail: "Versturen", or "Nog een ontvanger" (`add`), which shows the form again
/// with one more row and sends nothing.
pub async fn send_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let posted = Posted { pairs };
    let t = page.lang.msgs();
    if !posted.get("add").is_empty() {
        let page = list_page(
            &state,
            &page,
            &me,
            Some(&posted),
            true,
            &[],
            FormErrors::default(),
        )
        .await?;
        return render(StatusCode::OK, &page);
    }
    let team = match posted.get("team") {
        "" => None,
        id => Some(TeamId::parse(id).ok_or(Error::NotFound)?),
    };
    let form = ComposeForm {
        subject: posted.get("subject"),
        text: posted.get("text"),
        recipients: (0..posted.rows()).map(|i| posted.row(i)).collect(),
        team,
        lang: posted.get("lang"),
    };
    let teams: Vec<TeamId> = my_teams(&state, &me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let practice = state.practice_name().await?;
    let sending = Sending {
        store: &*state.store,
        tokens: &*state.tokens,
        letters: state.letters(&practice),
        now: state.clock.now(),
        client: &client,
        rules: rules(&state).await?,
    };
    match secure_mail::send::send(sending, &me, &teams, &form).await {
        Ok(sent) => {
            let shown: Vec<(String, String)> = sent
                .codes
                .iter()
                .map(|(e, c)| (e.as_str().to_string(), c.to_string()))
                .collect();
            let cookie = codes::carry(&state, &sent.id, &shown);
            Ok(see_other(
                &format!("/secure-mail/{}?sent=1", sent.id),
                cookie,
            ))
        }
        Err(ComposeError::Fields { form: errs, rows }) => {
            let mut errors = FormErrors::from_errors(t, &errs);
            if !rows.is_empty() {
                errors.add("form", t.form_has_errors);
            }
            let page = list_page(&state, &page, &me, Some(&posted), false, &rows, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(ComposeError::Failed(e)) => Err(e.into()),
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
    let teams: Vec<TeamId> = my_teams(state, me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
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
    let teams: Vec<TeamId> = my_teams(&state, &me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
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
    let teams: Vec<TeamId> = my_teams(&state, &me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
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
    let teams: Vec<TeamId> = my_teams(&state, &me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
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
