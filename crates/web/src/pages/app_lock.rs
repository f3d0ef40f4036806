//! "Toegangscode vergrendeling" (seeds 001, 002): turned on in Instellingen for this device,
//! the lock screen, unlocking with the PIN or the device's fingerprint or face (a passkey), and
//! locking when idle. The rules and use cases are in `domain::auth::app_lock` (the PIN is
//! checked there, against a keyed hash bound to this session, so a copy of the database does
//! not reveal it); this file reads the forms, sets the cookies and renders the pages.

use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::Error;
use spreekuur_domain::auth::app_lock::{self, PinAnswer};
use spreekuur_domain::ports::{CeremonyPurpose, SignedIn};
use spreekuur_domain::token::Issued;
use spreekuur_i18n::{Msgs, fill};

use super::passkeys::{PasskeyAvailability, availability};
use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, LangPref, Page, Session, cookies};
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

/// The unlock cookie of this browser run (no expiry: closing the browser drops it).
fn unlock_cookie(state: &AppState, unlock: &Issued) -> Result<HeaderValue, PageError> {
    let cookie = cookies::set(
        cookies::UNLOCK,
        &unlock.token,
        None,
        state.cfg.secure_cookies(),
        "Lax",
        true,
    );
    Ok(HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.to_string()))?)
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
    let s = state.signing_in(&client);
    let biometric = form.biometric == "yes";
    match app_lock::enable(
        &s,
        &me.hash,
        &me.account,
        &form.pin,
        &form.pin_confirmation,
        biometric,
    )
    .await
    {
        Ok(unlock) => Ok(see_other(
            "/settings?notice=lock_on#app-lock",
            Some(unlock_cookie(&state, &unlock)?),
        )),
        Err(Error::Invalid { reason, .. }) => Ok(settings_notice(&reason.key().replace('.', "_"))),
        Err(e) => Err(e.into()),
    }
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
    let s = state.signing_in(&client);
    Ok(
        match app_lock::disable(&s, &me.hash, &me.account, lock, &form.pin).await? {
            PinAnswer::Wrong { left } => settings_notice(&format!("lock_wrong&left={left}")),
            PinAnswer::SignedOut => signed_out(&state),
            PinAnswer::Right(_) | PinAnswer::Blocked(_) => settings_notice("lock_off"),
        },
    )
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
    let Some(hash) = crate::extract::session_hash(state, headers) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session_account(&hash, state.clock.now())
        .await?
        .filter(|s| s.lock.is_some())
        .map(|s| (hash, s)))
}

async fn lock_page(
    state: &AppState,
    page: &Page,
    session: &SignedIn,
    error: Option<String>,
) -> Result<LockPage, PageError> {
    let t = page.lang.msgs();
    let biometric = session.lock.as_ref().is_some_and(|l| l.biometric)
        && !state.store.passkeys(&session.account.id).await?.is_empty();
    Ok(LockPage {
        // Nothing of the account shows behind the lock: no name, no menu.
        layout: page.layout_at("/lock", None, ""),
        t,
        error,
        biometric,
        pk: availability(state, t),
    })
}

/// GET /lock: the lock screen, and nothing behind it.
pub async fn lock_get(State(state): State<AppState>, page: Page, headers: HeaderMap) -> PageResult {
    let Some((_, session)) = locked_session(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let view = lock_page(&state, &page, &session, None).await?;
    render(StatusCode::OK, &view)
}

/// POST /lock: the PIN.
pub async fn lock_post(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(form): CsrfForm<PinForm>,
) -> PageResult {
    let Some((hash, session)) = locked_session(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let t = page.lang.msgs();
    let now = state.clock.now();
    let Some(lock) = &session.lock else {
        return Ok(see_other("/login", None));
    };
    let s = state.signing_in(&client);
    let (status, error) =
        match app_lock::unlock(&s, &hash, &session.account, lock, &form.pin).await? {
            PinAnswer::Right(Some(unlock)) => {
                return Ok(see_other(
                    "/messenger",
                    Some(unlock_cookie(&state, &unlock)?),
                ));
            }
            PinAnswer::Right(None) => return Ok(see_other("/login", None)),
            PinAnswer::SignedOut => return Ok(signed_out(&state)),
            PinAnswer::Wrong { left } => (
                StatusCode::UNAUTHORIZED,
                fill(t.lock_wrong, &[("n", &left.to_string())]),
            ),
            PinAnswer::Blocked(until) => {
                let error = super::second_step_blocked(t, until);
                let view = lock_page(&state, &page, &session, Some(error)).await?;
                return render(StatusCode::TOO_MANY_REQUESTS, &view)
                    .map(|r| super::retry_after(r, until, now));
            }
        };
    let view = lock_page(&state, &page, &session, Some(error)).await?;
    render(status, &view)
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
    let s = state.signing_in(&client);
    if let Some(unlock) = app_lock::open(&s, &hash, &session.account).await? {
        r.headers_mut()
            .append(SET_COOKIE, unlock_cookie(&state, &unlock)?);
    }
    Ok(r)
}
