//! Where file content lives.

use async_trait::async_trait;

use crate::{StoreError, Timestamp};

/// Where file content lives: a local directory now, S3-compatible storage later. Blobs are
/// written once, in pieces, and become visible under their key only when committed.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A new blob under `key`, written in pieces. Dropped without `commit`, it leaves nothing.
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError>;
    /// Reads a committed blob.
    async fn open(&self, key: &str) -> Result<Box<dyn BlobReader>, StoreError>;
    /// Removes a blob; removing one that is not there is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Removes uncommitted pieces last written before `before` (a process that died
    /// mid-write); returns how many.
    async fn sweep(&self, before: Timestamp) -> Result<usize, StoreError>;
}

/// A blob being written.
#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;
    /// Makes the blob durable and visible under its key.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A blob being read.
#[async_trait]
pub trait BlobReader: Send {
    /// Reads up to `buf.len()` bytes; 0 at the end.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, StoreError>;
}
