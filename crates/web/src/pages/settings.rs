//! "Instellingen": the account's sessions (browser, device, last active, network address),
//! with signing out one or all others; two-factor authentication and passkeys.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use spreekuur_domain::api_token;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_i18n::{Msgs, date_time, fill};

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Page, Session, User};
use crate::layout::Layout;
use crate::state::AppState;

pub struct SessionRow {
    id: String,
    device: String,
    started: String,
    last_active: String,
    client: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    t: &'static Msgs,
    notice: Option<String>,
    sessions: Vec<SessionRow>,
    /// Unused backup codes when two-factor authentication is on.
    tf_left: Option<i64>,
    tf_status: String,
    passkeys: Vec<PasskeyRow>,
    pk: super::passkeys::PasskeyAvailability,
    /// The notice is a problem (shown as an error, read out at once).
    notice_error: bool,
    lock_on: bool,
    lock_intro: String,
    is_staff: bool,
    /// This person lets others see "gelezen"; the practice shows read receipts at all.
    sends_receipts: bool,
    practice_receipts: bool,
    /// E-mails about unread messages, and what they promise.
    notify_email: bool,
    notify_hint: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
}

pub struct TokenRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// POST /settings/tokens: a personal access token for the JSON API (staff), shown once.
pub async fn token_post(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Client(client): Client,
    session: Session,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> PageResult {
    let me = &session.account;
    if !me.role.is_staff() {
        return Err(spreekuur_domain::Error::NotFound.into());
    }
    let name = match spreekuur_domain::validate::PersonName::parse("name", &form.name) {
        Ok(n) => n,
        Err(_) => {
            let q = Notice {
                notice: Some("token_name".into()),
                left: None,
            };
            return settings_page(&state, &page, &headers, &session, q, None).await;
        }
    };
    // A token outlives the session it was made in: it takes the password, not just a session.
    if !super::confirm_password(&state, me, form.password).await? {
        let q = Notice {
            notice: Some("token_password".into()),
            left: None,
        };
        return settings_page(&state, &page, &headers, &session, q, None).await;
    }
    let made = api_token::create_token(
        &*state.store,
        &*state.tokens,
        me,
        name.as_str(),
        None,
        state.clock.now(),
        &client,
    )
    .await?;
    let secret = made.secret.to_string();
    let q = Notice {
        notice: None,
        left: None,
    };
    settings_page(&state, &page, &headers, &session, q, Some(secret)).await
}

#[derive(Deserialize)]
pub struct ReceiptsForm {
    #[serde(default)]
    send: String,
}

/// POST /settings/read-receipts: whether others may see that this person has read them.
pub async fn receipts_post(
    State(state): State<AppState>,
    User(me): User,
    CsrfForm(form): CsrfForm<ReceiptsForm>,
) -> PageResult {
    state
        .store
        .set_send_read_receipts(&me.id, form.send == "yes")
        .await?;
    Ok(see_other(
        "/settings?notice=receipts_saved#read-receipts",
        None,
    ))
}

/// POST /settings/notifications: an e-mail when a message waits unread, or none.
pub async fn notify_post(
    State(state): State<AppState>,
    User(me): User,
    CsrfForm(form): CsrfForm<ReceiptsForm>,
) -> PageResult {
    state
        .store
        .set_notify_email(&me.id, form.send == "yes")
        .await?;
    Ok(see_other(
        "/settings?notice=notify_saved#notifications",
        None,
    ))
}

/// POST /settings/tokens/{id}/revoke: only one's own; another's id is not found.
pub async fn token_revoke_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = spreekuur_domain::TokenId::parse(&id).ok_or(spreekuur_domain::Error::NotFound)?;
    let now = state.clock.now();
    let rec = AuditRecord::new(now, Action::TokenRevoked, &client)
        .actor(&me.id)
        .object(&id);
    if !state.store.revoke_token(&me.id, &id, now, &rec).await? {
        return Err(spreekuur_domain::Error::NotFound.into());
    }
    Ok(see_other("/settings?notice=token_revoked#api-tokens", None))
}

pub struct PasskeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
    /// Tries left after a wrong PIN.
    left: Option<i64>,
}

/// "Firefox op Windows" from a User-Agent; good enough to recognise one's own devices.
pub fn describe_device(t: &'static Msgs, ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => fill(t.sessions_on, &[("browser", b), ("os", o)]),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => t.sessions_unknown_device.to_string(),
    }
}

fn current_hash(state: &AppState, headers: &HeaderMap) -> Vec<u8> {
    crate::extract::session_hash(state, headers).unwrap_or_default()
}

/// GET /settings
pub async fn settings_get(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    session: Session,
    Query(q): Query<Notice>,
) -> PageResult {
    settings_page(&state, &page, &headers, &session, q, None).await
}

