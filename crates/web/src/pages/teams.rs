//! Teams: the administrator decides who is in "Planbureau", "Cliëntensupport" and any team the
//! practice adds; a patient writes to a team from Contacten; staff in a team conversation take
//! it ("Ik pak dit op") or hand it to a colleague.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use spreekuur_domain::account::Role;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::office_hours::OfficeHours;
use spreekuur_domain::{ConversationId, Error, TeamId, UserId};
use spreekuur_i18n::{Msgs, fill};

use super::practice::{DayRow, WeekForm, day_rows};
use super::{render_form, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Admin, Client, Page, Staff, User};
use crate::layout::Layout;
use crate::state::AppState;

pub struct TeamMemberRow {
    id: String,
    name: String,
    remove: String,
}

pub struct TeamRow {
    id: String,
    name: String,
    purpose: String,
    members: Vec<TeamMemberRow>,
    /// Staff not yet in the team: (id, name).
    addable: Vec<(String, String)>,
    add_label: String,
    /// "Openingstijden van Planbureau", whether the team keeps its own, its seven day fields,
    /// and what was wrong with them when they came back.
    hours_label: String,
    own_hours: bool,
    days: Vec<DayRow>,
    hours_error: Option<&'static str>,
    save_label: String,
}

/// Hours typed for one team that came back with an error.
struct HoursAttempt {
    team: String,
    values: [String; 7],
    /// The first day whose hours were refused (Monday is 0).
    bad_day: usize,
    error: &'static str,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    layout: Layout,
    t: &'static Msgs,
    teams: Vec<TeamRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    name: String,
    purpose: String,
}

#[derive(Deserialize)]
pub struct TeamsQuery {
    #[serde(default)]
    notice: String,
}

async fn teams_page(
    state: &AppState,
    page: &Page,
    me: &spreekuur_domain::account::Account,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    name: String,
    purpose: String,
    hours: Option<HoursAttempt>,
) -> PageResult {
    let t = page.lang.msgs();
    let staff: Vec<_> = state
        .store
        .list_staff()
        .await?
        .into_iter()
        .filter(|a| a.active)
        .collect();
    let teams = state
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| {
            let id = team.id.to_string();
            let attempt = hours.as_ref().filter(|h| h.team == id);
            let values = match attempt {
                Some(a) => a.values.clone(),
                None => team
                    .hours
                    .map(|week| week.map(OfficeHours::format_day))
                    .unwrap_or_default(),
            };
            TeamRow {
                hours_label: fill(t.teams_hours, &[("team", &team.name)]),
                save_label: fill(t.teams_hours_save_label, &[("team", &team.name)]),
                own_hours: team.hours.is_some(),
                days: day_rows(t, values)
                    .into_iter()
                    .map(|d| DayRow {
                        invalid: attempt.is_some_and(|a| a.bad_day == d.idx),
                        ..d
                    })
                    .collect(),
                hours_error: attempt.map(|a| a.error),
                addable: staff
                    .iter()
                    .filter(|a| !team.members.iter().any(|m| m.id == a.id))
                    .map(|a| (a.id.to_string(), a.display_name()))
                    .collect(),
                add_label: fill(t.teams_add_who, &[("team", &team.name)]),
                members: team
                    .members
                    .iter()
                    .map(|m| TeamMemberRow {
                        id: m.id.to_string(),
                        name: m.name.clone(),
                        remove: fill(
                            t.teams_remove_label,
                            &[("name", &m.name), ("team", &team.name)],
                        ),
                    })
                    .collect(),
                id,
                name: team.name,
                purpose: team.purpose,
            }
        })
        .collect();
    let view = TeamsPage {
        layout: page.layout_at("/teams", Some(me), "teams"),
        t,
        teams,
        notice,
        error,
        name,
        purpose,
    };
    render_form(error.is_some() || hours.is_some(), &view)
}

