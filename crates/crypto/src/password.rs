//! Password hashing with Argon2id.
//!
//! Parameters follow OWASP's Password Storage Cheat Sheet minimum for Argon2id: 19 MiB of
//! memory, 2 iterations, 1 lane. Memory is what makes GPU cracking expensive; 19 MiB × 2 passes
//! costs about 20–60 ms on one core of a current server, which a login pays once. Hashing runs on
//! a blocking thread (the caller's job: see `spawn_blocking` in the web crate), never on the
//! async executor.
//!
//! For an unknown account, [`PasswordHasher::verify_dummy`] spends the same time as a real
//! verification, so the answer's timing does not reveal which accounts exist.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{CryptoError, random_bytes};

#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: String,
}

impl PasswordHasher {
    /// OWASP's Argon2id parameters (m = 19456 KiB, t = 2, p = 1).
    pub fn owasp() -> Result<Self, CryptoError> {
        Self::with_params(Params::new(19_456, 2, 1, None).map_err(|_| CryptoError::Hash)?)
    }

    fn with_params(params: Params) -> Result<Self, CryptoError> {
        let mut hasher = Self {
            params,
            dummy: String::new(),
        };
        hasher.dummy = hasher.hash("spreekuur-dummy-password")?;
        Ok(hasher)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|_| CryptoError::Hash)?;
        Ok(self
            .argon()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| CryptoError::Hash)?
            .to_string())
    }

    /// True when `password` matches `phc`. A malformed stored hash never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Spends a verification's time and returns false: for logins to unknown accounts.
    pub fn verify_dummy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.dummy);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify_with_production_parameters() {
        let h = PasswordHasher::owasp().unwrap();
        let phc = h.hash("Woordje1!").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("Woordje1!", &phc));
        assert!(!h.verify("Woordje1?", &phc));
        assert!(!h.verify("Woordje1!", "not a hash"));
        assert!(!h.verify_dummy("Woordje1!"));
        assert_ne!(phc, h.hash("Woordje1!").unwrap(), "salted");
    }
}
