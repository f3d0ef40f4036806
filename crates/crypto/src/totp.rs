//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 30-second steps,
//! 6 digits): what authenticator apps compute. Accepts the step before and after the current one
//! (clocks drift) and never a step at or before the last one accepted (replay).

use hmac::{Hmac, Mac};

use crate::{CryptoError, random_bytes};

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;

/// A shared secret (20 random bytes, as RFC 4226 recommends).
pub struct TotpSecret(zeroize::Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(zeroize::Zeroizing::new(
            random_bytes::<20>()?.to_vec(),
        )))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(zeroize::Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as apps expect when the key is typed in.
    pub fn base32(&self) -> String {
        base32(&self.0)
    }

    /// The `otpauth://` URL an app reads from the QR code.
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            enc(issuer),
            enc(account),
            self.base32(),
            enc(issuer)
        )
    }

    /// The code for a time step, with `digits` digits.
    pub fn code_at_step(&self, step: i64, digits: u32) -> String {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(&step.to_be_bytes());
        let h = mac.finalize().into_bytes();
        let offset = usize::from(h[19] & 0x0f);
        let bin = (u32::from(h[offset]) & 0x7f) << 24
            | u32::from(h[offset + 1]) << 16
            | u32::from(h[offset + 2]) << 8
            | u32::from(h[offset + 3]);
        format!(
            "{:0width$}",
            bin % 10u32.pow(digits),
            width = digits as usize
        )
    }

    /// The step a typed code matches, within one step of `now_ms` and after `last_step`.
    pub fn verify(&self, input: &str, now_ms: i64, last_step: Option<i64>) -> Option<i64> {
        let typed: String = input.chars().filter(char::is_ascii_digit).collect();
        if typed.len() != DIGITS as usize {
            return None;
        }
        let now = now_ms.div_euclid(STEP_SECS * 1000);
        (now - 1..=now + 1)
            .filter(|s| last_step.is_none_or(|last| *s > last))
            .find(|s| crate::ct_eq(self.code_at_step(*s, DIGITS).as_bytes(), typed.as_bytes()))
    }
}

/// The domain's check of a typed app code (`auth::totp::CodeCheck`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Authenticator;

impl spreekuur_domain::auth::totp::CodeCheck for Authenticator {
    fn verify(
        &self,
        secret: &[u8],
        input: &str,
        now: spreekuur_domain::Timestamp,
        last_step: Option<i64>,
    ) -> Option<i64> {
        TotpSecret::from_bytes(secret.to_vec()).verify(input, now.millis(), last_step)
    }
}

/// RFC 4648 base32, upper case, no padding.
pub fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    /// RFC 6238 appendix B, SHA-1 column (8 digits).
    #[test]
    fn rfc6238_known_answers() {
        let s = rfc_secret();
        for (t, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(s.code_at_step(t / 30, 8), code, "T = {t}");
        }
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn one_step_either_way_and_no_replay() {
        let s = rfc_secret();
        let now = 1_111_111_111_000;
        let step = now / 30_000;
        let current = s.code_at_step(step, 6);
        assert_eq!(s.verify(&current, now, None), Some(step));
        assert_eq!(
            s.verify(&s.code_at_step(step - 1, 6), now, None),
            Some(step - 1)
        );
        assert_eq!(
            s.verify(&s.code_at_step(step + 1, 6), now, None),
            Some(step + 1)
        );
        assert_eq!(s.verify(&s.code_at_step(step - 2, 6), now, None), None);
        assert_eq!(
            s.verify(&current, now, Some(step)),
            None,
            "a used step is refused"
        );
        assert_eq!(
            s.verify(&format!("{} {}", &current[..3], &current[3..]), now, None),
            Some(step),
            "spaces are fine"
        );
        assert_eq!(s.verify("12345", now, None), None);
    }

    /// Codes from an independent implementation (Debian's oathtool) are accepted.
    #[test]
    fn oathtool_agrees() {
        let s = TotpSecret::generate().unwrap();
        let out = std::process::Command::new("oathtool")
            .args(["--totp", "-b", &s.base32()])
            .output()
            .expect("oathtool is installed by scripts/test.sh");
        assert!(out.status.success());
        let code = String::from_utf8(out.stdout).unwrap();
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        assert!(
            s.verify(code.trim(), now, None).is_some(),
            "oathtool's {code} accepted"
        );
    }

    #[test]
    fn the_otpauth_url_names_issuer_and_account() {
        let url = rfc_secret().otpauth_url("Praktijk De Linde", "jan@example.nl");
        assert_eq!(
            url,
            "otpauth://totp/Praktijk%20De%20Linde:jan%40example.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Praktijk%20De%20Linde&algorithm=SHA1&digits=6&period=30"
        );
    }
}
