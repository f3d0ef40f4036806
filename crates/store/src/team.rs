//! Teams and their conversations. A team conversation is an ordinary conversation whose members
//! are the patient and every member of the team, so unread counts, live delivery and the audit
//! of staff reads work as everywhere; joining or leaving a team joins or leaves its
//! conversations in the same transaction.

use async_trait::async_trait;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::error::Reason;
use spreekuur_domain::group::Person;
use spreekuur_domain::office_hours::OfficeHours;
use spreekuur_domain::ports::TeamStore;
use spreekuur_domain::team::{Team, TeamConversation, TeamHours, Week, parse_team};
use spreekuur_domain::{ConversationId, Error, StoreError, TeamId, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::conversation::{join_conversation, members_of, patient_of, person_from_row};
use crate::{Db, audit, db_err, internal, is_unique_violation};

async fn team_members(conn: &mut AnyConnection, team: &TeamId) -> Result<Vec<Person>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.role, u.first_name, u.last_name FROM team_members t JOIN users u ON u.id = t.user_id
          WHERE t.team_id = $1 AND u.active = 1 ORDER BY u.last_name, u.first_name",
    )
    .bind(team.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(person_from_row).collect()
}

fn admin_only(by: &Account) -> Result<(), Error> {
    if by.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Locks the team's row for the rest of the transaction (PostgreSQL; SQLite's writer is alone
/// anyway), so joining, leaving and opening its conversations never interleave; `NotFound` for
/// no such team.
async fn lock_team(conn: &mut AnyConnection, team: &TeamId) -> Result<(), Error> {
    let n = sqlx::query("UPDATE teams SET name = name WHERE id = $1")
        .bind(team.as_str())
        .execute(&mut *conn)
        .await
        .map_err(internal)?
        .rows_affected();
    if n == 1 { Ok(()) } else { Err(Error::NotFound) }
}

#[async_trait]
impl TeamStore for Db {
    async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let rows = sqlx::query("SELECT id, name, purpose, office_hours FROM teams ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = TeamId::from_stored(r.try_get("id").map_err(db_err)?);
            out.push(Team {
                members: team_members(&mut conn, &id).await?,
                id,
                name: r.try_get("name").map_err(db_err)?,
                purpose: r.try_get("purpose").map_err(db_err)?,
                hours: decode_hours(&r.try_get::<String, _>("office_hours").map_err(db_err)?),
            });
        }
        Ok(out)
    }

    async fn create_team(
        &self,
        by: &Account,
        name: &str,
        purpose: &str,
        now: Timestamp,
        client: &str,
    ) -> Result<TeamId, Error> {
        admin_only(by)?;
        let (name, purpose) = parse_team(name, purpose)?;
        let id = TeamId::new();
        let mut tx = self.write().await?;
        // Two teams whose names differ only in capitals would confuse patients.
        let taken = sqlx::query("SELECT id FROM teams WHERE LOWER(name) = LOWER($1)")
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        if taken.is_some() {
            return Err(Error::Conflict(Reason::TeamNameTaken));
        }
        let inserted = sqlx::query(
            "INSERT INTO teams (id, name, purpose, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(&name)
        .bind(&purpose)
        .bind(now.millis())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Conflict(Reason::TeamNameTaken));
            }
            Err(e) => return Err(internal(e)),
        }
        let rec = AuditRecord::new(now, Action::TeamCreated, client)
            .actor(&by.id)
            .object(&id);
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn add_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<Vec<ConversationId>, Error> {
        admin_only(by)?;
        let mut tx = self.write().await?;
        lock_team(&mut tx, team).await?;
        let staff =
            sqlx::query("SELECT id FROM users WHERE id = $1 AND role <> 'patient' AND active = 1")
                .bind(member.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        if staff.is_none() {
            return Err(Error::NotFound);
        }
        let added = sqlx::query(
            "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team.as_str())
        .bind(member.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if added == 0 {
            return Ok(Vec::new());
        }
        let conversations: Vec<String> =
            sqlx::query("SELECT id FROM conversations WHERE team_id = $1")
                .bind(team.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()
                .map_err(internal)?;
        for c in &conversations {
            join_conversation(&mut tx, c, member, now).await?;
            // Each patient's trail shows who can now read their conversation.
            let members =
                crate::conversation::members(&mut tx, &ConversationId::from_stored(c.clone()))
                    .await?;
            let mut rec = AuditRecord::new(now, Action::MemberAdded, client)
                .actor(&by.id)
                .object(format!("{c}/{member}"));
            if let Some(p) = patient_of(&members) {
                rec = rec.patient(p);
            }
            audit::append(&mut tx, &rec).await?;
        }
        let rec = AuditRecord::new(now, Action::TeamMemberAdded, client)
            .actor(&by.id)
            .object(format!("{team}/{member}"));
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(conversations
            .into_iter()
            .map(ConversationId::from_stored)
            .collect())
    }

    async fn remove_team_member(
        &self,
        team: &TeamId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        admin_only(by)?;
        let mut tx = self.write().await?;
        lock_team(&mut tx, team).await?;
        let removed = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team.as_str())
            .bind(member.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        if removed == 0 {
            return Err(Error::NotFound);
        }
        sqlx::query(
            "UPDATE conversation_members
                SET left_at = $1,
                    left_seq = (SELECT c.last_seq FROM conversations c WHERE c.id = conversation_members.conversation_id)
              WHERE user_id = $2 AND left_at IS NULL
                AND conversation_id IN (SELECT id FROM conversations WHERE team_id = $3)",
        )
        .bind(now.millis())
        .bind(member.as_str())
        .bind(team.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        sqlx::query(
            "UPDATE conversations SET assignee_id = NULL WHERE team_id = $1 AND assignee_id = $2",
        )
        .bind(team.as_str())
        .bind(member.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let rec = AuditRecord::new(now, Action::TeamMemberRemoved, client)
            .actor(&by.id)
            .object(format!("{team}/{member}"));
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn open_team_conversation(
        &self,
        team: &TeamId,
        patient: &Account,
        now: Timestamp,
        client: &str,
    ) -> Result<(ConversationId, bool), Error> {
        if patient.role != Role::Patient {
            return Err(Error::NotFound);
        }
        let key = format!("{team}:{}", patient.id);
        let mut tx = self.write().await?;
        lock_team(&mut tx, team).await?;
        let row = sqlx::query("SELECT name FROM teams WHERE id = $1")
            .bind(team.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(Error::NotFound)?;
        let name: String = row.try_get("name").map_err(internal)?;
        let id = ConversationId::new();
        let made = sqlx::query(
            "INSERT INTO conversations (id, kind, created_at, last_activity, last_seq, name, team_id, team_key)
             VALUES ($1, 'team', $2, $2, 0, $3, $4, $5) ON CONFLICT (team_key) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(now.millis())
        .bind(&name)
        .bind(team.as_str())
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if made == 0 {
            let existing: String = sqlx::query("SELECT id FROM conversations WHERE team_key = $1")
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?
                .try_get("id")
                .map_err(internal)?;
            return Ok((ConversationId::from_stored(existing), false));
        }
        join_conversation(&mut tx, id.as_str(), &patient.id, now).await?;
        let mut joined = vec![patient.id.clone()];
        for m in team_members(&mut tx, team).await? {
            join_conversation(&mut tx, id.as_str(), &m.id, now).await?;
            joined.push(m.id);
        }
        // The patient's trail shows everyone the conversation was opened to.
        for m in &joined {
            let rec = AuditRecord::new(now, Action::MemberAdded, client)
                .actor(&patient.id)
                .patient(&patient.id)
                .object(format!("{id}/{m}"));
            audit::append(&mut tx, &rec).await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok((id, true))
    }

    async fn set_team_hours(
        &self,
        team: &TeamId,
        by: &Account,
        hours: Option<Week>,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        admin_only(by)?;
        let stored = hours
            .map(|week| {
                OfficeHours {
                    week,
                    closed_days: Vec::new(),
                }
                .encode_week()
            })
            .unwrap_or_default();
        let mut tx = self.write().await?;
        let n = sqlx::query("UPDATE teams SET office_hours = $1 WHERE id = $2")
            .bind(stored)
            .bind(team.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        let rec = AuditRecord::new(now, Action::TeamHoursSet, client)
            .actor(&by.id)
            .object(team);
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn team_hours(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<Option<TeamHours>, Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, viewer).await?;
        let row = sqlx::query(
            "SELECT t.name, t.office_hours FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let week = decode_hours(&r.try_get::<String, _>("office_hours").map_err(internal)?);
        Ok(match week {
            Some(week) => Some(TeamHours {
                team_name: r.try_get("name").map_err(internal)?,
                week,
            }),
            None => None,
        })
    }

    async fn team_conversation(
        &self,
        id: &ConversationId,
        viewer: &Account,
    ) -> Result<Option<TeamConversation>, Error> {
        if !viewer.role.is_staff() {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        members_of(&mut conn, id, &viewer.id).await?;
        let row = sqlx::query(
            "SELECT c.team_id, c.assignee_id, t.name FROM conversations c JOIN teams t ON t.id = c.team_id
              WHERE c.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let team = TeamId::from_stored(row.try_get("team_id").map_err(internal)?);
        let members = team_members(&mut conn, &team).await?;
        let assignee: Option<String> = row.try_get("assignee_id").map_err(internal)?;
        Ok(Some(TeamConversation {
            assignee: assignee.and_then(|a| members.iter().find(|m| m.id.as_str() == a).cloned()),
            team,
            team_name: row.try_get("name").map_err(internal)?,
            members,
        }))
    }

    async fn assign(
        &self,
        id: &ConversationId,
        by: &Account,
        to: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        if !by.role.is_staff() {
            return Err(Error::NotFound);
        }
        let mut tx = self.write().await?;
        let current = members_of(&mut tx, id, &by.id).await?;
        // Only to a member of the conversation's team.
        let n = sqlx::query(
            "UPDATE conversations SET assignee_id = $1
              WHERE id = $2 AND team_id IS NOT NULL
                AND EXISTS (SELECT 1 FROM team_members t WHERE t.team_id = conversations.team_id AND t.user_id = $1)",
        )
        .bind(to.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        let mut rec = AuditRecord::new(now, Action::ConversationAssigned, client)
            .actor(&by.id)
            .object(format!("{id}/{to}"));
        if let Some(p) = patient_of(&current) {
            rec = rec.patient(p);
        }
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }
}

/// A team's stored hours: empty when it keeps the practice's.
fn decode_hours(stored: &str) -> Option<Week> {
    (!stored.is_empty()).then(|| OfficeHours::decode_week(stored))
}
