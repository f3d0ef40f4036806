//! The local-directory blob store: `<root>/<first two characters>/<key>` for committed blobs,
//! `<root>/tmp/` for blobs being written. A blob is written to a temporary file, flushed to disk
//! and renamed into place on commit, so a reader never sees half a blob; a writer dropped without
//! commit (a cut-off upload) removes its temporary file, and `sweep` removes what a dead process
//! left behind. Several nodes may share the directory (a network file system).

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use spreekuur_domain::ports::{BlobReader, BlobStore, BlobWriter};
use spreekuur_domain::{StoreError, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Blobs in a local directory.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError(format!("blob {what}: {e}"))
}

/// Keys are ids: letters, digits and `-`, so a key can never name a path outside the store.
fn check_key(key: &str) -> Result<(), StoreError> {
    if key.len() >= 3
        && key.len() <= 100
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(())
    } else {
        Err(StoreError("blob key must be an id".into()))
    }
}

impl LocalBlobs {
    /// The store in `root` (created if missing, with its temporary directory).
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("tmp"))
            .await
            .map_err(|e| io("directory", e))?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(&key[..2]).join(key)
    }
}

/// Flushes a directory's entries (a rename) to disk.
async fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir).and_then(|d| d.sync_all()))
        .await
        .map_err(|e| StoreError(format!("blob sync: {e}")))?
        .map_err(|e| io("sync", e))
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn create(&self, key: &str) -> Result<Box<dyn BlobWriter>, StoreError> {
        check_key(key)?;
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{key}.{}", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(|e| io("create", e))?;
        Ok(Box::new(LocalWriter {
            file: Some(tokio::io::BufWriter::with_capacity(256 * 1024, file)),
            tmp,
            dest: self.path(key),
            committed: false,
        }))
    }

    async fn open(&self, key: &str) -> Result<Box<dyn BlobReader>, StoreError> {
        check_key(key)?;
        let file = tokio::fs::File::open(self.path(key))
            .await
            .map_err(|e| io("open", e))?;
        Ok(Box::new(LocalReader { file }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", e)),
        }
    }

    async fn sweep(&self, before: Timestamp) -> Result<usize, StoreError> {
        let cutoff =
            UNIX_EPOCH + Duration::from_millis(u64::try_from(before.millis()).unwrap_or(0));
        let mut dir = tokio::fs::read_dir(self.root.join("tmp"))
            .await
            .map_err(|e| io("sweep", e))?;
        let mut removed = 0;
        while let Some(entry) = dir.next_entry().await.map_err(|e| io("sweep", e))? {
            let old = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

struct LocalWriter {
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

#[async_trait]
impl BlobWriter for LocalWriter {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| StoreError("blob already closed".into()))?;
        file.write_all(data).await.map_err(|e| io("write", e))
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| StoreError("blob already closed".into()))?;
        file.flush().await.map_err(|e| io("flush", e))?;
        let file = file.into_inner();
        file.sync_all().await.map_err(|e| io("sync", e))?;
        drop(file);
        let dir = self
            .dest
            .parent()
            .ok_or_else(|| StoreError("blob path without a directory".into()))?
            .to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io("directory", e))?;
        tokio::fs::rename(&self.tmp, &self.dest)
            .await
            .map_err(|e| io("rename", e))?;
        self.committed = true;
        sync_dir(&dir).await
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.committed {
            // A cut-off or refused upload leaves nothing behind.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

struct LocalReader {
    file: tokio::fs::File,
}

#[async_trait]
impl BlobReader for LocalReader {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, StoreError> {
        self.file.read(buf).await.map_err(|e| io("read", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        std::env::temp_dir().join(format!("spreekuur-blobs-{}", uuid::Uuid::new_v4()))
    }

    async fn read_all(blobs: &LocalBlobs, key: &str) -> Result<Vec<u8>, StoreError> {
        let mut r = blobs.open(key).await?;
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = r.read(&mut buf).await?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[tokio::test]
    async fn a_blob_is_visible_only_after_commit_and_a_dropped_writer_leaves_nothing() {
        let root = dir();
        let blobs = LocalBlobs::open(&root).await.unwrap();
        let mut w = blobs.create("0193-abc").await.unwrap();
        w.write(b"hallo ").await.unwrap();
        w.write(b"wereld").await.unwrap();
        assert!(
            read_all(&blobs, "0193-abc").await.is_err(),
            "not before commit"
        );
        w.commit().await.unwrap();
        assert_eq!(read_all(&blobs, "0193-abc").await.unwrap(), b"hallo wereld");

        let mut cut = blobs.create("0193-def").await.unwrap();
        cut.write(b"half").await.unwrap();
        drop(cut);
        assert!(read_all(&blobs, "0193-def").await.is_err());
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);

        blobs.delete("0193-abc").await.unwrap();
        blobs.delete("0193-abc").await.unwrap();
        assert!(read_all(&blobs, "0193-abc").await.is_err());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_store() {
        let root = dir();
        let blobs = LocalBlobs::open(&root).await.unwrap();
        for bad in ["../etc/passwd", "a/b", "", "x", "..", "a.b"] {
            assert!(blobs.create(bad).await.is_err(), "{bad}");
            assert!(blobs.open(bad).await.is_err(), "{bad}");
            assert!(blobs.delete(bad).await.is_err(), "{bad}");
        }
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn sweep_removes_only_old_pieces() {
        let root = dir();
        let blobs = LocalBlobs::open(&root).await.unwrap();
        let piece = root.join("tmp").join("left-behind.1");
        std::fs::write(&piece, b"x").unwrap();
        let written = std::fs::metadata(&piece)
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        assert_eq!(
            blobs.sweep(Timestamp(written - 1)).await.unwrap(),
            0,
            "younger pieces stay"
        );
        assert_eq!(blobs.sweep(Timestamp(written + 1)).await.unwrap(), 1);
        std::fs::remove_dir_all(root).unwrap();
    }
}
