//! A user's conversations, newest first, with their titles as that user sees them.

use spreekuur_domain::account::Role;
use spreekuur_domain::conversation::ConversationSummary;
use spreekuur_domain::{ConversationId, StoreError, Timestamp, UserId};
use sqlx::Row;

use crate::{Db, db_err};

/// A conversation being listed: its summary, whether it is a team's, and the other members
/// (name, role).
type Listed = (ConversationSummary, bool, Vec<(String, String)>);

impl Db {
    /// The conversations `user` is in, most recently active first, each with its unread count.
    pub(super) async fn list_conversations(
        &self,
        user: &UserId,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.kind, c.last_activity, c.last_seq, mine.last_read_seq,
                    u.id AS member_id, u.role, u.first_name, u.last_name
               FROM conversation_members mine
               JOIN conversations c ON c.id = mine.conversation_id
               JOIN conversation_members other ON other.conversation_id = c.id AND other.left_at IS NULL
               JOIN users u ON u.id = other.user_id
              WHERE mine.user_id = $1 AND mine.left_at IS NULL
              ORDER BY c.last_activity DESC, c.id, u.last_name, u.first_name",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut list: Vec<Listed> = Vec::new();
        let mut viewer_is_staff = false;
        for r in &rows {
            let id = ConversationId::from_stored(r.try_get("id").map_err(db_err)?);
            if list.last().is_none_or(|(c, _, _)| c.id != id) {
                let kind: String = r.try_get("kind").map_err(db_err)?;
                let last_seq: i64 = r.try_get("last_seq").map_err(db_err)?;
                let read: i64 = r.try_get("last_read_seq").map_err(db_err)?;
                list.push((
                    ConversationSummary {
                        id,
                        title: r
                            .try_get::<Option<String>, _>("name")
                            .map_err(db_err)?
                            .unwrap_or_default(),
                        last_activity: Timestamp(r.try_get("last_activity").map_err(db_err)?),
                        last_seq,
                        unread: (last_seq - read).max(0),
                    },
                    kind == "team",
                    Vec::new(),
                ));
            }
            let member: String = r.try_get("member_id").map_err(db_err)?;
            let role: String = r.try_get("role").map_err(db_err)?;
            if member == user.as_str() {
                viewer_is_staff = role != "patient";
            } else if let Some((_, _, names)) = list.last_mut() {
                names.push((
                    format!(
                        "{} {}",
                        r.try_get::<String, _>("first_name").map_err(db_err)?,
                        r.try_get::<String, _>("last_name").map_err(db_err)?
                    ),
                    role,
                ));
            }
        }
        Ok(list
            .into_iter()
            .map(|(mut c, team, names)| {
                if team && viewer_is_staff {
                    // Staff see which patient wrote to the team.
                    let patients: Vec<&str> = names
                        .iter()
                        .filter(|(_, r)| r == "patient")
                        .map(|(n, _)| n.as_str())
                        .collect();
                    c.title = team_title(&c.title, &patients);
                } else if c.title.is_empty() {
                    c.title = names
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                }
                c
            })
            .collect())
    }
}

/// A team conversation as staff see it: "Planbureau – Piet Post".
pub(super) fn team_title(team: &str, patients: &[&str]) -> String {
    if patients.is_empty() {
        team.to_string()
    } else {
        format!("{team} – {}", patients.join(", "))
    }
}

pub(crate) fn title_for(viewer: &UserId, members: &[(UserId, Role, String)]) -> String {
    members
        .iter()
        .filter(|(id, _, _)| id != viewer)
        .map(|(_, _, n)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