/// GET /teams (administrators)
pub async fn teams_get(
    State(state): State<AppState>,
    page: Page,
    Admin(me): Admin,
    Query(q): Query<TeamsQuery>,
) -> PageResult {
    let t = page.lang.msgs();
    let notice = match q.notice.as_str() {
        "created" => Some(t.teams_created),
        "added" => Some(t.teams_added),
        "removed" => Some(t.teams_removed),
        "hours" => Some(t.teams_hours_saved),
        _ => None,
    };
    teams_page(
        &state,
        &page,
        &me,
        notice,
        None,
        String::new(),
        String::new(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct NewTeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: String,
}

/// POST /teams (administrators): a new team.
pub async fn teams_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    CsrfForm(form): CsrfForm<NewTeamForm>,
) -> PageResult {
    let t = page.lang.msgs();
    let error = match state
        .store
        .create_team(&me, &form.name, &form.purpose, state.clock.now(), &client)
        .await
    {
        Ok(_) => return Ok(see_other("/teams?notice=created", None)),
        Err(Error::Invalid { reason, .. }) => t.text(reason.key()),
        Err(Error::Conflict(reason)) => t.text(reason.key()),
        Err(e) => return Err(e.into()),
    };
    teams_page(
        &state,
        &page,
        &me,
        None,
        Some(error),
        form.name,
        form.purpose,
        None,
    )
    .await
}

/// POST /teams/{id}/hours (administrators): the team's own hours; all days empty gives it the
/// practice's again.
pub async fn hours_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<WeekForm>,
) -> PageResult {
    let team = TeamId::parse(&id).ok_or(Error::NotFound)?;
    if !state.store.teams().await?.iter().any(|t| t.id == team) {
        return Err(Error::NotFound.into());
    }
    let week = match OfficeHours::parse_week(form.days()) {
        Ok(week) => week,
        Err((bad_day, Error::Invalid { reason, .. })) => {
            let attempt = HoursAttempt {
                team: team.to_string(),
                values: form.days().map(str::to_string),
                bad_day,
                error: page.lang.msgs().text(reason.key()),
            };
            return teams_page(
                &state,
                &page,
                &me,
                None,
                None,
                String::new(),
                String::new(),
                Some(attempt),
            )
            .await;
        }
        Err((_, e)) => return Err(e.into()),
    };
    let own = form
        .days()
        .iter()
        .any(|v| !v.trim().is_empty())
        .then_some(week);
    state
        .store
        .set_team_hours(&team, &me, own, state.clock.now(), &client)
        .await?;
    Ok(see_other(&format!("/teams?notice=hours#team-{team}"), None))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    member: String,
}

/// POST /teams/{id}/members (administrators)
pub async fn member_post(
    State(state): State<AppState>,
    Client(client): Client,
    Admin(me): Admin,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> PageResult {
    let team = TeamId::parse(&id).ok_or(Error::NotFound)?;
    let member = UserId::parse(&form.member).ok_or(Error::NotFound)?;
    let joined = state
        .store
        .add_team_member(&team, &me, &member, state.clock.now(), &client)
        .await?;
    // Their open pages follow the team's conversations from now on.
    for conversation in joined {
        state.publish(LiveEvent::Members { conversation }).await;
    }
    Ok(see_other("/teams?notice=added", None))
}

/// POST /teams/{id}/members/{user}/remove (administrators)
pub async fn member_remove_post(
    State(state): State<AppState>,
    Client(client): Client,
    Admin(me): Admin,
    Path((id, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let team = TeamId::parse(&id).ok_or(Error::NotFound)?;
    let member = UserId::parse(&user).ok_or(Error::NotFound)?;
    state
        .store
        .remove_team_member(&team, &me, &member, state.clock.now(), &client)
        .await?;
    Ok(see_other("/teams?notice=removed", None))
}

/// POST /teams/{id}/message (patients): the conversation with the team, opened if need be.
pub async fn message_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    if me.role != Role::Patient {
        return Err(Error::NotFound.into());
    }
    let team = TeamId::parse(&id).ok_or(Error::NotFound)?;
    let (conversation, created) = state
        .store
        .open_team_conversation(&team, &me, state.clock.now(), &client)
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

/// POST /messenger/{id}/take: "Ik pak dit op".
pub async fn take_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    state
        .store
        .assign(&id, &me, &me.id, state.clock.now(), &client)
        .await?;
    Ok(see_other(&format!("/messenger/{id}?notice=taken"), None))
}

#[derive(Deserialize)]
pub struct HandOverForm {
    #[serde(default)]
    to: String,
}

/// POST /messenger/{id}/hand-over: to a colleague in the team.
pub async fn hand_over_post(
    State(state): State<AppState>,
    Client(client): Client,
    Staff(me): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<HandOverForm>,
) -> PageResult {
    let id = ConversationId::parse(&id).ok_or(Error::NotFound)?;
    let to = UserId::parse(&form.to).ok_or(Error::NotFound)?;
    state
        .store
        .assign(&id, &me, &to, state.clock.now(), &client)
        .await?;
    Ok(see_other(
        &format!("/messenger/{id}?notice=handed_over"),
        None,
    ))
}
