//! "Tweefactorauthenticatie" (seeds 001, 002): Instellingen → "Activeer
//! tweefactorauthenticatie" → "Ja" → password again → QR code (and the key as text) → confirm
//! with a first code → 10 backup codes shown once. From then on the login asks for a code from
//! the app (±1 step; a used step is refused) or a backup code (each works once). Turning it off
//! needs the password and a code. The secret is sealed with the key ring.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use spreekuur_crypto::totp::TotpSecret;
use spreekuur_domain::account::Account;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::throttle;
use spreekuur_domain::ports::{PendingStage, SessionDevice};
use spreekuur_domain::token::TokenKind;
use spreekuur_domain::{Error, Timestamp};
use spreekuur_i18n::{Lang, Msgs, fill, time_of_day};

use super::{render, see_other};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Enrolling, LangPref, User, cookies};
use crate::layout::{Layout, urlencode};
use crate::state::AppState;

pub enum SetupStep {
    Password,
    Scan,
    Backup,
}

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct SetupPage {
    layout: Layout,
    t: &'static Msgs,
    step: SetupStep,
    error: Option<String>,
    qr_svg: String,
    key: String,
    backup_codes: Vec<String>,
    download: String,
    /// Set up while signing in (the practice asks for it): no menu yet, no question whether
    /// to turn it on, and "Klaar" goes on to the messenger.
    enrolling: bool,
}

#[derive(Template)]
#[template(path = "two_factor_login.html")]
struct LoginPage {
    layout: Layout,
    t: &'static Msgs,
    error: Option<String>,
    /// The account has an authenticator app (and backup codes).
    has_code: bool,
    /// The account has passkeys.
    has_passkey: bool,
    pk: super::passkeys::PasskeyAvailability,
}

