//! Single-use tokens (invitation, setup and password links) and their keyed hashes.
//!
//! A token is 32 random bytes, base64url without padding (43 characters), so it survives being
//! copied out of an e-mail. Only HMAC-SHA-256(token-hash key, token) is stored: a copy of the
//! database does not give working links, and the key lives with the master key, not in the DB.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use zeroize::Zeroizing;

use crate::{CryptoError, random_bytes};

/// A fresh token from the OS RNG.
pub fn generate_token() -> Result<Zeroizing<String>, CryptoError> {
    Ok(Zeroizing::new(
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?),
    ))
}

/// Computes the keyed hash under which a token is stored and looked up.
pub struct TokenHasher {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(..)")
    }
}

impl TokenHasher {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key }
    }

    /// The hash of a token as typed or clicked. Surrounding white space (a pasted link) is
    /// ignored; anything that is not a well-formed token still hashes, and simply matches nothing.
    pub fn hash(&self, purpose: &str, token: &str) -> Vec<u8> {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.key[..])
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(token.trim().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The domain's port: kinds name the purpose, so no caller spells a purpose string.
impl spreekuur_domain::token::TokenIssuer for TokenHasher {
    fn hash(&self, kind: spreekuur_domain::token::TokenKind<'_>, token: &str) -> Vec<u8> {
        TokenHasher::hash(self, &kind.purpose(), token)
    }

    fn issue(
        &self,
        kind: spreekuur_domain::token::TokenKind<'_>,
    ) -> Result<spreekuur_domain::token::Issued, spreekuur_domain::Error> {
        let token =
            generate_token().map_err(|e| spreekuur_domain::Error::Internal(e.to_string()))?;
        let hash = TokenHasher::hash(self, &kind.purpose(), &token);
        Ok(spreekuur_domain::token::Issued { token, hash })
    }

    fn matches(
        &self,
        kind: spreekuur_domain::token::TokenKind<'_>,
        token: &str,
        stored: &[u8],
    ) -> bool {
        crate::ct_eq(&TokenHasher::hash(self, &kind.purpose(), token), stored)
    }

    fn code(
        &self,
        alphabet: &[u8],
        len: usize,
    ) -> Result<Zeroizing<String>, spreekuur_domain::Error> {
        random_code(alphabet, len).map_err(|e| spreekuur_domain::Error::Internal(e.to_string()))
    }
}

/// `len` characters drawn uniformly from `alphabet` (at most 256 ASCII characters): random
/// bytes at or above the largest multiple of the alphabet's length are drawn again, so no
/// character is likelier than another.
pub fn random_code(alphabet: &[u8], len: usize) -> Result<Zeroizing<String>, CryptoError> {
    assert!(
        !alphabet.is_empty() && alphabet.len() <= 256 && alphabet.is_ascii(),
        "an alphabet of 1 to 256 ASCII characters"
    );
    let n = alphabet.len();
    let limit = 256 - 256 % n;
    let mut out = Zeroizing::new(String::with_capacity(len));
    while out.len() < len {
        for b in crate::random_bytes::<32>()? {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_length_and_only_their_alphabet() {
        let code = random_code(b"0123456789", 6).unwrap();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let alphabet = b"23456789abcdefghjkmnpqrstuvwxyz";
        let long = random_code(alphabet, 2000).unwrap();
        assert!(long.bytes().all(|b| alphabet.contains(&b)));
        // 2000 draws from 31 characters: every character turns up (a miss has odds ~1e-27).
        assert!(alphabet.iter().all(|c| long.as_bytes().contains(c)));
    }

    /// RFC 4231, test case 2: checks the HMAC-SHA-256 underneath.
    #[test]
    fn hmac_sha256_known_answer() {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(*a, *b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn hashes_depend_on_key_purpose_and_token_but_not_on_surrounding_space() {
        let h = TokenHasher::new(Zeroizing::new([1; 32]));
        let other = TokenHasher::new(Zeroizing::new([2; 32]));
        assert_eq!(h.hash("invitation", "abc"), h.hash("invitation", " abc\n"));
        assert_ne!(h.hash("invitation", "abc"), h.hash("setup", "abc"));
        assert_ne!(h.hash("invitation", "abc"), h.hash("invitation", "abd"));
        assert_ne!(h.hash("invitation", "abc"), other.hash("invitation", "abc"));
        assert_eq!(h.hash("invitation", "abc").len(), 32);
    }

    #[test]
    fn an_issued_token_hashes_under_its_own_kind_only() {
        use spreekuur_domain::token::{TokenIssuer, TokenKind};
        let h = TokenHasher::new(Zeroizing::new([1; 32]));
        let issued = h.issue(TokenKind::Invitation).unwrap();
        assert_eq!(issued.token.len(), 43);
        assert_eq!(
            issued.hash,
            TokenIssuer::hash(&h, TokenKind::Invitation, &issued.token)
        );
        assert_eq!(issued.hash, h.hash("invitation", &issued.token));
        assert_ne!(
            issued.hash,
            TokenIssuer::hash(&h, TokenKind::Session, &issued.token)
        );
    }
}
