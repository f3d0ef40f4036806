//! Who is in a conversation: opening a 1:1 conversation, joining (and coming back), the
//! current members (checked, or locked for a write), and the patient among them.

use spreekuur_domain::account::Role;
use spreekuur_domain::{ConversationId, Error, StoreError, Timestamp, UserId};
use sqlx::{AnyConnection, Row};

use crate::{db_err, internal};

/// Opens a 1:1 conversation between `a` and `b`, or returns the one they already share; true
/// when this call made it. Two calls at once for one pair make one conversation: the pair's key
/// is unique, and the second insert waits for the first and then finds it.
pub(crate) async fn direct_conversation(
    conn: &mut AnyConnection,
    a: &UserId,
    b: &UserId,
    now: Timestamp,
) -> Result<(ConversationId, bool), StoreError> {
    let existing = sqlx::query(
        "SELECT c.id FROM conversations c
           JOIN conversation_members ma ON ma.conversation_id = c.id AND ma.user_id = $1 AND ma.left_at IS NULL
           JOIN conversation_members mb ON mb.conversation_id = c.id AND mb.user_id = $2 AND mb.left_at IS NULL
          WHERE c.kind = 'direct' LIMIT 1",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some(row) = existing {
        return Ok((
            ConversationId::from_stored(row.try_get("id").map_err(db_err)?),
            false,
        ));
    }
    let key = if a.as_str() < b.as_str() {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    };
    let id = ConversationId::new();
    let inserted = sqlx::query(
        "INSERT INTO conversations (id, kind, created_at, last_activity, last_seq, direct_key)
         VALUES ($1, 'direct', $2, $2, 0, $3) ON CONFLICT (direct_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(now.millis())
    .bind(key.clone())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query("SELECT id FROM conversations WHERE direct_key = $1")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        return Ok((
            ConversationId::from_stored(row.try_get("id").map_err(db_err)?),
            false,
        ));
    }
    for member in [a, b] {
        sqlx::query("INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(member.as_str())
            .bind(now.millis())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok((id, true))
}

/// A person from a row with `id`, `role`, `first_name` and `last_name`.
pub(crate) fn person_from_row(
    r: &sqlx::any::AnyRow,
) -> Result<spreekuur_domain::group::Person, StoreError> {
    let role: String = r.try_get("role").map_err(db_err)?;
    Ok(spreekuur_domain::group::Person {
        id: UserId::from_stored(r.try_get("id").map_err(db_err)?),
        name: format!(
            "{} {}",
            r.try_get::<String, _>("first_name").map_err(db_err)?,
            r.try_get::<String, _>("last_name").map_err(db_err)?
        ),
        role: Role::parse(&role).unwrap_or(Role::Patient),
    })
}

/// Puts `user` in conversation `id`: back in after a removal, or new. Back in, what was said
/// while they were out stays hidden from them (and is not unread).
pub(crate) async fn join_conversation(
    conn: &mut AnyConnection,
    id: &str,
    user: &UserId,
    now: Timestamp,
) -> Result<(), Error> {
    let out = sqlx::query(
        "SELECT m.left_seq, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.left_at IS NOT NULL",
    )
    .bind(id)
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    if let Some(row) = out {
        let left: Option<i64> = row.try_get("left_seq").map_err(internal)?;
        let last: i64 = row.try_get("last_seq").map_err(internal)?;
        if let Some(left) = left.filter(|l| *l < last) {
            sqlx::query(
                "INSERT INTO member_gaps (conversation_id, user_id, from_seq, to_seq) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(user.as_str())
            .bind(left + 1)
            .bind(last)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        }
        sqlx::query(
            "UPDATE conversation_members SET last_read_seq = $1 WHERE conversation_id = $2 AND user_id = $3",
        )
        .bind(last)
        .bind(id)
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    let back = sqlx::query(
        "UPDATE conversation_members SET left_at = NULL, left_seq = NULL, joined_at = $1
          WHERE conversation_id = $2 AND user_id = $3",
    )
    .bind(now.millis())
    .bind(id)
    .bind(user.as_str())
    .execute(&mut *conn)
    .await
    .map_err(internal)?
    .rows_affected();
    if back == 0 {
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(user.as_str())
        .bind(now.millis())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// The members of a conversation who are still in it: (id, role, display name).
pub(crate) async fn members(
    conn: &mut AnyConnection,
    id: &ConversationId,
) -> Result<Vec<(UserId, Role, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.role, u.first_name, u.last_name FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id = $1 AND m.left_at IS NULL ORDER BY u.last_name",
    )
    .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role").map_err(db_err)?;
            Ok((
                UserId::from_stored(r.try_get("id").map_err(db_err)?),
                Role::parse(&role).unwrap_or(Role::Patient),
                format!(
                    "{} {}",
                    r.try_get::<String, _>("first_name").map_err(db_err)?,
                    r.try_get::<String, _>("last_name").map_err(db_err)?
                ),
            ))
        })
        .collect()
}

/// The patient in a conversation, for the audit record of a staff member's access.
pub(crate) fn patient_of(members: &[(UserId, Role, String)]) -> Option<&UserId> {
    members
        .iter()
        .find(|(_, r, _)| *r == Role::Patient)
        .map(|(id, _, _)| id)
}

/// Checks membership inside a transaction: the current members, or `NotFound`.
pub(crate) async fn members_of(
    conn: &mut AnyConnection,
    id: &ConversationId,
    user: &UserId,
) -> Result<Vec<(UserId, Role, String)>, Error> {
    let members = members(conn, id).await?;
    if members.iter().any(|(m, _, _)| m == user) {
        Ok(members)
    } else {
        Err(Error::NotFound)
    }
}
