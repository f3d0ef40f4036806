//! Files sent in conversations: the row (name and key sealed), the message that carries it,
//! and who may read it. The content itself is in the blob store (`blob.rs`).

use async_trait::async_trait;
use spreekuur_crypto::FileKey;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::conversation::{Posted, parse_client_id};
use spreekuur_domain::file::{Attachment, FileKind, FileListing, parse_file_name};
use spreekuur_domain::ports::{FileStart, FileStore, OpenedFile};
use spreekuur_domain::{ConversationId, Error, FileId, StoreError, Timestamp, UserId};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::conversation::{members_of, patient_of, seen_by, title_for};
use crate::message_writer::{InsertError, NewMessage, write_in};
use crate::{Db, audit, db_err, internal};

fn crypto(e: spreekuur_crypto::CryptoError) -> Error {
    Error::Internal(e.to_string())
}

#[async_trait]
impl FileStore for Db {
    async fn begin_file(
        &self,
        conversation: &ConversationId,
        uploader: &UserId,
        name: &str,
        client_id: Option<&str>,
        now: Timestamp,
    ) -> Result<FileStart, Error> {
        let name = parse_file_name(name)?;
        let client_id = match client_id {
            Some(c) => parse_client_id(c)?,
            None => None,
        };
        let mut tx = self.write().await?;
        members_of(&mut tx, conversation, uploader).await?;
        if let Some(cid) = &client_id
            && let Some(message) = self
                .by_client_id(&mut tx, conversation, uploader, cid)
                .await?
        {
            return Ok(FileStart::Retry(Box::new(Posted {
                message,
                created: false,
                recipients: Vec::new(),
            })));
        }
        let id = FileId::new();
        let key = FileKey::generate().map_err(crypto)?;
        let sealed_key = self.seal_bytes("files", "key", id.as_str(), key.as_bytes())?;
        let sealed_name = self.seal("files", "name", id.as_str(), &name)?;
        sqlx::query(
            "INSERT INTO files (id, conversation_id, uploader_id, name, file_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(conversation.as_str())
        .bind(uploader.as_str())
        .bind(sealed_name)
        .bind(sealed_key)
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(FileStart::New {
            id,
            key: Zeroizing::new(key.as_bytes().to_vec()),
        })
    }

    async fn commit_file(
        &self,
        file: &FileId,
        uploader: &Account,
        content_type: &str,
        kind: FileKind,
        size: u64,
        client_id: Option<&str>,
        now: Timestamp,
        client: &str,
    ) -> Result<Posted, Error> {
        let client_id = match client_id {
            Some(c) => parse_client_id(c)?,
            None => None,
        };
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT conversation_id, name FROM files
              WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL",
        )
        .bind(file.as_str())
        .bind(uploader.id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or(Error::NotFound)?;
        let conversation =
            ConversationId::from_stored(row.try_get("conversation_id").map_err(internal)?);
        let sealed_name: Vec<u8> = row.try_get("name").map_err(internal)?;
        let name = self.open("files", "name", file.as_str(), &sealed_name)?;
        let size_db = i64::try_from(size).map_err(|_| Error::TooLarge {
            max_bytes: i64::MAX as u64,
        })?;
        // Stored as every message is: a sender no longer a member (removed while uploading)
        // sends nothing, and a retry gets its first attempt's message.
        let message = NewMessage {
            conversation: conversation.clone(),
            sender: uploader.id.clone(),
            sender_name: uploader.display_name(),
            body: String::new(),
            client_id: client_id.clone(),
            file: Some(Attachment {
                id: file.clone(),
                name,
                size,
                content_type: content_type.to_string(),
                kind,
            }),
            now,
            record: Some(
                AuditRecord::new(now, Action::FileSent, client)
                    .actor(&uploader.id)
                    .object(file),
            ),
        };
        let posted = match write_in(self, &mut tx, std::slice::from_ref(&message)).await {
            Ok(mut answers) => answers
                .pop()
                .unwrap_or_else(|| Err(Error::Internal("no answer for the file".into())))?,
            // A retry that raced the first attempt (through another node): the first one's
            // message is the answer, and this upload is not needed.
            Err(InsertError::Duplicate) => {
                drop(tx);
                let mut conn = self.pool.acquire().await.map_err(internal)?;
                let cid = client_id.as_deref().unwrap_or_default();
                return match self
                    .by_client_id(&mut conn, &conversation, &uploader.id, cid)
                    .await?
                {
                    Some(message) => Ok(Posted {
                        message,
                        created: false,
                        recipients: Vec::new(),
                    }),
                    None => Err(Error::Internal("duplicate client id vanished".into())),
                };
            }
            Err(e @ (InsertError::Conflict(_) | InsertError::Store(_))) => {
                return Err(StoreError::from(e).into());
            }
        };
        // A retry whose first attempt is stored already stores nothing: its upload stays
        // pending and goes with the stale ones.
        if posted.created {
            sqlx::query(
                "UPDATE files SET message_id = $1, content_type = $2, kind = $3, size = $4 WHERE id = $5",
            )
            .bind(posted.message.id.as_str())
            .bind(content_type)
            .bind(kind.as_str())
            .bind(size_db)
            .bind(file.as_str())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
        }
        Ok(posted)
    }

    async fn abandon_file(&self, file: &FileId) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("DELETE FROM files WHERE id = $1 AND message_id IS NULL")
                .bind(file.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected()
                == 1,
        )
    }

