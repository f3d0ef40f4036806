//! The invitations page: what was sent, its state (verstuurd, geopend, geaccepteerd,
//! afgewezen, verlopen, ingetrokken), and resend (the old link stops working) or withdraw.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::invitation::{self, State as InvState};
use spreekuur_domain::{Error, InvitationId};
use spreekuur_i18n::{Msgs, date_time, fill};

use super::invite::sending;
use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff};
use crate::layout::Layout;
use crate::state::AppState;

pub struct Row {
    id: String,
    name: String,
    email: String,
    sent_at: String,
    valid_until: String,
    state: &'static str,
    state_code: &'static str,
    inviter: String,
    open: bool,
    resendable: bool,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    layout: Layout,
    t: &'static Msgs,
    notice: Option<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
pub struct Notice {
    sent: Option<String>,
    notice: Option<String>,
}

/// GET /invitations
pub async fn invitations_get(
    State(state): State<AppState>,
    page: Page,
    Staff(me): Staff,
    Query(q): Query<Notice>,
) -> PageResult {
    let t = page.lang.msgs();
    let now = state.clock.now();
    let list = state.store.list_invitations().await?;
    let sent_to = q
        .sent
        .as_deref()
        .and_then(|id| list.iter().find(|i| i.id.as_str() == id))
        .map(|i| i.email.as_str().to_string());
    let notice = match (sent_to, q.notice.as_deref()) {
        // Without a mail relay nothing left the server: say where the invitation waits.
        (Some(email), _) if state.cfg.dev_mailbox => {
            Some(fill(t.invite_waiting, &[("email", &email)]))
        }
        (Some(email), _) => Some(fill(t.invite_sent, &[("email", &email)])),
        (None, Some("resent")) => Some(t.invitations_resent.to_string()),
        (None, Some("withdrawn")) => Some(t.invitations_withdrawn.to_string()),
        (None, Some("not_open")) => Some(t.invitations_not_open.to_string()),
        _ => None,
    };
    let rows = list
        .iter()
        .map(|i| {
            let s = i.state(now);
            Row {
                id: i.id.to_string(),
                name: format!("{} {}", i.first_name.as_str(), i.last_name.as_str()),
                email: i.email.as_str().to_string(),
                sent_at: date_time(page.lang, i.sent_at.millis()),
                valid_until: fill(
                    t.invitations_valid_until,
                    &[("date", &date_time(page.lang, i.expires_at.millis()))],
                ),
                state: if state.cfg.dev_mailbox && s == InvState::Sent {
                    t.invitation_state_waiting
                } else {
                    t.text(s.label_key())
                },
                state_code: s.as_str(),
                inviter: i.inviter_name.clone(),
                open: matches!(s, InvState::Sent | InvState::Opened),
                resendable: i.check_resendable(now).is_ok(),
            }
        })
        .collect();
    let view = InvitationsPage {
        layout: page.layout(Some(&me), "invitations"),
        t,
        notice,
        rows,
    };
    render(StatusCode::OK, &view)
}

/// POST /invitations/{id}/resend
pub async fn resend_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = InvitationId::parse(&id).ok_or(Error::NotFound)?;
    let practice = state.practice_name().await?;
    let sent = invitation::resend(sending(&state, &practice, &client), &me.id, &id).await;
    answered(sent, "resent")
}

/// POST /invitations/{id}/withdraw
pub async fn withdraw_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = InvitationId::parse(&id).ok_or(Error::NotFound)?;
    let now = state.clock.now();
    let done = invitation::withdraw(&*state.store, &me.id, &id, now, &client).await;
    answered(done, "withdrawn")
}

/// Back to the list with a notice; an invitation answered meanwhile says it is no longer open.
fn answered(outcome: Result<(), Error>, done: &str) -> PageResult {
    match outcome {
        Ok(()) => Ok(see_other(&format!("/invitations?notice={done}"), None)),
        Err(Error::Conflict(_)) => Ok(see_other("/invitations?notice=not_open", None)),
        Err(e) => Err(e.into()),
    }
}
