//! Passkeys (beyond the seeds): added in Instellingen (named, listed with when each was last
//! used, removable), used to sign in without typing anything (a button, or the browser's
//! autofill on the login field), or as the second step after the password.
//!
//! Each ceremony takes two requests: `…/options` starts it and keeps its state in the database
//! under the hash of a random id (any node can finish it, and it is taken back exactly once);
//! the second request carries the browser's answer. Both are forms with the CSRF field, sent by
//! `app.js`; they answer with JSON: `{"ceremony", "options"}`, then `{"redirect"}` or `{"error"}`.
//!
//! Here: the steps every ceremony shares (`begin`, `take`, the audit, a passkey's use), the
//! confirmation with one of an account's passkeys (`begin_confirm`, `finish_confirm`: the
//! second step, the app lock) and what the pages say about passkeys (`availability`). Adding
//! and removing one is `settings`; signing in with one, or confirming a waiting sign-in, is
//! `sign_in`.

mod settings;
mod sign_in;

pub use settings::{add_options_post, add_post, remove_post};
pub use sign_in::{confirm_options_post, confirm_post, sign_in_options_post, sign_in_post};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::{CeremonyPurpose, PasskeyRecord};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{Error, Timestamp, UserId};
use spreekuur_i18n::Msgs;
use zeroize::Zeroizing;

use crate::error::{PageError, PageResult};
use crate::state::AppState;
use crate::webauthn::{self, RelyingParty};

/// How long the browser has between the two requests of a ceremony.
const CEREMONY_SECS: i64 = 300;

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn refuse(status: StatusCode, message: &str) -> PageResult {
    Ok(reply(status, json!({ "error": message })))
}

/// The relying party; without one (an IP address as public URL) these routes do not exist.
fn relying_party(state: &AppState) -> Result<&RelyingParty, Error> {
    state.passkeys.as_deref().ok_or(Error::NotFound)
}

/// Keeps a ceremony's state and answers with its id and the options for the browser.
async fn begin(
    state: &AppState,
    user: Option<&UserId>,
    purpose: CeremonyPurpose,
    options: impl serde::Serialize,
    ceremony_state: Vec<u8>,
) -> PageResult {
    let id = spreekuur_crypto::generate_token().map_err(|e| Error::Internal(e.to_string()))?;
    let now = state.clock.now();
    state
        .store
        .save_ceremony(
            &state.tokens.hash(TokenKind::Ceremony, &id),
            user,
            purpose,
            &ceremony_state,
            now,
            now.plus_seconds(CEREMONY_SECS),
        )
        .await?;
    Ok(reply(
        StatusCode::OK,
        json!({ "ceremony": id.as_str(), "options": options }),
    ))
}

/// Takes a ceremony back once; None when it is unknown, used, expired, or another user's.
async fn take(
    state: &AppState,
    form: &AnswerForm,
    purpose: CeremonyPurpose,
    user: Option<&UserId>,
) -> Result<Option<Zeroizing<Vec<u8>>>, PageError> {
    let taken = state
        .store
        .take_ceremony(
            &state.tokens.hash(TokenKind::Ceremony, form.ceremony.trim()),
            purpose,
            state.clock.now(),
        )
        .await?;
    Ok(match taken {
        Some((owner, s)) if owner.as_ref() == user => Some(Zeroizing::new(s)),
        _ => None,
    })
}

async fn audit(
    state: &AppState,
    now: Timestamp,
    action: Action,
    client: &str,
    actor: Option<&UserId>,
) -> Result<(), PageError> {
    let mut rec = AuditRecord::new(now, action, client);
    if let Some(a) = actor {
        rec = rec.actor(a);
    }
    if matches!(action, Action::PasskeyRefused) {
        rec = rec.failed();
    }
    Ok(state.store.audit(&rec).await?)
}

/// Records a passkey's use, storing its new counter or backup state when they changed.
async fn record_use(
    state: &AppState,
    record: &PasskeyRecord,
    result: &webauthn::AuthenticationResult,
    now: Timestamp,
) -> Result<(), PageError> {
    let mut key = webauthn::passkey_from(&record.credential)?;
    let updated = match key.update_credential(result) {
        Some(true) => Some(webauthn::passkey_bytes(&key)?),
        _ => None,
    };
    state
        .store
        .passkey_used(record, updated.as_deref(), now)
        .await?;
    Ok(())
}

/// Starts a ceremony to confirm `account` with one of its passkeys.
pub async fn begin_confirm(
    state: &AppState,
    account: &Account,
    purpose: CeremonyPurpose,
) -> PageResult {
    let rp = relying_party(state)?;
    let keys = state
        .store
        .passkeys(&account.id)
        .await?
        .iter()
        .map(|k| webauthn::passkey_from(&k.credential))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(Error::NotFound.into());
    }
    let (options, ceremony) = rp.start_confirm(&keys)?;
    begin(state, Some(&account.id), purpose, options, ceremony).await
}

/// Checks the answer to a ceremony from [`begin_confirm`]: true when one of the account's own
/// passkeys signed it (its use is recorded); audited either way.
pub async fn finish_confirm(
    state: &AppState,
    account: &Account,
    form: &AnswerForm,
    purpose: CeremonyPurpose,
    client: &str,
) -> Result<bool, PageError> {
    let rp = relying_party(state)?;
    let now = state.clock.now();
    let checked = match take(state, form, purpose, Some(&account.id)).await? {
        Some(ceremony) => match webauthn::parse_answer(&form.credential) {
            Some(answer) => rp.finish_confirm(&answer, &ceremony)?.ok(),
            None => None,
        },
        None => None,
    };
    let record = match &checked {
        Some(result) => state
            .store
            .passkey_by_credential(result.cred_id().as_ref())
            .await?
            .filter(|r| r.user == account.id),
        None => None,
    };
    if let (Some(result), Some(record)) = (&checked, &record) {
        record_use(state, record, result, now).await?;
        audit(
            state,
            now,
            Action::PasskeyAccepted,
            client,
            Some(&account.id),
        )
        .await?;
        return Ok(true);
    }
    audit(
        state,
        now,
        Action::PasskeyRefused,
        client,
        Some(&account.id),
    )
    .await?;
    Ok(false)
}

/// What the settings and sign-in pages say about passkeys here, if they cannot work.
pub fn availability(state: &AppState, t: &'static Msgs) -> PasskeyAvailability {
    match &state.passkeys {
        Some(rp) => PasskeyAvailability {
            origin: rp.origin().to_string(),
            wrong_origin: spreekuur_i18n::fill(t.pk_wrong_origin, &[("url", rp.origin())]),
            unavailable: None,
        },
        None => PasskeyAvailability {
            origin: String::new(),
            wrong_origin: String::new(),
            unavailable: Some(t.pk_unavailable),
        },
    }
}

/// Passed to templates: the origin passkeys work at (the page compares it with its own).
pub struct PasskeyAvailability {
    pub origin: String,
    pub wrong_origin: String,
    pub unavailable: Option<&'static str>,
}
