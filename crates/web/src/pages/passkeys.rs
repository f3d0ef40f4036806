//! Passkeys (beyond the seeds): added in Instellingen (named, listed with when each was last
//! used, removable), used to sign in without typing anything (a button, or the browser's
//! autofill on the login field), or as the second step after the password.
//!
//! Each ceremony takes two requests: `…/options` starts it and keeps its state in the database
//! under the hash of a random id (any node can finish it, and it is taken back exactly once);
//! the second request carries the browser's answer. Both are forms with the CSRF field, sent by
//! `app.js`; they answer with JSON: `{"ceremony", "options"}`, then `{"redirect"}` or `{"error"}`.

use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::sign_in;
use spreekuur_domain::ports::{CeremonyPurpose, PasskeyRecord, PendingStage};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::validate::PersonName;
use spreekuur_domain::{Error, PasskeyId, Timestamp, UserId};
use spreekuur_i18n::Msgs;
use zeroize::Zeroizing;

use super::{see_other, start_session};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Device, Enrolling, LangPref, User};
use crate::state::AppState;
use crate::webauthn::{self, RelyingParty};

/// How long the browser has between the two requests of a ceremony.
const CEREMONY_SECS: i64 = 300;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
}

#[derive(Deserialize)]
pub struct SignInOptionsForm {
    #[serde(default)]
    conditional: String,
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

/// POST /settings/passkeys/options: name and password again; the options to make a passkey.
pub async fn add_options_post(
    State(state): State<AppState>,
    lang: LangPref,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<AddForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    let rp = relying_party(&state)?;
    let name = match PersonName::parse("name", &form.name) {
        Ok(n) => n,
        Err(Error::Invalid { reason, .. }) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.text(reason.key()));
        }
        Err(e) => return Err(e.into()),
    };
    if !super::confirm_password(&state, &me, form.password).await? {
        return refuse(StatusCode::UNAUTHORIZED, t.tf_wrong_password);
    }
    let existing = state
        .store
        .passkeys(&me.id)
        .await?
        .iter()
        .map(|k| webauthn::passkey_from(&k.credential).map(|p| p.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (options, ceremony) = rp.start_registration(
        &me.id,
        me.username.as_deref().unwrap_or(me.email.as_str()),
        &me.display_name(),
        existing,
    )?;
    // The chosen name travels with the ceremony, so the answer cannot rename it.
    let mut kept = name.as_str().as_bytes().to_vec();
    kept.push(b'\n');
    kept.extend(ceremony);
    begin(
        &state,
        Some(&me.id),
        CeremonyPurpose::Register,
        options,
        kept,
    )
    .await
}

/// POST /settings/passkeys: the browser's new credential.
pub async fn add_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    let rp = relying_party(&state)?;
    let now = state.clock.now();
    let Some(kept) = take(&state, &form, CeremonyPurpose::Register, Some(&me.id)).await? else {
        return refuse(StatusCode::GONE, t.pk_expired);
    };
    let Some(split) = kept.iter().position(|b| *b == b'\n') else {
        return Err(Error::Internal("passkey ceremony without a name".into()).into());
    };
    let name = String::from_utf8_lossy(&kept[..split]).to_string();
    let key = match rp.finish_registration(&form.credential, &kept[split + 1..])? {
        Ok(k) => k,
        Err(refused) => {
            tracing::info!(user = %me.id, %refused, "passkey registration refused");
            audit(&state, now, Action::PasskeyRefused, &client, Some(&me.id)).await?;
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.pk_failed);
        }
    };
    let record = PasskeyRecord {
        id: PasskeyId::new(),
        user: me.id.clone(),
        name,
        credential_id: key.cred_id().to_vec(),
        credential: webauthn::passkey_bytes(&key)?,
        created_at: now,
        last_used_at: None,
    };
    let rec = AuditRecord::new(now, Action::PasskeyAdded, &client).actor(&me.id);
    if !state.store.add_passkey(&record, &rec).await? {
        return refuse(StatusCode::CONFLICT, t.pk_exists);
    }
    let cookie = enrolling.complete(&state).await?;
    let mut r = reply(
        StatusCode::OK,
        json!({ "redirect": "/settings?notice=passkey_added" }),
    );
    if let Some(c) = cookie {
        r.headers_mut().append(SET_COOKIE, c);
    }
    Ok(r)
}

/// POST /settings/passkeys/{id}/remove: only one's own passkey; another's id is not found.
pub async fn remove_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = PasskeyId::parse(&id).ok_or(Error::NotFound)?;
    let rec = AuditRecord::new(state.clock.now(), Action::PasskeyRemoved, &client).actor(&me.id);
    if !state.store.remove_passkey(&me.id, &id, &rec).await? {
        return Err(Error::NotFound.into());
    }
    Ok(see_other("/settings?notice=passkey_removed", None))
}

