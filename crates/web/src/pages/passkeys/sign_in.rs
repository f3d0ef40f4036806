//! Signing in with a passkey (both steps at once, from the login page) and confirming a
//! sign-in that waits on its second step with one.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::Timestamp;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::Action;
use spreekuur_domain::auth::sign_in;
use spreekuur_domain::ports::{CeremonyPurpose, PendingStage};

use super::{
    AnswerForm, audit, begin, begin_confirm, finish_confirm, record_use, refuse, relying_party,
    reply, take,
};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Device, LangPref};
use crate::pages::start_session;
use crate::state::AppState;
use crate::webauthn::{self, RelyingParty};

#[derive(Deserialize)]
pub struct SignInOptionsForm {
    #[serde(default)]
    conditional: String,
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
        return Ok(crate::pages::retry_after(r, next_minute, now));
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
        r.headers_mut().append(
            SET_COOKIE,
            crate::pages::session_cookie(&state, &session.token)?,
        );
        return Ok(r);
    }
    refuse(StatusCode::UNAUTHORIZED, t.pk_failed)
}
