//! Removes what dead uploads left behind: pending file rows older than a day with their blobs,
//! and temporary pieces older than a day. Safe on every node at once; runs at start and hourly.

use crate::Timestamp;
use crate::ports::{BlobStore, FileStore};

/// How long an upload may stay unfinished before it counts as dead.
pub const GRACE_MS: i64 = 24 * 3600 * 1000;

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Temporary pieces of uploads that never finished.
    pub pieces: usize,
    /// Pending file rows (and their blobs) of uploads that never finished.
    pub files: usize,
}

/// Sweeps once. Failures are logged and left for the next sweep.
pub async fn sweep(files: &dyn FileStore, blobs: &dyn BlobStore, now: Timestamp) -> Swept {
    let before = Timestamp(now.millis() - GRACE_MS);
    let mut swept = Swept::default();
    match blobs.sweep(before).await {
        Ok(n) => swept.pieces = n,
        Err(e) => tracing::warn!(error = %e, "blob sweep failed"),
    }
    let stale = match files.stale_files(before).await {
        Ok(stale) => stale,
        Err(e) => {
            tracing::warn!(error = %e, "stale file sweep failed");
            return swept;
        }
    };
    for id in stale {
        match files.abandon_file(&id).await {
            Ok(true) => {
                swept.files += 1;
                if let Err(e) = blobs.delete(id.as_str()).await {
                    tracing::warn!(error = %e, "blob of a failed upload not removed");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "pending file not removed; the sweep will retry"),
        }
    }
    if swept != Swept::default() {
        tracing::info!(
            pieces = swept.pieces,
            files = swept.files,
            "removed what uploads that never finished left behind"
        );
    }
    swept
}
