//! "Toegangscode vergrendeling" (seeds 001, 002): turned on in Instellingen for this device,
//! the lock screen, unlocking with the PIN or the device's fingerprint or face (a passkey), and
//! locking when idle. The rules are in `domain::auth::app_lock`; the PIN is checked here,
//! against a keyed hash bound to this session, so a copy of the database does not reveal it.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::app_lock::{self, MAX_FAILURES};
use spreekuur_domain::auth::sign_in;
use spreekuur_domain::auth::throttle;
use spreekuur_domain::ports::{CeremonyPurpose, SignedIn};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::{Lang, Msgs, fill};

use super::passkeys::{PasskeyAvailability, availability};
use super::{render, see_other};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref, Session, cookies};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    own_device: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    pin_confirmation: String,
    #[serde(default)]
    biometric: String,
}

#[derive(Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pin: String,
}

#[derive(Template)]
#[template(path = "lock.html")]
struct LockPage {
    layout: Layout,
    t: &'static Msgs,
    error: Option<String>,
    biometric: bool,
    pk: PasskeyAvailability,
}

/// The PIN's keyed hash, bound to the session it locks.
fn pin_hash(state: &AppState, session_hash: &[u8], pin: &str) -> Vec<u8> {
    use base64::Engine;
    let session = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session_hash);
    state
        .tokens
        .hash(TokenKind::AppLockPin { session: &session }, pin)
}

/// A fresh unlock cookie (valid for this browser run) and the hash the session keeps of it.
fn unlock_cookie(state: &AppState) -> Result<(HeaderValue, Vec<u8>), PageError> {
    let token = spreekuur_crypto::generate_token().map_err(|e| Error::Internal(e.to_string()))?;
    let cookie = cookies::set(
        cookies::UNLOCK,
        &token,
        None,
        state.cfg.secure_cookies(),
        "Lax",
        true,
    );
    let value = HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((value, state.tokens.hash(TokenKind::Unlock, &token)))
}

fn settings_notice(notice: &str) -> Response {
    see_other(&format!("/settings?notice={notice}#app-lock"), None)
}

/// POST /settings/app-lock: "Dit is mijn eigen apparaat", the PIN twice, and optionally the
/// fingerprint or face through a passkey.
pub async fn enable_post(
    State(state): State<AppState>,
    Client(client): Client,
    me: Session,
    CsrfForm(form): CsrfForm<EnableForm>,
) -> PageResult {
    if form.own_device != "yes" {
        return Ok(settings_notice("lock_not_own"));
    }
    let pin = match app_lock::parse_pin(&form.pin) {
        Ok(p) => p,
        Err(Error::Invalid { reason, .. }) => {
            return Ok(settings_notice(&reason.key().replace('.', "_")));
        }
        Err(e) => return Err(e.into()),
    };
    if form.pin_confirmation.trim() != pin {
        return Ok(settings_notice("lock_pin_mismatch"));
    }
    let biometric =
        form.biometric == "yes" && !state.store.passkeys(&me.account.id).await?.is_empty();
    let (cookie, key) = unlock_cookie(&state)?;
    let rec =
        AuditRecord::new(state.clock.now(), Action::AppLockEnabled, &client).actor(&me.account.id);
    state
        .store
        .enable_lock(
            &me.hash,
            &pin_hash(&state, &me.hash, &pin),
            &key,
            biometric,
            &rec,
        )
        .await?;
    Ok(see_other("/settings?notice=lock_on#app-lock", Some(cookie)))
}

/// Counts a wrong PIN; the fifth signs this device out.
async fn wrong_pin(
    state: &AppState,
    session: &SignedIn,
    hash: &[u8],
    client: &str,
    now: Timestamp,
) -> Result<Option<i64>, PageError> {
    let rec = AuditRecord::new(now, Action::AppLockRefused, client)
        .actor(&session.account.id)
        .failed();
    let failures = state.store.lock_failure(hash, MAX_FAILURES, &rec).await?;
    if failures >= MAX_FAILURES {
        let rec =
            AuditRecord::new(now, Action::AppLockSignedOut, client).actor(&session.account.id);
        state.store.audit(&rec).await?;
        return Ok(None);
    }
    Ok(Some(MAX_FAILURES - failures))
}

