//! The messenger (seed 001): the conversation list (newest first, unread counts, a filter by
//! name), a conversation's messages with "verzonden" / "gelezen" under one's own, and "Stuur".
//! The conversation an invitation opened is already there. Each form carries a fresh client id,
//! so a message sent twice (a double click, a resent form) is stored once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::conversation::{ConversationSummary, Delivery, Message};
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::office_hours::{
    Availability, LocalMoment, civil_from_days, days_from_civil, weekday,
};
use spreekuur_domain::{ConversationId, Error, Timestamp};
use spreekuur_i18n::{Lang, Msgs, fill, message_time};

use super::{render, render_form, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, User};
use crate::layout::Layout;
use crate::state::AppState;

pub struct ListItem {
    id: String,
    title: String,
    when: String,
    current: bool,
    /// "3 ongelezen", when there are unread messages.
    unread: Option<String>,
    /// How many (the page's script counts on from it).
    unread_n: i64,
}

pub struct Current {
    id: String,
    title: String,
    heading: String,
    /// The position of the newest message shown (the live socket resumes after it).
    last_seq: i64,
    /// A group conversation (its members are listed on the group's page).
    group: bool,
}

pub struct MessageView {
    seq: i64,
    sender: String,
    when: String,
    lines: Vec<String>,
    mine: bool,
    /// "verzonden" or "gelezen", under one's own messages.
    status: &'static str,
    /// The file this message carries.
    file: Option<super::files::FileView>,
}

pub struct TeamBanner {
    text: String,
    /// "Ik pak dit op" is offered (someone else, or nobody, has it).
    take: bool,
    /// Colleagues in the team to hand it to: (id, name).
    hand_over: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "messenger.html")]
