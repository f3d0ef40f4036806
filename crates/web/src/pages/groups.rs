//! "Groepen": conversations with more than two people. Staff make a group (a patient with a
//! provider and an assistant, or staff only), name it, add and remove members; a removed member
//! reads nothing of the conversation from then on. Patients see the groups they are in.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::group::Person;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::{ConversationId, Error, UserId};
use spreekuur_i18n::{Msgs, date_time, fill};

use super::contacts::{care_role_label, role_label};
use super::{render, render_form, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Staff, User};
use crate::layout::Layout;
use crate::state::AppState;

pub struct GroupRow {
    id: String,
    name: String,
    when: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    layout: Layout,
    t: &'static Msgs,
    rows: Vec<GroupRow>,
    can_create: bool,
}

/// GET /groups
pub async fn groups_get(State(state): State<AppState>, page: Page, User(me): User) -> PageResult {
    let t = page.lang.msgs();
    let rows = state
        .store
        .groups_for(&me.id)
        .await?
        .into_iter()
        .map(|g| GroupRow {
            id: g.id.to_string(),
            name: g.title,
            when: date_time(page.lang, g.last_activity.millis()),
        })
        .collect();
    let view = GroupsPage {
        layout: page.layout(Some(&me), "groups"),
        t,
        rows,
        can_create: me.role.is_staff(),
    };
    render(StatusCode::OK, &view)
}

pub struct Choice {
    id: String,
    name: String,
    role: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "group_new.html")]
struct NewGroupPage {
    layout: Layout,
    t: &'static Msgs,
    name: String,
    choices: Vec<Choice>,
    error: Option<&'static str>,
}

async fn new_group_page(
    state: &AppState,
    page: &Page,
    me: &spreekuur_domain::account::Account,
    name: String,
    chosen: &[String],
    error: Option<&'static str>,
) -> PageResult {
    let t = page.lang.msgs();
    let choices = state
        .store
        .contacts_for(me)
        .await?
        .into_iter()
        .map(|p| Choice {
            checked: chosen.iter().any(|c| c == p.id.as_str()),
            id: p.id.to_string(),
            role: role_label(t, p.role),
            name: p.name,
        })
        .collect();
    let view = NewGroupPage {
        layout: page.layout(Some(me), "groups"),
        t,
        name,
        choices,
        error,
    };
    render_form(error.is_some(), &view)
}

/// GET /groups/new (staff)
pub async fn new_get(State(state): State<AppState>, page: Page, Staff(me): Staff) -> PageResult {
    new_group_page(&state, &page, &me, String::new(), &[], None).await
}

/// POST /groups/new (staff): `name` and one `member` per person.
pub async fn new_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let name = form
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "member")
        .map(|(_, v)| v.clone())
        .collect();
    let t = page.lang.msgs();
    match create_group(&state, &me, &name, &chosen, &client).await {
        Ok(id) => Ok(see_other(&format!("/groups/{id}?notice=created"), None)),
        Err(Error::Invalid { reason, .. }) => {
            let error = Some(t.text(reason.key()));
            new_group_page(&state, &page, &me, name, &chosen, error).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes a group of the staff member `me`, named `name`, with the accounts `members` (ids as
/// sent: one that is no id is "not found", like someone `me` may not reach), and announces it.
/// The page and the API (`POST /api/v1/groups`) both make groups with this.
pub async fn create_group(
    state: &AppState,
    me: &spreekuur_domain::account::Account,
    name: &str,
    members: &[String],
    client: &str,
) -> Result<ConversationId, Error> {
    let members = members
        .iter()
        .map(|c| UserId::parse(c).ok_or(Error::NotFound))
        .collect::<Result<Vec<_>, _>>()?;
    let id = state
        .store
        .create_group(me, name, &members, state.clock.now(), client)
        .await?;
    state
        .publish(LiveEvent::Members {
            conversation: id.clone(),
        })
        .await;
    Ok(id)
}

pub struct MemberRow {
    id: String,
    name: String,
    role: &'static str,
    /// "Jan Jansen uit de groep verwijderen"; None for oneself, and for patients' view.
    remove: Option<String>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    layout: Layout,
    t: &'static Msgs,
    id: String,
    name: String,
    members: Vec<MemberRow>,
    /// People who may still be added (staff only).
    addable: Vec<(String, String)>,
    manage: bool,
    notice: Option<String>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct GroupQuery {
    #[serde(default)]
    notice: String,
}

async fn group_page(
    state: &AppState,
    page: &Page,
    me: &spreekuur_domain::account::Account,
    id: &ConversationId,
    notice: Option<String>,
    error: Option<&'static str>,
) -> PageResult {
    let t = page.lang.msgs();
    let (name, members) = state.store.group_members(id, &me.id).await?;
    let manage = me.role.is_staff();
    let addable = if manage {
        state
            .store
            .contacts_for(me)
            .await?
            .into_iter()
            .filter(|p| !members.iter().any(|m| m.id == p.id))
            .map(|p: Person| {
                (
                    p.id.to_string(),
                    format!("{} ({})", p.name, role_label(t, p.role)),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = GroupPage {
        layout: page.layout_at(&format!("/groups/{id}"), Some(me), "groups"),
        t,
        id: id.to_string(),
        name,
        members: members
            .into_iter()
            .map(|p| MemberRow {
                remove: (manage && p.id != me.id)
                    .then(|| fill(t.groups_remove_label, &[("name", &p.name)])),
                id: p.id.to_string(),
                // A patient in the group sees the care role, not "Beheerder".
                role: if manage {
                    role_label(t, p.role)
                } else {
                    care_role_label(t, p.role)
                },
                name: p.name,
            })
            .collect(),
        addable,
        manage,
        notice,
        error,
    };
    render_form(error.is_some(), &view)
}

/// GET /groups/{id}: members, and for staff adding and removing them.
pub async fn group_get(
    State(state): State<AppState>,
    page: Page,
    User(me): User,
    Path(id): Path<String>,
    Query(q): Query<GroupQuery>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    let notice = match q.notice.as_str() {
        "created" => Some(t.groups_created.to_string()),
        "added" => Some(t.groups_added.to_string()),
        "removed" => Some(t.groups_removed.to_string()),
        _ => None,
    };
    group_page(&state, &page, &me, &id, notice, None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    member: String,
}

/// POST /groups/{id}/members (staff in the group)
pub async fn add_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AddForm>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let member = UserId::parse(&form.member).ok_or(Error::NotFound)?;
    let t = page.lang.msgs();
    match state
        .store
        .add_member(&id, &me, &member, state.clock.now(), &client)
        .await
    {
        Ok(added) => {
            if added {
                state
                    .publish(LiveEvent::Members {
                        conversation: id.clone(),
                    })
                    .await;
            }
            Ok(see_other(&format!("/groups/{id}?notice=added"), None))
        }
        Err(Error::Invalid { reason, .. }) => {
            group_page(&state, &page, &me, &id, None, Some(t.text(reason.key()))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /groups/{id}/members/{user}/remove (staff in the group)
pub async fn remove_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path((id, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let member = UserId::parse(&user).ok_or(Error::NotFound)?;
    state
        .store
        .remove_member(&id, &me, &member, state.clock.now(), &client)
        .await?;
    state
        .publish(LiveEvent::Members {
            conversation: id.clone(),
        })
        .await;
    Ok(see_other(&format!("/groups/{id}?notice=removed"), None))
}