/// Sent to the login page after the fifth wrong PIN, with both cookies cleared.
fn signed_out(state: &AppState) -> Response {
    let mut r = see_other("/login?notice=lock_out", None);
    for name in [cookies::SESSION, cookies::UNLOCK] {
        let gone = cookies::set(name, "", Some(0), state.cfg.secure_cookies(), "Lax", true);
        if let Ok(v) = HeaderValue::from_str(&gone) {
            r.headers_mut().append(SET_COOKIE, v);
        }
    }
    r
}

/// POST /settings/app-lock/disable: with the PIN (a wrong one counts as a try).
pub async fn disable_post(
    State(state): State<AppState>,
    Client(client): Client,
    me: Session,
    CsrfForm(form): CsrfForm<PinForm>,
) -> PageResult {
    let Some(lock) = &me.lock else {
        return Ok(settings_notice("lock_off"));
    };
    let now = state.clock.now();
    let given = pin_hash(&state, &me.hash, form.pin.trim());
    if !spreekuur_crypto::ct_eq(&given, &lock.pin_hash) {
        let session = SignedIn {
            account: me.account.clone(),
            last_seen_at: now,
            lock: me.lock.clone(),
        };
        return Ok(
            match wrong_pin(&state, &session, &me.hash, &client, now).await? {
                Some(left) => settings_notice(&format!("lock_wrong&left={left}")),
                None => signed_out(&state),
            },
        );
    }
    let rec = AuditRecord::new(now, Action::AppLockDisabled, &client).actor(&me.account.id);
    state.store.disable_lock(&me.hash, &rec).await?;
    Ok(settings_notice("lock_off"))
}

/// POST /lock/now: "Nu vergrendelen", and the idle timer in app.js.
pub async fn lock_now_post(
    State(state): State<AppState>,
    me: Session,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    if me.lock.is_some() {
        state.store.lock_now(&me.hash).await?;
        return Ok(see_other("/lock", None));
    }
    Ok(see_other("/messenger", None))
}

/// GET /lock/status: how long this device may stay idle, for the timer in app.js.
pub async fn status_get(State(state): State<AppState>, me: Session) -> PageResult {
    let body = match me.lock {
        Some(_) => {
            let minutes = state.lock_minutes().await?;
            json!({ "lock_after_secs": minutes * 60 })
        }
        None => json!({}),
    };
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

/// The session behind the cookie, locked or not, when it has the app lock on.
async fn locked_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Vec<u8>, SignedIn)>, PageError> {
    let Some(token) = cookies::get(headers, cookies::SESSION, state.cfg.secure_cookies()) else {
        return Ok(None);
    };
    let hash = state.tokens.hash(TokenKind::Session, &token);
    Ok(state
        .store
        .session_account(&hash, state.clock.now())
        .await?
        .filter(|s| s.lock.is_some())
        .map(|s| (hash, s)))
}

async fn lock_page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    session: &SignedIn,
    error: Option<String>,
) -> Result<LockPage, PageError> {
    let t = lang.msgs();
    let biometric = session.lock.as_ref().is_some_and(|l| l.biometric)
        && !state.store.passkeys(&session.account.id).await?.is_empty();
    Ok(LockPage {
        // Nothing of the account shows behind the lock: no name, no menu.
        layout: Layout::new(lang, "/lock", csrf, None, state, "").await,
        t,
        error,
        biometric,
        pk: availability(state, t),
    })
}

