//! Envelope encryption at rest.
//!
//! A **master key** (32 bytes, in a file with mode 0600 or from a secret store) wraps **data
//! keys**; the wrapped data keys live in the database. Content is sealed with the active data key
//! using XChaCha20-Poly1305: its 192-bit random nonce makes random nonces safe for any number of
//! seals under one key. Rotating the master key rewraps data keys without touching content;
//! destroying a data key erases everything sealed with it.
//!
//! Sealed format (version 1): `0x01 | key id (u32 BE) | nonce (24 bytes) | ciphertext + tag`.
//! The associated data binds the ciphertext to its place: table, column and row id, plus the
//! version and key id from the header. A ciphertext copied to another row or column, or to
//! another table, fails to open.

use std::collections::HashMap;
use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{CryptoError, random_bytes};

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 24;

/// Where a ciphertext belongs: table, column and row.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl<'a> Aad<'a> {
    pub fn new(table: &'a str, column: &'a str, row: &'a str) -> Self {
        Self { table, column, row }
    }

    fn bytes(&self, key_id: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(b"spreekuur-seal");
        out.push(VERSION);
        out.extend_from_slice(&key_id.to_be_bytes());
        for part in [self.table, self.column, self.row] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// The key that wraps data keys. Never stored in the database.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key file's text: one line, `spreekuur-master-key-v1:` and 64 hex digits.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "spreekuur-master-key-v1:{}\n",
            hex::encode(*self.0)
        ))
    }

    pub fn from_file_text(text: &str) -> Result<Self, CryptoError> {
        let hex_part =
            text.trim()
                .strip_prefix("spreekuur-master-key-v1:")
                .ok_or(CryptoError::Malformed(
                    "master key file must start with spreekuur-master-key-v1:",
                ))?;
        let raw = Zeroizing::new(
            hex::decode(hex_part).map_err(|_| CryptoError::Malformed("master key is not hex"))?,
        );
        let arr: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed("master key must be 32 bytes"))?;
        Ok(Self::from_bytes(arr))
    }

    /// Wraps a data key for storage, bound to its id.
    pub fn wrap(&self, key_id: u32, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        seal_with(
            &self.0,
            key_id,
            Aad::new("data_keys", "wrapped", &key_id.to_string()),
            &key.0[..],
        )
    }

    /// Unwraps a stored data key; fails if the master key is not the one that wrapped it.
    pub fn unwrap_key(&self, key_id: u32, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let raw = Zeroizing::new(open_with(
            &self.0,
            key_id,
            Aad::new("data_keys", "wrapped", &key_id.to_string()),
            wrapped,
        )?);
        let arr: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed("data key must be 32 bytes"))?;
        Ok(DataKey(Zeroizing::new(arr)))
    }

    /// A key derived for another purpose (the token hash key), so one secret file is enough.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0[..])
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"spreekuur-derive:");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

/// HMAC accepts keys of any length, so `new_from_slice` cannot fail.
fn unreachable_hmac() -> ! {
    unreachable!("HMAC takes keys of any length")
}

/// A key that seals content.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// A key read back (after opening it with the ring); anything but 32 bytes is refused.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::Malformed("a data key has 32 bytes"))?;
        Ok(Self::from_bytes(arr))
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
    /// Seals with this key alone, outside the ring: content whose key is kept (sealed by the
    /// ring) next to it, so that deleting that one key erases the content (a secure e-mail
    /// that expired). Key id 0 in the header.
    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.0, OWN_KEY, aad, plaintext)
    }
    /// Opens what [`DataKey::seal`] sealed for the same place.
    pub fn open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.0, OWN_KEY, aad, sealed)
    }
}

/// The key id in the header of content sealed by a [`DataKey`] of its own.
const OWN_KEY: u32 = 0;

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// What a data key may still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Seals and opens. Exactly one key is active.
    Active,
    /// Opens what it sealed before; seals nothing new.
    Retained,
    /// Opens nothing (erasure).
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Retained => "retained",
            KeyStatus::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(KeyStatus::Active),
            "retained" => Some(KeyStatus::Retained),
            "revoked" => Some(KeyStatus::Revoked),
            _ => None,
        }
    }
}

/// The data keys in memory, by id.
pub struct KeyRing {
    keys: HashMap<u32, (DataKey, KeyStatus)>,
    active: u32,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys.len())
            .field("active", &self.active)
            .finish()
    }
}

