//! The relying party for passkeys (WebAuthn), on webauthn-rs. Its id is the host of the
//! configured public URL and its origin that URL, so a passkey made at `http://localhost:8080`
//! works there and nowhere else. Browsers refuse passkeys on a bare IP address; then there is
//! no relying party and the pages say why instead of failing silently.

use std::net::IpAddr;

use serde::{Serialize, de::DeserializeOwned};
use spreekuur_domain::{Error, UserId};
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

pub use webauthn_rs::prelude::AuthenticationResult;

/// Why a ceremony's answer was refused (the browser's or the authenticator's fault, or a forgery).
#[derive(Debug, thiserror::Error)]
#[error("passkey ceremony refused: {0}")]
pub struct Refused(String);

pub struct RelyingParty {
    webauthn: Webauthn,
    origin: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("webauthn: {e}"))
}

impl RelyingParty {
    /// The relying party for `public_url`; None where browsers would refuse passkeys.
    pub fn for_public_url(public_url: &str) -> Option<Self> {
        let url = Url::parse(public_url).ok()?;
        let host = url.host_str()?.to_string();
        if host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
            return None;
        }
        let webauthn = WebauthnBuilder::new(&host, &url)
            .ok()?
            .rp_name("Spreekuur")
            .build()
            .ok()?;
        Some(Self {
            webauthn,
            origin: url.origin().ascii_serialization(),
        })
    }

    /// The origin pages must be opened at for passkeys to work (`http://localhost:8080`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Options to make a discoverable passkey (so it can sign in without a typed name), and the
    /// state to keep until the answer comes.
    pub fn start_registration(
        &self,
        user: &UserId,
        login_name: &str,
        display_name: &str,
        existing: Vec<CredentialID>,
    ) -> Result<(serde_json::Value, Vec<u8>), Error> {
        let uuid = Uuid::parse_str(user.as_str()).map_err(internal)?;
        let exclude = (!existing.is_empty()).then_some(existing);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(uuid, login_name, display_name, exclude)
            .map_err(internal)?;
        let mut options = serde_json::to_value(options).map_err(internal)?;
        // A passkey that signs in by itself must live on the authenticator (discoverable); the
        // library discourages that. Its check of the answer does not depend on this choice.
        let selection = &mut options["publicKey"]["authenticatorSelection"];
        selection["residentKey"] = "required".into();
        selection["requireResidentKey"] = true.into();
        Ok((options, to_state(&state)?))
    }

    /// Checks the browser's answer to a registration; the credential to store.
    pub fn finish_registration(
        &self,
        answer: &str,
        state: &[u8],
    ) -> Result<Result<Passkey, Refused>, Error> {
        let state: PasskeyRegistration = from_state(state)?;
        let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(answer) else {
            return Ok(Err(Refused("unreadable answer".into())));
        };
        Ok(self
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| Refused(e.to_string())))
    }

    /// Options to sign in with any passkey of this site; `conditional` keeps the request for the
    /// browser's autofill instead of a dialog.
    pub fn start_sign_in(
        &self,
        conditional: bool,
    ) -> Result<(RequestChallengeResponse, Vec<u8>), Error> {
        let (mut options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(internal)?;
        if !conditional {
            options.mediation = None;
        }
        Ok((options, to_state(&state)?))
    }

    /// Options to confirm with one of `keys` (the second step after the password).
    pub fn start_confirm(
        &self,
        keys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, Vec<u8>), Error> {
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(keys)
            .map_err(internal)?;
        Ok((options, to_state(&state)?))
    }

    /// The account and credential a sign-in answer claims, before it is checked.
    pub fn identify(answer: &PublicKeyCredential) -> Option<(Uuid, Vec<u8>)> {
        let user = Uuid::from_slice(answer.get_user_unique_id()?).ok()?;
        Some((user, answer.get_credential_id().to_vec()))
    }

    /// Checks a sign-in answer against the stored credential it names.
    pub fn finish_sign_in(
        &self,
        answer: &PublicKeyCredential,
        state: &[u8],
        key: &Passkey,
    ) -> Result<Result<AuthenticationResult, Refused>, Error> {
        let state: DiscoverableAuthentication = from_state(state)?;
        Ok(self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, key)
            .map_err(|e| Refused(e.to_string())))
    }

    /// Checks a second-step answer against the account's passkeys.
    pub fn finish_confirm(
        &self,
        answer: &PublicKeyCredential,
        state: &[u8],
    ) -> Result<Result<AuthenticationResult, Refused>, Error> {
        let state: PasskeyAuthentication = from_state(state)?;
        Ok(self
            .webauthn
            .finish_passkey_authentication(answer, &state)
            .map_err(|e| Refused(e.to_string())))
    }
}

/// A browser's sign-in answer, if it can be read at all.
pub fn parse_answer(answer: &str) -> Option<PublicKeyCredential> {
    serde_json::from_str(answer).ok()
}

/// A stored credential back as a passkey.
pub fn passkey_from(stored: &[u8]) -> Result<Passkey, Error> {
    from_state(stored)
}

/// A passkey as it is stored.
pub fn passkey_bytes(key: &Passkey) -> Result<Vec<u8>, Error> {
    to_state(key)
}

fn to_state(v: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(v).map_err(internal)
}

fn from_state<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_relying_party_on_an_ip_address() {
        assert!(RelyingParty::for_public_url("http://127.0.0.1:8080").is_none());
        assert!(RelyingParty::for_public_url("http://[::1]:8080").is_none());
        assert!(RelyingParty::for_public_url("not a url").is_none());
    }

    #[test]
    fn relying_party_follows_the_public_url() {
        let rp = RelyingParty::for_public_url("http://localhost:8080").map(|r| r.origin);
        assert_eq!(rp.as_deref(), Some("http://localhost:8080"));
        let rp = RelyingParty::for_public_url("https://zorg.example.nl").map(|r| r.origin);
        assert_eq!(rp.as_deref(), Some("https://zorg.example.nl"));
    }

    #[test]
    fn registration_asks_for_a_discoverable_passkey() {
        let Some(rp) = RelyingParty::for_public_url("https://zorg.example.nl") else {
            panic!("relying party");
        };
        let user = UserId::new();
        let Ok((options, state)) = rp.start_registration(&user, "a@example.nl", "A B", vec![])
        else {
            panic!("start");
        };
        let sel = &options["publicKey"]["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "required");
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(options["publicKey"]["rp"]["id"], "zorg.example.nl");
        assert!(!state.is_empty());
    }
}
