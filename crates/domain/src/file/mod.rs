//! Files in conversations ("Bestanden"): the name as people see it, what the content really is
//! (sniffed from its first bytes, never taken from the sender's claim), and how it is served:
//! images and PDF may open in the browser, everything else is downloaded, and HTML or SVG is
//! never served as what it is.

mod name;
mod sniff;
mod sweep;

pub use name::{FILE_NAME_MAX_CHARS, content_disposition, parse_file_name};
pub use sniff::{FileKind, SNIFF_BYTES, Sniffed, check_claim, is_inline, served_type, sniff};
pub use sweep::{GRACE_MS, Swept, sweep};

use crate::{ConversationId, FileId, Timestamp};

/// The largest file accepted when the configuration says nothing (100 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// A file attached to a message, as a member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: FileId,
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The sniffed media type.
    pub content_type: String,
    pub kind: FileKind,
}

impl Attachment {
    /// An image the page may preview.
    pub fn previewable(&self) -> bool {
        self.kind == FileKind::Image && is_inline(&self.content_type)
    }
}

/// One line on the Bestanden page.
#[derive(Debug, Clone)]
pub struct FileListing {
    pub file: Attachment,
    pub conversation: ConversationId,
    pub conversation_title: String,
    pub sender: crate::UserId,
    pub sender_name: String,
    pub sent_at: Timestamp,
}