struct MessengerPage {
    layout: Layout,
    /// The signed-in user's id, to tell one's own messages apart in live delivery.
    me: String,
    t: &'static Msgs,
    list: Vec<ListItem>,
    current: Option<Current>,
    messages: Vec<MessageView>,
    /// "Eerdere berichten tonen": the link, when there are earlier messages.
    earlier: Option<String>,
    error: Option<&'static str>,
    draft: String,
    /// A fresh id for the next message, so a form sent twice stores it once.
    client_id: String,
    /// Outside office hours, for a patient: when the next opening is, and the emergency text.
    closed: Option<(String, String)>,
    /// The name filter over the list.
    filter: String,
    /// "Bestanden tot 100 MB." under the paperclip.
    attach_hint: String,
    /// For staff in a team conversation: who took it, "Ik pak dit op", "Overdragen aan".
    team: Option<TeamBanner>,
    /// What just happened ("Je hebt dit gesprek opgepakt.").
    notice: Option<&'static str>,
    /// The largest file, in bytes (the page's script checks before sending), and as text.
    max_file_bytes: u64,
    max_file_text: String,
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    client_id: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

fn list_items(
    lang: Lang,
    now: Timestamp,
    list: &[ConversationSummary],
    current: Option<&ConversationId>,
    filter: &str,
) -> Vec<ListItem> {
    let t = lang.msgs();
    let filter = filter.trim().to_lowercase();
    list.iter()
        .filter(|c| filter.is_empty() || c.title.to_lowercase().contains(&filter))
        .map(|c| ListItem {
            id: c.id.to_string(),
            title: c.title.clone(),
            when: message_time(lang, c.last_activity.millis(), now.millis()),
            current: Some(&c.id) == current,
            unread: (c.unread > 0 && Some(&c.id) != current)
                .then(|| fill(t.conversation_unread, &[("n", &c.unread.to_string())])),
            unread_n: c.unread,
        })
        .collect()
}

fn message_views(
    lang: Lang,
    now: Timestamp,
    me: &Account,
    msgs: &[Message],
    read_up_to: i64,
) -> Vec<MessageView> {
    let t = lang.msgs();
    msgs.iter()
        .map(|m| MessageView {
            seq: m.seq,
            status: match Delivery::of(m.seq, read_up_to) {
                Delivery::Read => t.message_status_read,
                Delivery::Sent => t.message_status_sent,
            },
            sender: if m.sender == me.id {
                t.message_you.to_string()
            } else {
                m.sender_name.clone()
            },
            when: message_time(lang, m.sent_at.millis(), now.millis()),
            lines: m.body.lines().map(str::to_string).collect(),
            mine: m.sender == me.id,
            file: m
                .file
                .as_ref()
                .map(|f| super::files::FileView::new(lang, f)),
        })
        .collect()
}

/// Outside office hours: what a patient sees above "Stuur" (they can still send). In a team
/// conversation, the team's own hours count when it has them (with the practice's closed days).
async fn closed_notice(
    state: &AppState,
    lang: Lang,
    me: &Account,
    id: &ConversationId,
) -> Result<Option<(String, String)>, crate::error::PageError> {
    let Some(mut practice) = state.store.practice().await? else {
        return Ok(None);
    };
    let team = state.store.team_hours(id, &me.id).await?;
    if let Some(team) = &team {
        practice.office_hours.week = team.week;
    }
    let Some((y, m, d, minute)) = spreekuur_i18n::local_day_minute(state.clock.now().millis())
    else {
        return Ok(None);
    };
    let (Ok(month), Ok(day)) = (u32::try_from(m), u32::try_from(d)) else {
        return Ok(None);
    };
    let now = LocalMoment {
        day: days_from_civil(i64::from(y), month, day),
        minute,
    };
    let t = lang.msgs();
    let text = match practice.office_hours.availability(now) {
        Availability::Open => return Ok(None),
        Availability::Closed { next: Some(next) } => {
            let (_, nm, nd) = civil_from_days(next.day);
            let when = spreekuur_i18n::opening(lang, weekday(next.day), nm, nd, next.minute);
            match &team {
                Some(team) => fill(
                    t.office_closed_team,
                    &[("team", &team.team_name), ("when", &when)],
                ),
                None => fill(t.office_closed, &[("when", &when)]),
            }
        }
        Availability::Closed { next: None } => match &team {
            Some(team) => fill(t.office_closed_team_later, &[("team", &team.team_name)]),
            None => t.office_closed_later.to_string(),
        },
    };
    Ok(Some((text, practice.emergency_text)))
}

/// GET /messenger?q=…
pub async fn messenger_get(
    State(state): State<AppState>,
    page: Page,
    User(me): User,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let list = state.store.conversations_for(&me.id).await?;
    // With one conversation there is nothing to choose: open it.
    if let ([only], true) = (list.as_slice(), q.q.is_empty()) {
        return Ok(see_other(&format!("/messenger/{}", only.id), None));
    }
    let view = MessengerPage {
        layout: page.layout(Some(&me), "conversations"),
        t: page.lang.msgs(),
        me: me.id.to_string(),
        list: list_items(page.lang, state.clock.now(), &list, None, &q.q),
        current: None,
        messages: Vec::new(),
        earlier: None,
        error: None,
        draft: String::new(),
        client_id: String::new(),
        closed: None,
        team: None,
        notice: None,
        filter: q.q,
        attach_hint: String::new(),
        max_file_bytes: state.cfg.max_file_bytes,
        max_file_text: String::new(),
    };
    render(StatusCode::OK, &view)
}

/// The messages a conversation opens with; "Eerdere berichten tonen" shows as many more each
/// time.
const PAGE: i64 = 50;

/// The most messages one page shows.
const MOST_SHOWN: i64 = 5_000;

/// What a conversation page shows besides the conversation.
struct Extras {
    /// Why the message was not sent, with what the user wrote.
    error: Option<&'static str>,
    draft: String,
    /// What just happened ("Je hebt dit gesprek opgepakt.").
    notice: Option<&'static str>,
    /// How many of the newest messages.
    shown: i64,
}

impl Default for Extras {
    fn default() -> Self {
        Self {
            error: None,
            draft: String::new(),
            notice: None,
            shown: PAGE,
        }
    }
}

async fn conversation_page(
    state: &AppState,
    page: &Page,
    me: &Account,
    id: &ConversationId,
    client: &str,
    extras: Extras,
) -> PageResult {
    let Extras {
        error,
        draft,
        notice,
        shown,
    } = extras;
    let thread = state
        .store
        .read_conversation(id, me, client, state.clock.now(), shown)
        .await?;
    // The link shows as many more, and comes back to where the reader was.
    let earlier = match (thread.earlier, thread.messages.first()) {
        (true, Some(first)) if shown < MOST_SHOWN => Some(format!(
            "/messenger/{id}?shown={}#m{}",
            (shown + PAGE).min(MOST_SHOWN),
            first.seq
        )),
        _ => None,
    };
    let summary = thread.summary;
    // Opening it read it all: the others' pages turn "verzonden" into "gelezen".
    if let Some(last) = thread.messages.last() {
        state
            .publish(LiveEvent::Read {
                conversation: id.clone(),
                user: me.id.clone(),
                seq: last.seq,
            })
            .await;
    }
    let group = state.store.group_members(id, &me.id).await.is_ok();
    let lang = page.lang;
    let t = lang.msgs();
    let team = state
        .store
        .team_conversation(id, me)
        .await?
        .map(|tc| TeamBanner {
            text: match &tc.assignee {
                None => fill(t.team_banner_open, &[("team", &tc.team_name)]),
                Some(a) if a.id == me.id => fill(t.team_banner_mine, &[("team", &tc.team_name)]),
                Some(a) => fill(
                    t.team_banner_taken,
                    &[("team", &tc.team_name), ("name", &a.name)],
                ),
            },
            take: tc.assignee.as_ref().is_none_or(|a| a.id != me.id)
                && tc.members.iter().any(|m| m.id == me.id),
            hand_over: tc
                .members
                .iter()
                .filter(|m| m.id != me.id && tc.assignee.as_ref().is_none_or(|a| a.id != m.id))
                .map(|m| (m.id.to_string(), m.name.clone()))
                .collect(),
        });
    let list = state.store.conversations_for(&me.id).await?;
    let view = MessengerPage {
        layout: page.layout_at(&format!("/messenger/{id}"), Some(me), "conversations"),
        t,
        me: me.id.to_string(),
        list: list_items(lang, state.clock.now(), &list, Some(id), ""),
        current: Some(Current {
            id: id.to_string(),
            heading: if group {
                summary.title.clone()
            } else {
                fill(t.conversation_with, &[("name", &summary.title)])
            },
            title: summary.title,
            last_seq: thread.messages.last().map_or(0, |m| m.seq),
            group,
        }),
        messages: message_views(
            lang,
            state.clock.now(),
            me,
            &thread.messages,
            thread.read_up_to,
        ),
        earlier,
        error,
        draft,
        client_id: uuid::Uuid::new_v4().to_string(),
        closed: if me.role == Role::Patient {
            closed_notice(state, lang, me, id).await?
        } else {
            None
        },
        team,
        notice,
        filter: String::new(),
        attach_hint: fill(
            t.file_attach_hint,
            &[(
                "max",
                &spreekuur_i18n::file_size(lang, state.cfg.max_file_bytes),
            )],
        ),
        max_file_bytes: state.cfg.max_file_bytes,
        max_file_text: spreekuur_i18n::file_size(lang, state.cfg.max_file_bytes),
    };
    render_form(error.is_some(), &view)
}

#[derive(Deserialize)]
pub struct ConversationQuery {
    #[serde(default)]
    notice: String,
    /// How many of the newest messages to show (from "Eerdere berichten tonen").
    #[serde(default)]
    shown: String,
}

/// GET /messenger/{id}: another user's or a made-up id is "not found".
pub async fn conversation_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    Query(q): Query<ConversationQuery>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    let notice = match q.notice.as_str() {
        "taken" => Some(t.team_taken),
        "handed_over" => Some(t.team_handed_over),
        _ => None,
    };
    // A number from a link; anything else opens the conversation as usual.
    let shown = q
        .shown
        .trim()
        .parse::<i64>()
        .map_or(PAGE, |n| n.clamp(PAGE, MOST_SHOWN));
    conversation_page(
        &state,
        &page,
        &me,
        &id,
        &client,
        Extras {
            notice,
            shown,
            ..Extras::default()
        },
    )
    .await
}

/// POST /messenger/{id}: "Stuur".
pub async fn conversation_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SendForm>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    match state
        .send_message(&id, &me, &form.body, Some(&form.client_id), &client)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/messenger/{id}#composer"), None)),
        Err(Error::Invalid { reason, .. }) => {
            let msg = t.text(reason.key());
            conversation_page(
                &state,
                &page,
                &me,
                &id,
                &client,
                Extras {
                    error: Some(msg),
                    draft: form.body,
                    ..Extras::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
