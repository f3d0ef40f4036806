//! Files at rest: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over
//! AES-256-GCM, as `aead-stream` implements it (32-bit big-endian counter and a last-chunk flag
//! in the nonce).
//!
//! Each file has its own random key (a [`FileKey`]), sealed by the key ring under the file's
//! row, so a file is encrypted and decrypted in 64 KiB chunks as it streams, and is never held
//! whole in memory. Reordered, dropped, repeated or appended chunks fail to open, and so does a
//! file cut off at a chunk boundary (its last chunk was not sealed as the last one).
//!
//! Blob format (version 1): `0x01 | nonce prefix (7 bytes)`, then chunks of 64 KiB plaintext
//! plus a 16-byte tag; the last chunk holds 0–64 KiB. The associated data of every chunk binds
//! it to the file's id: a blob copied under another file fails to open.

use std::fmt;

use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use zeroize::Zeroizing;

use crate::{CryptoError, random_bytes};

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// Authentication tag per chunk.
pub const TAG: usize = 16;
/// Version byte and nonce prefix at the start of a blob.
pub const HEADER: usize = 1 + 7;
/// Ciphertext bytes per full chunk.
pub const SEALED_CHUNK: usize = CHUNK + TAG;

const VERSION: u8 = 1;

/// The key of one file. Random, used for nothing else.
pub struct FileKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(..)")
    }
}

impl FileKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::Malformed("file key must be 32 bytes"))?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The raw key, to be sealed by the key ring (never stored as it is).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    fn cipher(&self) -> Aes256Gcm {
        let key: Key<Aes256Gcm> = (*self.0).into();
        Aes256Gcm::new(&key)
    }
}

fn associated_data(file_id: &str) -> Vec<u8> {
    let mut ad = b"spreekuur-file".to_vec();
    ad.push(VERSION);
    ad.extend_from_slice(file_id.as_bytes());
    ad
}

/// The size of a blob holding `plaintext` bytes.
pub fn sealed_len(plaintext: u64) -> u64 {
    let chunk = CHUNK as u64;
    let chunks = plaintext.div_ceil(chunk).max(1);
    HEADER as u64 + plaintext + chunks * TAG as u64
}

/// Encrypts a file as it arrives.
pub struct StreamSealer {
    enc: EncryptorBE32<Aes256Gcm>,
    pending: Vec<u8>,
    ad: Vec<u8>,
}

impl fmt::Debug for StreamSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamSealer(..)")
    }
}

impl StreamSealer {
    /// A sealer for the file `file_id`, and the header the blob starts with.
    pub fn new(key: &FileKey, file_id: &str) -> Result<(Self, [u8; HEADER]), CryptoError> {
        Self::with_prefix(key, file_id, random_bytes::<7>()?)
    }

    fn with_prefix(
        key: &FileKey,
        file_id: &str,
        prefix: [u8; 7],
    ) -> Result<(Self, [u8; HEADER]), CryptoError> {
        let mut header = [0u8; HEADER];
        header[0] = VERSION;
        header[1..].copy_from_slice(&prefix);
        let sealer = Self {
            enc: EncryptorBE32::from_aead(key.cipher(), &prefix.into()),
            pending: Vec::with_capacity(SEALED_CHUNK),
            ad: associated_data(file_id),
        };
        Ok((sealer, header))
    }

    /// Takes the next plaintext and appends to `out` every chunk that is now complete. A full
    /// chunk waits until more data arrives: only then is it known not to be the last.
    pub fn update(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        while !data.is_empty() {
            if self.pending.len() == CHUNK {
                self.enc
                    .encrypt_next_in_place(&self.ad, &mut self.pending)
                    .map_err(|_| CryptoError::Open)?;
                out.extend_from_slice(&self.pending);
                self.pending.clear();
            }
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Seals the last chunk (possibly empty) and appends it to `out`.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.enc
            .encrypt_last_in_place(&self.ad, &mut self.pending)
            .map_err(|_| CryptoError::Open)?;
        out.extend_from_slice(&self.pending);
        Ok(())
    }
}

/// Decrypts a blob as it is read.
pub struct StreamOpener {
    dec: DecryptorBE32<Aes256Gcm>,
    pending: Vec<u8>,
    ad: Vec<u8>,
}

impl fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamOpener(..)")
    }
}

impl StreamOpener {
    /// An opener for the file `file_id`, from the blob's first [`HEADER`] bytes.
    pub fn new(key: &FileKey, file_id: &str, header: &[u8]) -> Result<Self, CryptoError> {
        if header.len() != HEADER {
            return Err(CryptoError::Malformed("file header has the wrong length"));
        }
        if header[0] != VERSION {
            return Err(CryptoError::Malformed("unknown file version"));
        }
        let mut prefix = [0u8; 7];
        prefix.copy_from_slice(&header[1..]);
        Ok(Self {
            dec: DecryptorBE32::from_aead(key.cipher(), &prefix.into()),
            pending: Vec::with_capacity(SEALED_CHUNK),
            ad: associated_data(file_id),
        })
    }