    async fn open_file(
        &self,
        file: &FileId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<OpenedFile, Error> {
        let mut tx = self.write().await?;
        // A file said while the reader was out of the conversation is not theirs to read.
        let sql = format!(
            "SELECT f.id AS file_id, f.conversation_id, f.name AS file_name, f.size AS file_size,
                    f.content_type AS file_type, f.kind AS file_kind, f.file_key
               FROM files f JOIN messages m ON m.id = f.message_id
              WHERE f.id = $1{}",
            seen_by(2)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(file.as_str())
            .bind(reader.id.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(Error::NotFound)?;
        let conversation =
            ConversationId::from_stored(row.try_get("conversation_id").map_err(internal)?);
        let members = members_of(&mut tx, &conversation, &reader.id).await?;
        let attachment = self
            .attachment_from_row(&row)?
            .ok_or_else(|| Error::Internal("file row without id".into()))?;
        let sealed_key: Vec<u8> = row.try_get("file_key").map_err(internal)?;
        let key = Zeroizing::new(self.open_bytes("files", "key", file.as_str(), &sealed_key)?);
        let mut rec = AuditRecord::new(now, Action::FileRead, client)
            .actor(&reader.id)
            .object(file);
        if let Some(p) = patient_of(&members) {
            rec = rec.patient(p);
        }
        audit::append(&mut tx, &rec).await?;
        tx.commit().await.map_err(internal)?;
        Ok(OpenedFile {
            file: attachment,
            conversation,
            key,
        })
    }

    async fn files_for(
        &self,
        user: &UserId,
        conversation: Option<&ConversationId>,
        kind: Option<FileKind>,
        limit: i64,
        client: &str,
        now: Timestamp,
    ) -> Result<Vec<FileListing>, Error> {
        // A conversation asked for by id must be the user's own: "not found" otherwise.
        if let Some(c) = conversation {
            let mut conn = self.pool.acquire().await.map_err(internal)?;
            members_of(&mut conn, c, user).await?;
        }
        let sql = format!(
            "SELECT f.id AS file_id, f.name AS file_name, f.size AS file_size,
                    f.content_type AS file_type, f.kind AS file_kind, f.conversation_id,
                    m.created_at, f.uploader_id, u.first_name, u.last_name
               FROM conversation_members mine
               JOIN files f ON f.conversation_id = mine.conversation_id AND f.message_id IS NOT NULL
               JOIN messages m ON m.id = f.message_id
               JOIN users u ON u.id = f.uploader_id
              WHERE mine.user_id = $1 AND mine.left_at IS NULL
                AND ($2 = '' OR f.conversation_id = $2)
                AND ($3 = '' OR f.kind = $3){}
              ORDER BY m.created_at DESC, f.id DESC
              LIMIT $4",
            seen_by(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.as_str())
            .bind(
                conversation
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
            )
            .bind(kind.map(FileKind::as_str).unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        // Conversation titles as this user sees them (the other members' names), and the
        // patients whose file names a staff member's listing shows (put on record below).
        let mut titles: Vec<(ConversationId, String)> = Vec::new();
        let mut patients: Vec<UserId> = Vec::new();
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let conv = ConversationId::from_stored(r.try_get("conversation_id").map_err(internal)?);
            let title = match titles.iter().find(|(c, _)| *c == conv) {
                Some((_, t)) => t.clone(),
                None => {
                    let members = members_of(&mut conn, &conv, user).await?;
                    let viewer_is_staff = members
                        .iter()
                        .any(|(m, role, _)| m == user && role.is_staff());
                    if viewer_is_staff
                        && let Some(p) = patient_of(&members)
                        && !patients.contains(p)
                    {
                        patients.push(p.clone());
                    }
                    let name: Option<String> =
                        sqlx::query("SELECT name FROM conversations WHERE id = $1")
                            .bind(conv.as_str())
                            .fetch_one(&mut *conn)
                            .await
                            .map_err(internal)?
                            .try_get("name")
                            .map_err(internal)?;
                    let t = name.unwrap_or_else(|| title_for(user, &members));
                    titles.push((conv.clone(), t.clone()));
                    t
                }
            };
            out.push(FileListing {
                file: self
                    .attachment_from_row(r)?
                    .ok_or_else(|| Error::Internal("file row without id".into()))?,
                conversation: conv,
                conversation_title: title,
                sender: UserId::from_stored(r.try_get("uploader_id").map_err(internal)?),
                sender_name: format!(
                    "{} {}",
                    r.try_get::<String, _>("first_name").map_err(internal)?,
                    r.try_get::<String, _>("last_name").map_err(internal)?
                ),
                sent_at: Timestamp(r.try_get("created_at").map_err(internal)?),
            });
        }
        drop(conn);
        // File names say much about a patient: a staff member's listing is on record, once
        // per patient whose files it showed.
        if !patients.is_empty() {
            let mut tx = self.write().await?;
            for p in &patients {
                let rec = AuditRecord::new(now, Action::FilesListed, client)
                    .actor(user)
                    .patient(p);
                audit::append(&mut tx, &rec).await?;
            }
            tx.commit().await.map_err(internal)?;
        }
        Ok(out)
    }

    async fn stale_files(&self, before: Timestamp) -> Result<Vec<FileId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM files WHERE message_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT 1000",
        )
        .bind(before.millis())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(FileId::from_stored(r.try_get("id").map_err(db_err)?)))
            .collect()
    }
}
