//! Spreekuur's cryptography, without I/O: the key ring for encryption at rest, password hashing,
//! files encrypted as they stream, single-use tokens and their keyed hashes, constant-time
//! comparison.
//!
//! Every choice here is a standard construction from the RustCrypto crates; nothing is invented.

pub mod keyring;
pub mod password;
pub mod stream;
pub mod token;
pub mod totp;

pub use keyring::{Aad, DataKey, KeyRing, KeyStatus, MasterKey};
pub use password::PasswordHasher;
pub use stream::{FileKey, StreamOpener, StreamSealer};
pub use token::{TokenHasher, generate_token};

/// Why a cryptographic operation failed. Deliberately coarse: a failed open says nothing about
/// whether the key, the row binding or the bytes were wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("ciphertext could not be opened")]
    Open,
    #[error("unknown or revoked key {0}")]
    Key(u32),
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    #[error("random number generator failed")]
    Rng,
    #[error("password hashing failed")]
    Hash,
}

/// Fills a buffer from the operating system's RNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|_| CryptoError::Rng)?;
    Ok(b)
}

/// SHA-256, for the audit chain.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// Compares two byte strings in constant time (for their common length).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