/// Anonymous sign-in ceremonies a client address may start per minute, on each node: the
/// login page starts one per visit (the browser's passkey autofill).
pub const SIGN_IN_OPTIONS_PER_MINUTE: i64 = 30;

/// POST /login/passkey/options: options to sign in with any passkey of this site.
pub async fn sign_in_options_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    CsrfForm(form): CsrfForm<SignInOptionsForm>,
) -> PageResult {
    let rp = relying_party(&state)?;
    let now = state.clock.now();
    if !state
        .passkey_rate
        .allow(&client, SIGN_IN_OPTIONS_PER_MINUTE, now.millis())
    {
        let next_minute = Timestamp((now.millis() / 60_000 + 1) * 60_000);
        let r = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            lang.lang.msgs().error_rate_limited,
        )?;
        return Ok(super::retry_after(r, next_minute, now));
    }
    let (options, ceremony) = rp.start_sign_in(form.conditional == "1")?;
    begin(&state, None, CeremonyPurpose::SignIn, options, ceremony).await
}

/// POST /login/passkey: a passkey with user verification is both steps at once.
pub async fn sign_in_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Device(device): Device,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> PageResult {
    let t = lang.lang.msgs();
    let rp = relying_party(&state)?;
    let now = state.clock.now();
    let Some(ceremony) = take(&state, &form, CeremonyPurpose::SignIn, None).await? else {
        return refuse(StatusCode::GONE, t.pk_expired);
    };
    match check_sign_in(&state, rp, &form.credential, &ceremony, now).await? {
        Some(account) => {
            audit(
                &state,
                now,
                Action::PasskeyAccepted,
                &client,
                Some(&account.id),
            )
            .await?;
            let cookie = start_session(&state, &account.id, &device).await?;
            let mut r = reply(StatusCode::OK, json!({ "redirect": "/messenger" }));
            r.headers_mut().append(SET_COOKIE, cookie);
            Ok(r)
        }
        None => {
            audit(&state, now, Action::PasskeyRefused, &client, None).await?;
            refuse(StatusCode::UNAUTHORIZED, t.pk_login_failed)
        }
    }
}

/// The active account whose stored passkey signed this answer.
async fn check_sign_in(
    state: &AppState,
    rp: &RelyingParty,
    answer: &str,
    ceremony: &[u8],
    now: Timestamp,
) -> Result<Option<Account>, PageError> {
    let Some(answer) = webauthn::parse_answer(answer) else {
        return Ok(None);
    };
    let Some((user, credential_id)) = RelyingParty::identify(&answer) else {
        return Ok(None);
    };
    let Some(record) = state.store.passkey_by_credential(&credential_id).await? else {
        return Ok(None);
    };
    // The user handle the authenticator returned must be the credential's owner.
    if record.user.as_str() != user.to_string() {
        return Ok(None);
    }
    let key = webauthn::passkey_from(&record.credential)?;
    let result = match rp.finish_sign_in(&answer, ceremony, &key)? {
        Ok(r) => r,
        Err(refused) => {
            tracing::info!(%refused, "passkey sign-in refused");
            return Ok(None);
        }
    };
    let Some(account) = state
        .store
        .account(&record.user)
        .await?
        .filter(|a| a.active)
    else {
        return Ok(None);
    };
    record_use(state, &record, &result, now).await?;
    Ok(Some(account))
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

/// POST /two-factor/passkey/options: after the password, options to confirm with a passkey.
pub async fn confirm_options_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let Some((_, account)) =
        crate::extract::waiting(&state, &headers, PendingStage::SecondFactor).await?
    else {
        return Ok(reply(StatusCode::OK, json!({ "redirect": "/login" })));
    };
    begin_confirm(&state, &account, CeremonyPurpose::SecondStep).await
}

/// POST /two-factor/passkey: the passkey answer completes the pending sign-in.
pub async fn confirm_post(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> PageResult {
    let Some((hash, account)) =
        crate::extract::waiting(&state, &headers, PendingStage::SecondFactor).await?
    else {
        return Ok(reply(StatusCode::OK, json!({ "redirect": "/login" })));
    };
    let t = lang.lang.msgs();
    if finish_confirm(
        &state,
        &account,
        &form,
        CeremonyPurpose::SecondStep,
        &client,
    )
    .await?
        && let Some(session) = sign_in::complete(
            &state.signing_in(&client),
            &hash,
            PendingStage::SecondFactor,
        )
        .await?
    {
        let mut r = reply(StatusCode::OK, json!({ "redirect": "/messenger" }));
        r.headers_mut()
            .append(SET_COOKIE, super::session_cookie(&state, &session.token)?);
        return Ok(r);
    }
    refuse(StatusCode::UNAUTHORIZED, t.pk_failed)
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