/// GET /lock: the lock screen, and nothing behind it.
pub async fn lock_get(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    let Some((_, session)) = locked_session(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let page = lock_page(&state, lang.lang, csrf.0, &session, None).await?;
    render(StatusCode::OK, &page)
}

/// Opens the lock for this browser run.
async fn open(
    state: &AppState,
    hash: &[u8],
    session: &SignedIn,
    client: &str,
) -> Result<Option<HeaderValue>, PageError> {
    let (cookie, key) = unlock_cookie(state)?;
    let rec = AuditRecord::new(state.clock.now(), Action::AppLockUnlocked, client)
        .actor(&session.account.id);
    Ok(state
        .store
        .unlock(hash, &key, &rec)
        .await?
        .then_some(cookie))
}

/// POST /lock: the PIN.
pub async fn lock_post(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<PinForm>,
) -> PageResult {
    let Some((hash, session)) = locked_session(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let t = lang.lang.msgs();
    let now = state.clock.now();
    let stored = session
        .lock
        .as_ref()
        .map(|l| l.pin_hash.clone())
        .unwrap_or_default();
    // Counted for the account first, like every second-step answer (`auth::throttle`).
    let account = &session.account;
    if let Err(until) = sign_in::take_second_step(&state.signing_in(&client), account).await? {
        let error = fill(
            t.second_step_blocked,
            &[("time", &spreekuur_i18n::time_of_day(until.millis()))],
        );
        let page = lock_page(&state, lang.lang, csrf.0, &session, Some(error)).await?;
        return render(StatusCode::TOO_MANY_REQUESTS, &page)
            .map(|r| super::retry_after(r, until, now));
    }
    let given = pin_hash(&state, &hash, form.pin.trim());
    if spreekuur_crypto::ct_eq(&given, &stored) {
        // A right PIN takes back its own attempt but leaves earlier wrong answers counted:
        // unlocking one's own device must not hand whoever guesses elsewhere a fresh set of
        // free answers.
        state
            .store
            .forgive_attempt(
                &throttle::second_step_key(&account.id),
                throttle::SECOND_STEP_FREE,
            )
            .await?;
        if let Some(cookie) = open(&state, &hash, &session, &client).await? {
            return Ok(see_other("/messenger", Some(cookie)));
        }
        return Ok(see_other("/login", None));
    }
    match wrong_pin(&state, &session, &hash, &client, now).await? {
        Some(left) => {
            let error = fill(t.lock_wrong, &[("n", &left.to_string())]);
            let page = lock_page(&state, lang.lang, csrf.0, &session, Some(error)).await?;
            render(StatusCode::UNAUTHORIZED, &page)
        }
        None => Ok(signed_out(&state)),
    }
}

/// POST /lock/passkey/options: the fingerprint or face, through one of the account's passkeys.
pub async fn passkey_options_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let Some((_, session)) = locked_session(&state, &headers).await? else {
        return Ok((StatusCode::OK, axum::Json(json!({ "redirect": "/login" }))).into_response());
    };
    if !session.lock.as_ref().is_some_and(|l| l.biometric) {
        return Err(Error::NotFound.into());
    }
    super::passkeys::begin_confirm(&state, &session.account, CeremonyPurpose::Unlock).await
}

/// POST /lock/passkey: the passkey's answer opens the lock.
pub async fn passkey_post(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(form): CsrfForm<super::passkeys::AnswerForm>,
) -> PageResult {
    let Some((hash, session)) = locked_session(&state, &headers).await? else {
        return Ok((StatusCode::OK, axum::Json(json!({ "redirect": "/login" }))).into_response());
    };
    if !session.lock.as_ref().is_some_and(|l| l.biometric) {
        return Err(Error::NotFound.into());
    }
    let t = lang.lang.msgs();
    if !super::passkeys::finish_confirm(
        &state,
        &session.account,
        &form,
        CeremonyPurpose::Unlock,
        &client,
    )
    .await?
    {
        return Ok((
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": t.pk_failed })),
        )
            .into_response());
    }
    let mut r = (
        StatusCode::OK,
        axum::Json(json!({ "redirect": "/messenger" })),
    )
        .into_response();
    if let Some(cookie) = open(&state, &hash, &session, &client).await? {
        r.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(r)
}
