//! "Contacten": who this user may talk to. A patient sees the staff they are connected with;
//! staff see their colleagues and the patients they are connected with. A patient never sees,
//! finds or reaches another patient. "Stuur bericht" opens (or makes) the 1:1 conversation.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use spreekuur_domain::account::Role;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::{Error, UserId};
use spreekuur_i18n::{Msgs, fill};

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Page, User};
use crate::layout::Layout;
use crate::state::AppState;

pub struct ContactRow {
    id: String,
    name: String,
    role: &'static str,
    /// "Stuur bericht aan Anna de Vries", for screen readers.
    action: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    layout: Layout,
    t: &'static Msgs,
    intro: &'static str,
    rows: Vec<ContactRow>,
    /// For patients: the practice's teams, to write to.
    teams: Vec<TeamContact>,
}

pub struct TeamContact {
    id: String,
    name: String,
    purpose: String,
    action: String,
}

pub fn role_label(t: &'static Msgs, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Provider => t.role_provider,
        Role::Assistant => t.role_assistant,
        Role::Patient => t.role_patient,
    }
}

/// The role as a patient sees it: the part someone plays in their care, not an administrative
/// right ("Beheerder" says nothing to a patient; an administrator works at the practice).
pub fn care_role_label(t: &'static Msgs, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_practice_staff,
        other => role_label(t, other),
    }
}

/// GET /contacts
pub async fn contacts_get(State(state): State<AppState>, page: Page, User(me): User) -> PageResult {
    let t = page.lang.msgs();
    let rows = state
        .store
        .contacts_for(&me)
        .await?
        .into_iter()
        .map(|p| ContactRow {
            id: p.id.to_string(),
            action: fill(t.contacts_message_to, &[("name", &p.name)]),
            name: p.name,
            role: if me.role == Role::Patient {
                care_role_label(t, p.role)
            } else {
                role_label(t, p.role)
            },
        })
        .collect();
    let teams = if me.role == Role::Patient {
        state
            .store
            .teams()
            .await?
            .into_iter()
            .map(|team| TeamContact {
                id: team.id.to_string(),
                action: fill(t.contacts_message_to, &[("name", &team.name)]),
                name: team.name,
                purpose: team.purpose,
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = ContactsPage {
        layout: page.layout(Some(&me), "contacts"),
        t,
        intro: if me.role.is_staff() {
            t.contacts_intro_staff
        } else {
            t.contacts_intro_patient
        },
        rows,
        teams,
    };
    render(StatusCode::OK, &view)
}

/// POST /contacts/{id}/message: the 1:1 conversation with a contact, opened if need be.
pub async fn message_post(
    State(state): State<AppState>,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let other = UserId::parse(&id).ok_or(Error::NotFound)?;
    // Only someone on this user's own contact list: anyone else is "not found".
    if !state
        .store
        .contacts_for(&me)
        .await?
        .iter()
        .any(|p| p.id == other)
    {
        return Err(Error::NotFound.into());
    }
    let (conversation, created) = state
        .store
        .open_direct(&me.id, &other, state.clock.now())
        .await?;
    if created {
        state
            .publish(LiveEvent::Members {
                conversation: conversation.clone(),
            })
            .await;
    }
    Ok(see_other(
        &format!("/messenger/{conversation}#composer"),
        None,
    ))
}