impl KeyRing {
    /// Builds the ring; exactly one key must be active.
    pub fn new(keys: Vec<(u32, DataKey, KeyStatus)>) -> Result<Self, CryptoError> {
        let mut active = None;
        let mut map = HashMap::new();
        for (id, key, status) in keys {
            if status == KeyStatus::Active {
                if active.is_some() {
                    return Err(CryptoError::Malformed("more than one active data key"));
                }
                active = Some(id);
            }
            map.insert(id, (key, status));
        }
        let active = active.ok_or(CryptoError::Malformed("no active data key"))?;
        Ok(Self { keys: map, active })
    }

    pub fn active_key_id(&self) -> u32 {
        self.active
    }

    /// Seals `plaintext` for its place `aad` with the active key.
    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (key, _) = self
            .keys
            .get(&self.active)
            .ok_or(CryptoError::Key(self.active))?;
        seal_with(&key.0, self.active, aad, plaintext)
    }

    /// Opens a ciphertext sealed for `aad` by any key that is not revoked.
    pub fn open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key_id = header_key_id(sealed)?;
        match self.keys.get(&key_id) {
            Some((key, KeyStatus::Active | KeyStatus::Retained)) => {
                open_with(&key.0, key_id, aad, sealed)
            }
            _ => Err(CryptoError::Key(key_id)),
        }
    }

    /// Opens a ciphertext that holds UTF-8 text.
    pub fn open_text(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(aad, sealed)?).map_err(|_| CryptoError::Open)
    }
}

fn header_key_id(sealed: &[u8]) -> Result<u32, CryptoError> {
    if sealed.len() < HEADER + 16 {
        return Err(CryptoError::Malformed("ciphertext too short"));
    }
    if sealed[0] != VERSION {
        return Err(CryptoError::Malformed("unknown ciphertext version"));
    }
    Ok(u32::from_be_bytes([
        sealed[1], sealed[2], sealed[3], sealed[4],
    ]))
}

fn seal_with(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    seal_with_nonce(key, key_id, aad, plaintext, random_bytes::<24>()?)
}

