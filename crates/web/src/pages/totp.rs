//! "Tweefactorauthenticatie" (seeds 001, 002): Instellingen → "Activeer
//! tweefactorauthenticatie" → "Ja" → password again → QR code (and the key as text) → confirm
//! with a first code → 10 backup codes shown once. From then on the login asks for a code from
//! the app (±1 step; a used step is refused) or a backup code (each works once). Turning it off
//! needs the password and a code. The secret is sealed with the key ring.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use spreekuur_crypto::totp::TotpSecret;
use spreekuur_domain::Error;
use spreekuur_domain::account::Account;
use spreekuur_domain::auth::totp::{self, Answer};
use spreekuur_domain::ports::PendingStage;
use spreekuur_i18n::Msgs;

use super::{render, see_other};
use crate::csrf::CsrfForm;
use crate::error::{PageError, PageResult};
use crate::extract::{Client, Enrolling, Page, User, waiting};
use crate::layout::{Layout, urlencode};
use crate::state::AppState;

pub enum SetupStep {
    Password,
    Scan,
    Backup,
}

#[derive(Template)]
#[template(path = "totp_setup.html")]
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
#[template(path = "totp_login.html")]
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
        page: &Page,
        account: &Account,
        error: Option<String>,
    ) -> Result<Self, PageError> {
        let t = page.lang.msgs();
        Ok(Self {
            layout: page.layout_at("/two-factor", None, ""),
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

fn qr_svg(url: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

fn setup_page(page: &Page, who: &Enrolling, step: SetupStep, error: Option<String>) -> SetupPage {
    let layout = page.layout_at("/settings/two-factor", Some(&who.account), "settings");
    SetupPage {
        layout: if who.pending {
            layout.without_menu()
        } else {
            layout
        },
        enrolling: who.pending,
        t: page.lang.msgs(),
        step,
        error,
        qr_svg: String::new(),
        key: String::new(),
        backup_codes: Vec::new(),
        download: String::new(),
    }
}

/// GET /settings/two-factor: "Wil je tweefactorauthenticatie activeren?"
pub async fn setup_get(
    State(state): State<AppState>,
    page: Page,
    enrolling: Enrolling,
) -> PageResult {
    let me = enrolling.account.clone();
    if state.store.totp(&me.id).await?.is_some_and(|r| r.enabled) {
        return Ok(see_other("/settings", None));
    }
    render(
        StatusCode::OK,
        &setup_page(&page, &enrolling, SetupStep::Password, None),
    )
}

/// POST /settings/two-factor: "Ja" with the password: shows the QR code and the key.
pub async fn setup_post(
    State(state): State<AppState>,
    page: Page,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = page.lang.msgs();
    if !super::confirm_password(&state, &me, form.password).await? {
        return render(
            StatusCode::UNAUTHORIZED,
            &setup_page(
                &page,
                &enrolling,
                SetupStep::Password,
                Some(t.tf_wrong_password.into()),
            ),
        );
    }
    let secret = TotpSecret::generate().map_err(|e| Error::Internal(e.to_string()))?;
    state
        .store
        .begin_totp(&me.id, secret.as_bytes(), state.clock.now())
        .await?;
    scan_page(&state, &page, &enrolling, &secret, None, StatusCode::OK).await
}

async fn scan_page(
    state: &AppState,
    page: &Page,
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
    let mut view = setup_page(page, who, SetupStep::Scan, error);
    view.qr_svg = qr_svg(&secret.otpauth_url(&issuer, who.account.email.as_str()))?;
    let key = secret.base32();
    view.key = key
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    render(status, &view)
}

/// POST /settings/two-factor/confirm: the first code turns it on and shows the backup codes.
pub async fn confirm_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = page.lang.msgs();
    let Some(record) = state.store.totp(&me.id).await?.filter(|r| !r.enabled) else {
        return Ok(see_other("/settings", None));
    };
    let secret = TotpSecret::from_bytes(record.secret);
    let Some(codes) = totp::enable(&state.signing_in(&client), &me, &form.code).await? else {
        return scan_page(
            &state,
            &page,
            &enrolling,
            &secret,
            Some(t.tf_code_wrong.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let cookie = enrolling.complete(&state).await?;
    let mut view = setup_page(&page, &enrolling, SetupStep::Backup, None);
    view.download = urlencode(&format!("{}\n\n{}\n", t.tf_backup_intro, codes.join("\n")));
    view.backup_codes = codes;
    let mut r = render(StatusCode::OK, &view)?;
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
    let password_ok = super::confirm_password(&state, &me, form.password).await?;
    let s = state.signing_in(&client);
    if totp::disable(&s, &me, password_ok, &form.code).await? {
        Ok(see_other("/settings?notice=tf_disabled", None))
    } else {
        Ok(see_other("/settings?notice=tf_refused", None))
    }
}

/// GET /two-factor
pub async fn login_get(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> PageResult {
    let Some((_, account)) = waiting(&state, &headers, PendingStage::SecondFactor).await? else {
        return Ok(see_other("/login", None));
    };
    let view = LoginPage::new(&state, &page, &account, None).await?;
    render(StatusCode::OK, &view)
}

/// POST /two-factor: a code from the app or a backup code; guessing is throttled per account.
pub async fn login_post(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Client(client): Client,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let Some((hash, account)) = waiting(&state, &headers, PendingStage::SecondFactor).await? else {
        return Ok(see_other("/login", None));
    };
    let t = page.lang.msgs();
    let now = state.clock.now();
    let (status, message, until) =
        match totp::answer(&state.signing_in(&client), &hash, &account, &form.code).await? {
            Answer::Open(session) => {
                return Ok(see_other(
                    "/messenger",
                    Some(super::session_cookie(&state, &session.token)?),
                ));
            }
            Answer::Wrong => (
                StatusCode::UNPROCESSABLE_ENTITY,
                t.tf_code_wrong.to_string(),
                None,
            ),
            Answer::Blocked(until) => (
                StatusCode::TOO_MANY_REQUESTS,
                super::second_step_blocked(t, until),
                Some(until),
            ),
        };
    let view = LoginPage::new(&state, &page, &account, Some(message)).await?;
    let r = render(status, &view)?;
    Ok(match until {
        Some(until) => super::retry_after(r, until, now),
        None => r,
    })
}