impl LoginPage {
    async fn new(
        state: &AppState,
        lang: Lang,
        csrf: String,
        account: &Account,
        error: Option<String>,
    ) -> Result<Self, PageError> {
        let t = lang.msgs();
        Ok(Self {
            layout: Layout::new(lang, "/two-factor", csrf, None, state, "").await,
            t,
            error,
            has_code: state
                .store
                .totp(&account.id)
                .await?
                .is_some_and(|r| r.enabled),
            has_passkey: !state.store.passkeys(&account.id).await?.is_empty(),
            pk: super::passkeys::availability(state, t),
        })
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

const BACKUP_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Ten backup codes like `k7m2-x9qa`: 8 characters from an alphabet without look-alikes.
fn backup_codes() -> Result<Vec<String>, PageError> {
    (0..10)
        .map(|_| {
            let bytes = spreekuur_crypto::random_bytes::<8>()
                .map_err(|e| Error::Internal(e.to_string()))?;
            let s: String = bytes
                .iter()
                .map(|b| BACKUP_ALPHABET[usize::from(*b) % BACKUP_ALPHABET.len()] as char)
                .collect();
            Ok(format!("{}-{}", &s[..4], &s[4..]))
        })
        .collect()
}

/// A typed backup code, as stored: lower case, separators dropped.
fn normalise_backup(input: &str) -> String {
    input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn backup_hash(state: &AppState, account: &Account, code: &str) -> Vec<u8> {
    state.tokens.hash(
        TokenKind::BackupCode { user: &account.id },
        &normalise_backup(code),
    )
}

fn qr_svg(url: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

async fn setup_page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    who: &Enrolling,
    step: SetupStep,
    error: Option<String>,
) -> Result<SetupPage, PageError> {
    let layout = Layout::new(
        lang,
        "/settings/two-factor",
        csrf,
        Some(&who.account),
        state,
        "settings",
    )
    .await;
    Ok(SetupPage {
        layout: if who.pending {
            layout.without_menu()
        } else {
            layout
        },
        enrolling: who.pending,
        t: lang.msgs(),
        step,
        error,
        qr_svg: String::new(),
        key: String::new(),
        backup_codes: Vec::new(),
        download: String::new(),
    })
}

/// Checks a code from the app (accepting each step once) or a backup code (each once).
async fn check_second_factor(
    state: &AppState,
    account: &Account,
    input: &str,
    now: Timestamp,
) -> Result<bool, PageError> {
    let Some(record) = state.store.totp(&account.id).await?.filter(|r| r.enabled) else {
        return Ok(false);
    };
    let secret = TotpSecret::from_bytes(record.secret);
    if let Some(step) = secret.verify(input, now.millis(), record.last_step) {
        return Ok(state.store.use_totp_step(&account.id, step).await?);
    }
    if normalise_backup(input).len() == 8 {
        return Ok(state
            .store
            .use_backup_code(&account.id, &backup_hash(state, account, input), now)
            .await?);
    }
    Ok(false)
}

/// GET /settings/two-factor: "Wil je tweefactorauthenticatie activeren?"
pub async fn setup_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    enrolling: Enrolling,
) -> PageResult {
    let me = enrolling.account.clone();
    if state.store.totp(&me.id).await?.is_some_and(|r| r.enabled) {
        return Ok(see_other("/settings", None));
    }
    render(
        StatusCode::OK,
        &setup_page(
            &state,
            lang.lang,
            csrf.0,
            &enrolling,
            SetupStep::Password,
            None,
        )
        .await?,
    )
}

/// POST /settings/two-factor: "Ja" with the password: shows the QR code and the key.
pub async fn setup_post(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    if !super::confirm_password(&state, &me, form.password).await? {
        return render(
            StatusCode::UNAUTHORIZED,
            &setup_page(
                &state,
                lang.lang,
                csrf.0,
                &enrolling,
                SetupStep::Password,
                Some(t.tf_wrong_password.into()),
            )
            .await?,
        );
    }
    let secret = TotpSecret::generate().map_err(|e| Error::Internal(e.to_string()))?;
    state
        .store
        .begin_totp(&me.id, secret.as_bytes(), state.clock.now())
        .await?;
    scan_page(
        &state,
        lang.lang,
        csrf.0,
        &enrolling,
        &secret,
        None,
        StatusCode::OK,
    )
    .await
}

async fn scan_page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    who: &Enrolling,
    secret: &TotpSecret,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let practice = state.practice_name().await?;
    let issuer = if practice.is_empty() {
        "Spreekuur".to_string()
    } else {
        practice
    };
    let mut page = setup_page(state, lang, csrf, who, SetupStep::Scan, error).await?;
    page.qr_svg = qr_svg(&secret.otpauth_url(&issuer, who.account.email.as_str()))?;
    let key = secret.base32();
    page.key = key
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    render(status, &page)
}

/// POST /settings/two-factor/confirm: the first code turns it on and shows the backup codes.
pub async fn confirm_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    let Some(record) = state.store.totp(&me.id).await?.filter(|r| !r.enabled) else {
        return Ok(see_other("/settings", None));
    };
    let secret = TotpSecret::from_bytes(record.secret);
    let now = state.clock.now();
    let Some(step) = secret.verify(&form.code, now.millis(), None) else {
        return scan_page(
            &state,
            lang.lang,
            csrf.0,
            &enrolling,
            &secret,
            Some(t.tf_code_wrong.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let codes = backup_codes()?;
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| backup_hash(&state, &me, c)).collect();
    let rec = AuditRecord::new(now, Action::TwoFactorEnabled, &client).actor(&me.id);
    state.store.enable_totp(&me.id, step, &hashes, &rec).await?;
    let cookie = enrolling.complete(&state).await?;
    let mut page = setup_page(
        &state,
        lang.lang,
        csrf.0,
        &enrolling,
        SetupStep::Backup,
        None,
    )
    .await?;
    page.download = urlencode(&format!("{}\n\n{}\n", t.tf_backup_intro, codes.join("\n")));
    page.backup_codes = codes;
    let mut r = render(StatusCode::OK, &page)?;
    if let Some(c) = cookie {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    Ok(r)
}

/// POST /settings/two-factor/disable: password and a code.
pub async fn disable_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let now = state.clock.now();
    let password_ok = super::confirm_password(&state, &me, form.password).await?;
    if !password_ok || !check_second_factor(&state, &me, &form.code, now).await? {
        state
            .store
            .audit(
                &AuditRecord::new(now, Action::TwoFactorRefused, &client)
                    .actor(&me.id)
                    .failed(),
            )
            .await?;
        return Ok(see_other("/settings?notice=tf_refused", None));
    }
    state
        .store
        .disable_totp(
            &me.id,
            &AuditRecord::new(now, Action::TwoFactorDisabled, &client).actor(&me.id),
        )
        .await?;
    Ok(see_other("/settings?notice=tf_disabled", None))
}

/// After a correct password, when the account uses an authenticator app: a pending sign-in.
pub async fn begin(state: &AppState, account: &Account, device: &SessionDevice) -> PageResult {
    super::pending_sign_in(state, account, device, PendingStage::SecondFactor).await
}

/// The pending sign-in of this browser: its session hash and account.
pub(super) async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Vec<u8>, Account)>, PageError> {
    let Some(token) = cookies::get(headers, cookies::SESSION, state.cfg.secure_cookies()) else {
        return Ok(None);
    };
    let hash = state.tokens.hash(TokenKind::Session, &token);
    Ok(state
        .store
        .pending_account(&hash, state.clock.now(), PendingStage::SecondFactor)
        .await?
        .map(|a| (hash, a)))
}

/// GET /two-factor
pub async fn login_get(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    let Some((_, account)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let page = LoginPage::new(&state, lang.lang, csrf.0, &account, None).await?;
    render(StatusCode::OK, &page)
}

/// POST /two-factor: a code from the app or a backup code; guessing is throttled per account.
pub async fn login_post(
    State(state): State<AppState>,
    lang: LangPref,
    headers: HeaderMap,
    Client(client): Client,
    Extension(csrf): Extension<CsrfToken>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let Some((hash, account)) = pending(&state, &headers).await? else {
        return Ok(see_other("/login", None));
    };
    let t = lang.lang.msgs();
    let now = state.clock.now();
    let blocked = |until: Timestamp| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            fill(
                t.second_step_blocked,
                &[("time", &time_of_day(until.millis()))],
            ),
            Some(until),
        )
    };
    let (status, message, until) = match take_second_step(&state, &account, now, &client).await? {
        Err(until) => blocked(until),
        Ok(_)
            if check_second_factor(&state, &account, &form.code, now).await?
                && state
                    .store
                    .complete_pending_session(&hash, now, PendingStage::SecondFactor)
                    .await? =>
        {
            state
                .store
                .clear_throttle(&throttle::second_step_key(&account.id))
                .await?;
            state
                .store
                .audit(
                    &AuditRecord::new(now, Action::TwoFactorAccepted, &client).actor(&account.id),
                )
                .await?;
            let cookie = super::rotated_session(&state, &hash).await?;
            return Ok(see_other("/messenger", cookie));
        }
        Ok(counted) => {
            state
                .store
                .audit(
                    &AuditRecord::new(now, Action::TwoFactorRefused, &client)
                        .actor(&account.id)
                        .failed(),
                )
                .await?;
            match counted.blocked(now) {
                Some(until) => blocked(until),
                None => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    t.tf_code_wrong.to_string(),
                    None,
                ),
            }
        }
    };
    let page = LoginPage::new(&state, lang.lang, csrf.0, &account, Some(message)).await?;
    let r = render(status, &page)?;
    Ok(match until {
        Some(until) => super::retry_after(r, until, now),
        None => r,
    })
}

/// Counts one second-step answer (session code, authenticator or backup code, app-lock PIN)
/// for the account before it is checked: `Err(until)` while the account must wait (audited),
/// else the count with this answer in it. A right answer clears it
/// (`throttle::second_step_key`).
pub(super) async fn take_second_step(
    state: &AppState,
    account: &Account,
    now: Timestamp,
    client: &str,
) -> Result<Result<throttle::Throttle, Timestamp>, PageError> {
    let key = throttle::second_step_key(&account.id);
    let taken = state
        .store
        .take_attempt(&key, now, throttle::SECOND_STEP_FREE)
        .await?;
    if taken.is_err() {
        let rec = AuditRecord::new(now, Action::SecondStepThrottled, client)
            .actor(&account.id)
            .failed();
        state.store.audit(&rec).await?;
    }
    Ok(taken)
}