fn seal_with_nonce(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let ad = aad.bytes(key_id);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &ad,
            },
        )
        .map_err(|_| CryptoError::Open)?;
    let mut out = Vec::with_capacity(HEADER + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_with(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if header_key_id(sealed)? != key_id {
        return Err(CryptoError::Open);
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    let ad = aad.bytes(key_id);
    cipher
        .decrypt(
            XNonce::from_slice(&sealed[5..HEADER]),
            Payload {
                msg: &sealed[HEADER..],
                aad: &ad,
            },
        )
        .map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(vec![(
            7,
            DataKey::from_bytes([0x42; 32]),
            KeyStatus::Active,
        )])
        .unwrap()
    }

    #[test]
    fn a_key_of_its_own_opens_only_its_own_place_and_dies_with_the_key() {
        let key = DataKey::generate().unwrap();
        let aad = Aad::new("secure_mail_posts", "body", "p1");
        let sealed = key.seal(aad, b"Uw uitslag is goed").unwrap();
        assert_eq!(key.open(aad, &sealed).unwrap(), b"Uw uitslag is goed");
        assert!(
            key.open(Aad::new("secure_mail_posts", "body", "p2"), &sealed)
                .is_err()
        );
        assert!(DataKey::generate().unwrap().open(aad, &sealed).is_err());
        // The ring does not open it, even with a key of id 0 that is not this one.
        assert!(ring().open(aad, &sealed).is_err());
        let back = DataKey::from_slice(key.as_bytes()).unwrap();
        assert_eq!(back.open(aad, &sealed).unwrap(), b"Uw uitslag is goed");
        assert!(DataKey::from_slice(&[1, 2, 3]).is_err());
    }

    /// Known answer: XChaCha20-Poly1305 test vector from draft-irtf-cfrg-xchacha-03, A.3.1,
    /// checks that the primitive under the format is the standard one.
    #[test]
    fn xchacha_known_answer() {
        let key: [u8; 32] =
            hex::decode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
                .unwrap()
                .try_into()
                .unwrap();
        let nonce = hex::decode("404142434445464748494a4b4c4d4e4f5051525354555657").unwrap();
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let msg = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let cipher = XChaCha20Poly1305::new((&key).into());
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad: &aad })
            .unwrap();
        assert_eq!(
            hex::encode(&ct[..16]),
            "bd6d179d3e83d43b9576579493c0e939",
            "first ciphertext block of the draft's vector"
        );
        assert_eq!(
            hex::encode(&ct[ct.len() - 16..]),
            "c0875924c1c7987947deafd8780acf49",
            "tag of the draft's vector"
        );
    }

    /// Known answer for our format: fixed key, nonce and place give fixed bytes, so a change
    /// to the format or the associated data cannot slip in unnoticed.
    #[test]
    fn sealed_format_known_answer() {
        let sealed = seal_with_nonce(
            &[0x42; 32],
            7,
            Aad::new("invitations", "note", "row-1"),
            b"hallo",
            [9; 24],
        )
        .unwrap();
        assert_eq!(&sealed[..5], &[1, 0, 0, 0, 7]);
        assert_eq!(&sealed[5..29], &[9; 24]);
        assert_eq!(sealed.len(), 29 + 5 + 16);
        assert_eq!(hex::encode(&sealed[29..]), KAT_BODY);
    }
    /// Computed independently (HChaCha20 in Python over the `cryptography` package's ChaCha20-Poly1305).
    const KAT_BODY: &str = "14c37667c05b0e7e54f0418b59d630b4a054aa832a";

    #[test]
    fn round_trip() {
        let r = ring();
        let aad = Aad::new("messages", "body", "m1");
        let sealed = r.seal(aad, "Goedemorgen dokter".as_bytes()).unwrap();
        assert_eq!(r.open_text(aad, &sealed).unwrap(), "Goedemorgen dokter");
        assert_ne!(
            r.seal(aad, b"x").unwrap(),
            r.seal(aad, b"x").unwrap(),
            "nonces are random"
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_place_fails() {
        let r = ring();
        let sealed = r
            .seal(Aad::new("messages", "body", "m1"), b"geheim")
            .unwrap();
        for other in [
            Aad::new("messages", "body", "m2"),
            Aad::new("messages", "title", "m1"),
            Aad::new("invitations", "body", "m1"),
        ] {
            assert_eq!(r.open(other, &sealed), Err(CryptoError::Open), "{other:?}");
        }
    }

    #[test]
    fn tampering_fails() {
        let r = ring();
        let aad = Aad::new("t", "c", "r");
        let sealed = r.seal(aad, b"geheim").unwrap();
        for i in [5, 20, 29, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert_eq!(r.open(aad, &t), Err(CryptoError::Open), "byte {i}");
        }
        let mut wrong_key = sealed.clone();
        wrong_key[4] = 8;
        assert_eq!(r.open(aad, &wrong_key), Err(CryptoError::Key(8)));
        assert!(r.open(aad, &sealed[..20]).is_err());
    }

    #[test]
    fn retained_keys_open_but_do_not_seal_and_revoked_keys_open_nothing() {
        let old = ring();
        let aad = Aad::new("t", "c", "r");
        let sealed = old.seal(aad, b"oud").unwrap();
        let rotated = KeyRing::new(vec![
            (7, DataKey::from_bytes([0x42; 32]), KeyStatus::Retained),
            (8, DataKey::from_bytes([0x43; 32]), KeyStatus::Active),
        ])
        .unwrap();
        assert_eq!(rotated.open(aad, &sealed).unwrap(), b"oud");
        assert_eq!(
            header_key_id(&rotated.seal(aad, b"nieuw").unwrap()).unwrap(),
            8
        );
        let erased = KeyRing::new(vec![
            (7, DataKey::from_bytes([0x42; 32]), KeyStatus::Revoked),
            (8, DataKey::from_bytes([0x43; 32]), KeyStatus::Active),
        ])
        .unwrap();
        assert_eq!(erased.open(aad, &sealed), Err(CryptoError::Key(7)));
    }

    #[test]
    fn master_key_wraps_and_only_it_unwraps() {
        let master = MasterKey::generate().unwrap();
        let dk = DataKey::from_bytes([5; 32]);
        let wrapped = master.wrap(3, &dk).unwrap();
        assert_eq!(*master.unwrap_key(3, &wrapped).unwrap().0, [5; 32]);
        assert!(master.unwrap_key(4, &wrapped).is_err(), "bound to its id");
        assert!(
            MasterKey::generate()
                .unwrap()
                .unwrap_key(3, &wrapped)
                .is_err()
        );
    }

    #[test]
    fn master_key_file_round_trip() {
        let m = MasterKey::from_bytes([0xab; 32]);
        let text = m.to_file_text();
        assert!(text.starts_with("spreekuur-master-key-v1:abab"));
        let back = MasterKey::from_file_text(&text).unwrap();
        assert_eq!(*back.0, [0xab; 32]);
        assert!(MasterKey::from_file_text("abab").is_err());
        assert!(MasterKey::from_file_text("spreekuur-master-key-v1:abab").is_err());
        assert_eq!(format!("{m:?}"), "MasterKey(..)");
    }

    #[test]
    fn ring_needs_exactly_one_active_key() {
        assert!(KeyRing::new(vec![]).is_err());
        assert!(
            KeyRing::new(vec![
                (1, DataKey::from_bytes([1; 32]), KeyStatus::Active),
                (2, DataKey::from_bytes([2; 32]), KeyStatus::Active)
            ])
            .is_err()
        );
    }
}
