//! "Veilig mailen" for staff (seed 003): the list of secure messages one sent or may answer
//! and the compose form; `thread.rs` is a message's page. The use cases are
//! `domain::secure_mail::{send, reply, manage}`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::secure_mail::send::{ComposeError, ComposeForm, Rules, Sending};
use spreekuur_domain::secure_mail::{self, MailState, Method, RecipientForm};
use spreekuur_domain::{Error, TeamId};
use spreekuur_i18n::{Msgs, fill};

use super::{FormErrors, render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff};
use crate::layout::Layout;
use crate::state::AppState;

mod codes;
mod thread;

pub use thread::{change_post, proof_get, reply_post, revoke_post, thread_get};

/// Recipient rows the form shows at first; "Nog een ontvanger" adds one.
const FIRST_ROWS: usize = 1;
/// Rows the form takes: the domain's limit of recipients (a form with more is refused whole,
/// never cut short).
const MAX_ROWS: usize = secure_mail::RECIPIENTS_MAX;

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

/// What the practice decided about secure e-mail (Praktijkgegevens).
pub(super) async fn rules(state: &AppState) -> Result<Rules, Error> {
    Ok(state
        .store
        .practice()
        .await?
        .map(|p| p.secure_mail)
        .unwrap_or_default())
}

pub(super) async fn my_teams(
    state: &AppState,
    me: &Account,
) -> Result<Vec<(TeamId, String)>, Error> {
    Ok(state
        .store
        .teams()
        .await?
        .into_iter()
        .filter(|t| t.members.iter().any(|m| m.id == me.id))
        .map(|t| (t.id, t.name))
        .collect())
}

/// The ids of the teams `me` belongs to (who may read a message sent as a team).
pub(super) async fn team_ids(state: &AppState, me: &Account) -> Result<Vec<TeamId>, Error> {
    Ok(my_teams(state, me)
        .await?
        .into_iter()
        .map(|(id, _)| id)
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
        n.clamp(FIRST_ROWS, MAX_ROWS + 1)
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
pub async fn list_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
) -> PageResult {
    let view = list_page(&state, &page, &me, None, false, &[], FormErrors::default()).await?;
    if !view.lines.is_empty() {
        // The list names recipients and subjects: on the audit trail, like a list of files.
        let record =
            AuditRecord::new(state.clock.now(), Action::SecureMailsListed, &client).actor(&me.id);
        state.store.audit(&record).await?;
    }
    render(StatusCode::OK, &view)
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
    let add = !posted.get("add").is_empty();
    if posted.rows() > MAX_ROWS || (add && posted.rows() == MAX_ROWS) {
        let mut errors = FormErrors::default();
        errors.add("form", t.recipient_too_many);
        let view = list_page(&state, &page, &me, None, false, &[], errors).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    }
    if add {
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
    let teams = team_ids(&state, &me).await?;
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
                // The summary above the form also points at the rows' errors.
                errors.add("rows", t.form_has_errors);
            }
            let page = list_page(&state, &page, &me, Some(&posted), false, &rows, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(ComposeError::Failed(e)) => Err(e.into()),
    }
}
