//! Contacts and group conversations. Who may reach whom follows `domain::group::may_reach`:
//! colleagues always, patients only when already connected (a shared conversation), and never
//! a patient to a patient. Every membership change is one transaction with its audit record.

use async_trait::async_trait;
use spreekuur_domain::account::{Account, Role};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::ConversationSummary;
use spreekuur_domain::error::Reason;
use spreekuur_domain::group::{Person, check_one_patient, may_reach, parse_group_name};
use spreekuur_domain::ports::{ConversationStore, GroupStore};
use spreekuur_domain::{ConversationId, Error, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::conversation::{join_conversation, members, patient_of, person_from_row};
use crate::{Db, audit, db_err, internal};

/// Everyone `user` may reach, by last name.
async fn contacts(conn: &mut AnyConnection, user: &Account) -> Result<Vec<Person>, StoreError> {
    // People who share a current conversation with the user. A patient who wrote to a team
    // reaches the team, not each of its members: team conversations connect staff to the
    // patient only.
    let connected = sqlx::query(
        "SELECT DISTINCT u.id, u.role, u.first_name, u.last_name
           FROM conversation_members me
           JOIN conversations c ON c.id = me.conversation_id
           JOIN conversation_members other ON other.conversation_id = me.conversation_id
                AND other.left_at IS NULL AND other.user_id <> me.user_id
           JOIN users u ON u.id = other.user_id AND u.active = 1
          WHERE me.user_id = $1 AND me.left_at IS NULL AND ($2 = 1 OR c.kind <> 'team')",
    )
    .bind(user.id.as_str())
    .bind(i64::from(user.role.is_staff()))
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut out: Vec<Person> = connected
        .iter()
        .map(person_from_row)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| may_reach(user.role, p.role, true))
        .collect();
    if user.role.is_staff() {
        let colleagues = sqlx::query(
            "SELECT id, role, first_name, last_name FROM users
              WHERE role <> 'patient' AND active = 1 AND id <> $1",
        )
        .bind(user.id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for r in &colleagues {
            let p = person_from_row(r)?;
            if !out.iter().any(|o| o.id == p.id) {
                out.push(p);
            }
        }
    }
    out.sort_by(|a, b| {
        let last = |p: &Person| p.name.rsplit(' ').next().unwrap_or_default().to_lowercase();
        (last(a), a.name.to_lowercase()).cmp(&(last(b), b.name.to_lowercase()))
    });
    Ok(out)
}

/// The group `id` as its staff member `by` manages it: its current members, or `NotFound`
/// (not a group, or `by` is not a staff member in it).
async fn managed_group(
    conn: &mut AnyConnection,
    id: &ConversationId,
    by: &Account,
) -> Result<Vec<(UserId, Role, String)>, Error> {
    if !by.role.is_staff() {
        return Err(Error::NotFound);
    }
    let kind: Option<String> = sqlx::query("SELECT kind FROM conversations WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?
        .map(|r| r.try_get("kind"))
        .transpose()
        .map_err(internal)?;
    if kind.as_deref() != Some("group") {
        return Err(Error::NotFound);
    }
    let current = members(conn, id).await?;
    if current.iter().any(|(m, _, _)| *m == by.id) {
        Ok(current)
    } else {
        Err(Error::NotFound)
    }
}

fn membership_record(
    action: Action,
    now: Timestamp,
    client: &str,
    by: &Account,
    id: &ConversationId,
    member: &UserId,
    patient: Option<&UserId>,
) -> AuditRecord {
    let mut rec = AuditRecord::new(now, action, client)
        .actor(&by.id)
        .object(format!("{id}/{member}"));
    if let Some(p) = patient {
        rec = rec.patient(p);
    }
    rec
}

#[async_trait]
impl GroupStore for Db {
    async fn contacts_for(&self, user: &Account) -> Result<Vec<Person>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        contacts(&mut conn, user).await
    }

    async fn create_group(
        &self,
        creator: &Account,
        name: &str,
        invited: &[UserId],
        now: Timestamp,
        client: &str,
    ) -> Result<ConversationId, Error> {
        if !creator.role.is_staff() {
            return Err(Error::NotFound);
        }
        let name = parse_group_name(name)?;
        let mut tx = self.write().await?;
        let reachable = contacts(&mut tx, creator).await?;
        let mut chosen: Vec<&Person> = Vec::new();
        for id in invited {
            // Someone not reachable is "not found": ids reveal nothing.
            let p = reachable
                .iter()
                .find(|p| p.id == *id)
                .ok_or(Error::NotFound)?;
            if !chosen.iter().any(|c| c.id == p.id) {
                chosen.push(p);
            }
        }
        if chosen.is_empty() {
            return Err(Error::invalid("members", Reason::GroupMembersRequired));
        }
        check_one_patient(&chosen.iter().map(|p| p.role).collect::<Vec<_>>())?;
        let id = ConversationId::new();
        sqlx::query(
            "INSERT INTO conversations (id, kind, created_at, last_activity, last_seq, name)
             VALUES ($1, 'group', $2, $2, 0, $3)",
        )
        .bind(id.as_str())
        .bind(now.millis())
        .bind(&name)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let patient = chosen
            .iter()
            .find(|p| p.role == Role::Patient)
            .map(|p| p.id.clone());
        for member in std::iter::once(&creator.id).chain(chosen.iter().map(|p| &p.id)) {
            join_conversation(&mut tx, id.as_str(), member, now).await?;
            let rec = membership_record(
                Action::MemberAdded,
                now,
                client,
                creator,
                &id,
                member,
                patient.as_ref(),
            );
            audit::append(&mut tx, &rec).await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn group_members(
        &self,
        id: &ConversationId,
        viewer: &UserId,
    ) -> Result<(String, Vec<Person>), Error> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let row = sqlx::query("SELECT name FROM conversations WHERE id = $1 AND kind = 'group'")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?
            .ok_or(Error::NotFound)?;
        let current = members(&mut conn, id).await?;
        if !current.iter().any(|(m, _, _)| m == viewer) {
            return Err(Error::NotFound);
        }
        let name: Option<String> = row.try_get("name").map_err(internal)?;
        Ok((
            name.unwrap_or_default(),
            current
                .into_iter()
                .map(|(id, role, name)| Person { id, name, role })
                .collect(),
        ))
    }

    async fn add_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<bool, Error> {
        let mut tx = self.write().await?;
        // Two additions at once must not both pass the one-patient check: the conversation's
        // row is locked first (PostgreSQL; SQLite's writer is alone anyway).
        sqlx::query("UPDATE conversations SET last_activity = last_activity WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let current = managed_group(&mut tx, id, by).await?;
        if current.iter().any(|(m, _, _)| m == member) {
            return Ok(false);
        }
        let reachable = contacts(&mut tx, by).await?;
        let person = reachable
            .iter()
            .find(|p| p.id == *member)
            .ok_or(Error::NotFound)?;
        let mut roles: Vec<Role> = current.iter().map(|(_, r, _)| *r).collect();
        roles.push(person.role);
        check_one_patient(&roles)?;
        join_conversation(&mut tx, id.as_str(), member, now).await?;
        let patient = if person.role == Role::Patient {
            Some(person.id.clone())
        } else {
            patient_of(&current).cloned()
        };
        let rec = membership_record(
            Action::MemberAdded,
            now,
            client,
            by,
            id,
            member,
            patient.as_ref(),
        );
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(true)
    }

    async fn remove_member(
        &self,
        id: &ConversationId,
        by: &Account,
        member: &UserId,
        now: Timestamp,
        client: &str,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        let current = managed_group(&mut tx, id, by).await?;
        if !current.iter().any(|(m, _, _)| m == member) || *member == by.id {
            return Err(Error::NotFound);
        }
        // From here on the removed member reads nothing of this conversation; `left_seq` keeps
        // where they stopped.
        sqlx::query(
            "UPDATE conversation_members
                SET left_at = $1, left_seq = (SELECT last_seq FROM conversations WHERE id = $2)
              WHERE conversation_id = $2 AND user_id = $3",
        )
        .bind(now.millis())
        .bind(id.as_str())
        .bind(member.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let rec = membership_record(
            Action::MemberRemoved,
            now,
            client,
            by,
            id,
            member,
            patient_of(&current),
        );
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)
    }

    async fn groups_for(&self, user: &UserId) -> Result<Vec<ConversationSummary>, StoreError> {
        let ids: Vec<String> = sqlx::query(
            "SELECT c.id FROM conversations c
               JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $1 AND m.left_at IS NULL
              WHERE c.kind = 'group'",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
        Ok(self
            .conversations_for(user)
            .await?
            .into_iter()
            .filter(|c| ids.iter().any(|i| i == c.id.as_str()))
            .collect())
    }
}