/// The settings page; `new_token` is a personal access token just made, shown this once.
async fn settings_page(
    state: &AppState,
    page: &Page,
    headers: &HeaderMap,
    session: &Session,
    q: Notice,
    new_token: Option<String>,
) -> PageResult {
    let lang = page.lang;
    let t = lang.msgs();
    let me = &session.account;
    let sessions = state
        .store
        .list_sessions(&me.id, &current_hash(state, headers), state.clock.now())
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.public_id,
            device: describe_device(t, &s.user_agent),
            started: date_time(lang, s.created_at.millis()),
            last_active: date_time(lang, s.last_seen_at.millis()),
            client: s.client,
            current: s.current,
        })
        .collect();
    let notice = match q.notice.as_deref() {
        Some("ended") => Some(t.sessions_ended),
        Some("others_ended") => Some(t.sessions_others_ended),
        Some("tf_disabled") => Some(t.tf_disabled),
        Some("tf_refused") => Some(t.tf_code_wrong),
        Some("passkey_added") => Some(t.pk_added),
        Some("passkey_removed") => Some(t.pk_removed),
        Some("lock_on") => Some(t.lock_enabled),
        Some("lock_off") => Some(t.lock_disabled),
        Some("token_revoked") => Some(t.token_revoked),
        Some("receipts_saved") => Some(t.receipts_saved),
        Some("notify_saved") => Some(t.notify_saved),
        _ => None,
    }
    .map(str::to_string);
    let problem = match q.notice.as_deref() {
        Some("lock_not_own") => Some(t.lock_not_own.to_string()),
        Some("pin_format") => Some(t.pin_format.to_string()),
        Some("pin_too_easy") => Some(t.pin_too_easy.to_string()),
        Some("lock_pin_mismatch") => Some(t.lock_pin_mismatch.to_string()),
        Some("token_name") => Some(t.name_required.to_string()),
        Some("token_password") => Some(t.tf_wrong_password.to_string()),
        Some("lock_wrong") => Some(fill(
            t.lock_wrong,
            &[("n", &q.left.unwrap_or(0).clamp(0, 5).to_string())],
        )),
        _ => None,
    };
    let notice_error = problem.is_some();
    let notice = problem.or(notice);
    let practice = state.store.practice().await?;
    let lock_minutes = practice.as_ref().map_or(
        spreekuur_domain::auth::app_lock::DEFAULT_LOCK_MINUTES,
        |p| p.lock_minutes,
    );
    let practice_receipts = practice.as_ref().is_none_or(|p| p.read_receipts);
    let tf_left = state
        .store
        .totp(&me.id)
        .await?
        .filter(|r| r.enabled)
        .map(|r| r.backup_codes_left);
    let tf_status = match tf_left {
        Some(n) => fill(t.tf_status_on, &[("n", &n.to_string())]),
        None => t.tf_status_off.to_string(),
    };
    let passkeys = state
        .store
        .passkeys(&me.id)
        .await?
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id.to_string(),
            name: k.name,
            created: date_time(lang, k.created_at.millis()),
            last_used: k
                .last_used_at
                .map(|at| date_time(lang, at.millis()))
                .unwrap_or_else(|| t.pk_never_used.to_string()),
        })
        .collect();
    let view = SettingsPage {
        layout: page.layout_at("/settings", Some(me), "settings"),
        t,
        notice,
        sessions,
        tf_left,
        tf_status,
        passkeys,
        pk: super::passkeys::availability(state, t),
        notice_error,
        lock_on: session.lock.is_some(),
        lock_intro: fill(t.lock_intro, &[("minutes", &lock_minutes.to_string())]),
        is_staff: me.role.is_staff(),
        sends_receipts: me.send_read_receipts,
        notify_email: me.notify_email,
        notify_hint: fill(
            t.notify_hint,
            &[(
                "minutes",
                &(state.cfg.notify_window_ms / 60_000).to_string(),
            )],
        ),
        practice_receipts,
        tokens: state
            .store
            .tokens(&me.id)
            .await?
            .into_iter()
            .map(|k| TokenRow {
                id: k.id.to_string(),
                name: k.name,
                created: date_time(lang, k.created_at.millis()),
                last_used: k
                    .last_used_at
                    .map(|at| date_time(lang, at.millis()))
                    .unwrap_or_else(|| t.pk_never_used.to_string()),
            })
            .collect(),
        new_token,
    };
    render(StatusCode::OK, &view)
}

/// POST /settings/sessions/{id}/end: another user's session id is "not found".
pub async fn end_session_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let rec = AuditRecord::new(state.clock.now(), Action::SessionEnded, &client)
        .actor(&me.id)
        .object(&id);
    state.store.end_session(&me.id, &id, &rec).await?;
    Ok(see_other("/settings?notice=ended", None))
}

/// POST /settings/sessions/end-others
pub async fn end_others_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    User(me): User,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let rec =
        AuditRecord::new(state.clock.now(), Action::OtherSessionsEnded, &client).actor(&me.id);
    state
        .store
        .end_other_sessions(&me.id, &current_hash(&state, &headers), &rec)
        .await?;
    Ok(see_other("/settings?notice=others_ended", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_plainly() {
        let t = spreekuur_i18n::Lang::Nl.msgs();
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_device(t, chrome), "Chrome op Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(t, iphone), "Safari op iPhone");
        assert_eq!(
            describe_device(
                t,
                "Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0"
            ),
            "Firefox op Windows"
        );
        assert_eq!(describe_device(t, ""), "Onbekend apparaat");
    }
}