    /// Takes the next ciphertext and appends to `out` the plaintext of every chunk that is now
    /// complete and known not to be the last.
    pub fn update(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        while !data.is_empty() {
            if self.pending.len() == SEALED_CHUNK {
                self.dec
                    .decrypt_next_in_place(&self.ad, &mut self.pending)
                    .map_err(|_| CryptoError::Open)?;
                out.extend_from_slice(&self.pending);
                self.pending.clear();
            }
            let take = (SEALED_CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Opens the last chunk; fails when the blob was cut off or extended.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        if self.pending.len() < TAG {
            return Err(CryptoError::Open);
        }
        self.dec
            .decrypt_last_in_place(&self.ad, &mut self.pending)
            .map_err(|_| CryptoError::Open)?;
        out.extend_from_slice(&self.pending);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FileKey {
        FileKey::from_slice(&[0x42; 32]).unwrap()
    }

    /// Seals `data`, feeding it in pieces of `step` bytes.
    fn seal(data: &[u8], step: usize, id: &str) -> Vec<u8> {
        let (mut s, header) = StreamSealer::new(&key(), id).unwrap();
        let mut out = header.to_vec();
        for piece in data.chunks(step.max(1)) {
            s.update(piece, &mut out).unwrap();
        }
        s.finish(&mut out).unwrap();
        out
    }

    fn open(blob: &[u8], step: usize, id: &str) -> Result<Vec<u8>, CryptoError> {
        if blob.len() < HEADER {
            return Err(CryptoError::Open);
        }
        let mut o = StreamOpener::new(&key(), id, &blob[..HEADER])?;
        let mut out = Vec::new();
        for piece in blob[HEADER..].chunks(step.max(1)) {
            o.update(piece, &mut out)?;
        }
        o.finish(&mut out)?;
        Ok(out)
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trip_at_every_boundary_and_any_piece_size() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5] {
            let data = sample(n);
            for step in [1000, 4096, CHUNK, 200_000] {
                let blob = seal(&data, step, "f1");
                assert_eq!(blob.len() as u64, sealed_len(n as u64), "size {n}");
                for read_step in [777, SEALED_CHUNK, 1 << 20] {
                    assert_eq!(open(&blob, read_step, "f1").unwrap(), data, "{n}/{step}");
                }
            }
        }
    }

    /// Known answer, computed independently with Python's `cryptography` AESGCM: key 0x42…,
    /// nonce prefix 09…09, counter 0 and the last-chunk flag, associated data
    /// "spreekuur-file" 0x01 "f1".
    #[test]
    fn known_answer() {
        let (mut s, header) = StreamSealer::with_prefix(&key(), "f1", [9; 7]).unwrap();
        let mut out = Vec::new();
        s.update(b"hallo", &mut out).unwrap();
        s.finish(&mut out).unwrap();
        assert_eq!(header, [1, 9, 9, 9, 9, 9, 9, 9]);
        assert_eq!(hex::encode(&out), KAT);
    }
    const KAT: &str = "d01e307d7566362654d588ed58812848b261ec6159";

    #[test]
    fn cut_reordered_extended_or_moved_blobs_fail() {
        let data = sample(3 * CHUNK + 10);
        let blob = seal(&data, CHUNK, "f1");
        let c = |i: usize| HEADER + i * SEALED_CHUNK;
        // Cut at a chunk boundary: the remaining last chunk was sealed as "not last".
        assert_eq!(open(&blob[..c(3)], 4096, "f1"), Err(CryptoError::Open));
        assert_eq!(open(&blob[..c(1)], 4096, "f1"), Err(CryptoError::Open));
        // Cut inside a chunk, or only the header.
        assert_eq!(
            open(&blob[..c(2) + 100], 4096, "f1"),
            Err(CryptoError::Open)
        );
        assert_eq!(open(&blob[..HEADER], 4096, "f1"), Err(CryptoError::Open));
        // Two chunks swapped.
        let mut swapped = blob.clone();
        let (first, second) = (blob[c(0)..c(1)].to_vec(), blob[c(1)..c(2)].to_vec());
        swapped[c(0)..c(1)].copy_from_slice(&second);
        swapped[c(1)..c(2)].copy_from_slice(&first);
        assert_eq!(open(&swapped, 4096, "f1"), Err(CryptoError::Open));
        // A chunk repeated, or anything appended after the last.
        let mut repeated = blob[..c(2)].to_vec();
        repeated.extend_from_slice(&blob[c(1)..]);
        assert_eq!(open(&repeated, 4096, "f1"), Err(CryptoError::Open));
        let mut appended = blob.clone();
        appended.extend_from_slice(&[0; 20]);
        assert_eq!(open(&appended, 4096, "f1"), Err(CryptoError::Open));
        // One flipped bit anywhere after the header.
        for i in [c(0), c(1) + 7, blob.len() - 1] {
            let mut t = blob.clone();
            t[i] ^= 1;
            assert_eq!(open(&t, 4096, "f1"), Err(CryptoError::Open), "byte {i}");
        }
        // The same blob under another file's id, or with another key.
        assert_eq!(open(&blob, 4096, "f2"), Err(CryptoError::Open));
        let other = FileKey::from_slice(&[0x43; 32]).unwrap();
        let mut o = StreamOpener::new(&other, "f1", &blob[..HEADER]).unwrap();
        let mut out = Vec::new();
        let r = o
            .update(&blob[HEADER..], &mut out)
            .and_then(|()| o.finish(&mut out));
        assert_eq!(r, Err(CryptoError::Open));
        // An unknown version.
        let mut v2 = blob.clone();
        v2[0] = 2;
        assert!(open(&v2, 4096, "f1").is_err());
    }

    #[test]
    fn keys_are_random_and_never_printed() {
        let a = FileKey::generate().unwrap();
        let b = FileKey::generate().unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(format!("{a:?}"), "FileKey(..)");
        assert!(FileKey::from_slice(&[1; 31]).is_err());
    }
}
