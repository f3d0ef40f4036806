//! Files sent in conversations (their metadata and keys; the content is in the blob store).

use async_trait::async_trait;

use crate::account::Account;
use crate::conversation::Posted;
use crate::file::{Attachment, FileKind, FileListing};
use crate::{ConversationId, Error, FileId, StoreError, Timestamp, UserId};

/// How an upload starts.
pub enum FileStart {
    /// A new file: its id and its own key (raw, to encrypt the content with; the store keeps
    /// it only sealed by the key ring).
    New {
        id: FileId,
        key: zeroize::Zeroizing<Vec<u8>>,
    },
    /// The uploader already sent a file with this client id: that message (a retry).
    Retry(Box<Posted>),
}

impl std::fmt::Debug for FileStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileStart::New { id, .. } => write!(f, "New({id:?})"),
            FileStart::Retry(p) => write!(f, "Retry({:?})", p.message.id),
        }
    }
}

/// A file a member may read: what it is, where it was sent, and its key.
pub struct OpenedFile {
    pub file: Attachment,
    pub conversation: ConversationId,
    pub key: zeroize::Zeroizing<Vec<u8>>,
}

/// Files sent in conversations: metadata and keys in the database, content in the blob store.
/// A file is pending (seen by nobody) from its start until the message that carries it is
/// committed; pending files left behind by a failed or cut-off upload are removed.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Starts an upload by a member of the conversation (`NotFound` for anyone else).
    async fn begin_file(
        &self,
        conversation: &ConversationId,
        uploader: &UserId,
        name: &str,
        client_id: Option<&str>,
        now: Timestamp,
    ) -> Result<FileStart, Error>;
    /// The content is in the blob store: posts the message that carries the file, in one
    /// transaction with its audit record.
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
    ) -> Result<Posted, Error>;
    /// Forgets a pending file (an upload that failed or was cancelled); false when there was
    /// no pending file (it was committed meanwhile, or is gone already).
    async fn abandon_file(&self, file: &FileId) -> Result<bool, StoreError>;
    /// A file for a member of its conversation, on record in the audit trail (every download
    /// and preview); `NotFound` for anyone else and for pending files.
    async fn open_file(
        &self,
        file: &FileId,
        reader: &Account,
        client: &str,
        now: Timestamp,
    ) -> Result<OpenedFile, Error>;
    /// The files in the user's conversations, newest first, optionally of one conversation
    /// (`NotFound` when not theirs) and one kind. A staff member's listing is audited, once per
    /// patient whose files it shows.
    async fn files_for(
        &self,
        user: &UserId,
        conversation: Option<&ConversationId>,
        kind: Option<FileKind>,
        limit: i64,
        client: &str,
        now: Timestamp,
    ) -> Result<Vec<FileListing>, Error>;
    /// Pending files started before `before` (their upload died with its process).
    async fn stale_files(&self, before: Timestamp) -> Result<Vec<FileId>, StoreError>;
}
