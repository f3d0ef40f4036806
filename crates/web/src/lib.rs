//! The web adapter: an axum router serving the HTML pages of the journeys, health and metrics.
//!
//! Pages are rendered on the server (askama) and work without JavaScript; `static/app.js` only
//! adds the live password checklist, the countdown and other conveniences. Every form carries a
//! CSRF token, every response the security headers, and every error goes through one mapping
//! (`error.rs`).

pub mod api;
mod csrf;
mod error;
mod extract;
pub mod files;
mod layout;
mod middleware;
mod pages;
pub mod rate;
mod state;
pub mod tls;
pub mod webauthn;
mod ws;

pub use state::{AppState, WebConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// `/metrics` alone, for the operator's separate metrics address (`metrics_listen`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(pages::health::metrics))
        .with_state(state)
}

/// The whole router, with its middleware.
pub fn router(state: AppState) -> Router {
    let body_limit = state.cfg.max_body_bytes;
    Router::new()
        .route("/", get(pages::home::home_get))
        .route("/healthz", get(pages::health::healthz))
        .route("/readyz", get(pages::health::readyz))
        .route("/static/{file}", get(pages::assets::asset))
        .route("/sw.js", get(pages::assets::service_worker))
        .route("/manifest.webmanifest", get(pages::assets::manifest))
        .route("/lang/{code}", get(pages::lang::lang_get))
        .route(
            "/setup/{token}",
            get(pages::setup::setup_get).post(pages::setup::setup_post),
        )
        .route(
            "/login",
            get(pages::login::login_get).post(pages::login::login_post),
        )
        .route("/logout", post(pages::login::logout_post))
        .route(
            "/password/{token}",
            get(pages::set_password::set_password_get).post(pages::set_password::set_password_post),
        )
        .route(
            "/session-code",
            get(pages::session_code::session_code_get).post(pages::session_code::session_code_post),
        )
        .route(
            "/session-code/new",
            post(pages::session_code::session_code_new_post),
        )
        .route("/settings", get(pages::settings::settings_get))
        .route("/enrol", get(pages::enrol::enrol_get))
        .route("/settings/tokens", post(pages::settings::token_post))
        .route(
            "/settings/read-receipts",
            post(pages::settings::receipts_post),
        )
        .route(
            "/settings/notifications",
            post(pages::settings::notify_post),
        )
        .route(
            "/settings/tokens/{id}/revoke",
            post(pages::settings::token_revoke_post),
        )
        .route("/settings/app-lock", post(pages::app_lock::enable_post))
        .route(
            "/settings/app-lock/disable",
            post(pages::app_lock::disable_post),
        )
        .route(
            "/lock",
            get(pages::app_lock::lock_get).post(pages::app_lock::lock_post),
        )
        .route("/lock/now", post(pages::app_lock::lock_now_post))
        .route("/lock/status", get(pages::app_lock::status_get))
        .route(
            "/lock/passkey/options",
            post(pages::app_lock::passkey_options_post),
        )
        .route("/lock/passkey", post(pages::app_lock::passkey_post))
        .route("/accounts", get(pages::accounts::accounts_get))
        .route("/accounts/{id}", get(pages::accounts::account_get))
        .route(
            "/accounts/{id}/{action}",
            post(pages::accounts::action_post),
        )
        .route(
            "/settings/two-factor",
            get(pages::totp::setup_get).post(pages::totp::setup_post),
        )
        .route(
            "/settings/two-factor/confirm",
            post(pages::totp::confirm_post),
        )
        .route(
            "/settings/two-factor/disable",
            post(pages::totp::disable_post),
        )
        .route(
            "/two-factor",
            get(pages::totp::login_get).post(pages::totp::login_post),
        )
        .route(
            "/settings/passkeys/options",
            post(pages::passkeys::add_options_post),
        )
        .route("/settings/passkeys", post(pages::passkeys::add_post))
        .route(
            "/settings/passkeys/{id}/remove",
            post(pages::passkeys::remove_post),
        )
        .route(
            "/login/passkey/options",
            post(pages::passkeys::sign_in_options_post),
        )
        .route("/login/passkey", post(pages::passkeys::sign_in_post))
        .route(
            "/two-factor/passkey/options",
            post(pages::passkeys::confirm_options_post),
        )
        .route("/two-factor/passkey", post(pages::passkeys::confirm_post))
        .route(
            "/settings/sessions/end-others",
            post(pages::settings::end_others_post),
        )
        .route(
            "/settings/sessions/{id}/end",
            post(pages::settings::end_session_post),
        )
        .route(
            "/forgot-password",
            get(pages::password_reset::forgot_get).post(pages::password_reset::forgot_post),
        )
        .route(
            "/reset-password/{token}",
            get(pages::set_password::reset_get).post(pages::set_password::reset_post),
        )
        .route(
            "/invite",
            get(pages::invite::invite_get).post(pages::invite::invite_post),
        )
        .route("/invitations", get(pages::invitations::invitations_get))
        .route(
            "/invitations/{id}/resend",
            post(pages::invitations::resend_post),
        )
        .route(
            "/invitations/{id}/withdraw",
            post(pages::invitations::withdraw_post),
        )
        .route("/i/{token}", get(pages::invitation::landing_get))
        .route(
            "/m/{token}",
            get(pages::guest_mail::open_get).post(pages::guest_mail::code_post),
        )
        .route("/m/{token}/reply", post(pages::guest_mail::reply_post))
        .route("/m/{token}/send", post(pages::guest_mail::send_post))
        .route(
            "/m/{token}/wrong-number",
            post(pages::guest_mail::wrong_number_post),
        )
        .route(
            "/secure-mail",
            get(pages::secure_mail::list_get).post(pages::secure_mail::send_post),
        )
        .route("/secure-mail/{id}", get(pages::secure_mail::thread_get))
        .route(
            "/secure-mail/{id}/proof",
            get(pages::secure_mail::proof_get),
        )
        .route(
            "/secure-mail/{id}/recipients/{rid}",
            post(pages::secure_mail::change_post),
        )
        .route(
            "/secure-mail/{id}/revoke",
            post(pages::secure_mail::revoke_post),
        )
        .route(
            "/secure-mail/{id}/reply",
            post(pages::secure_mail::reply_post),
        )
        .route(
            "/i/{token}/register",
            get(pages::registration::details_get).post(pages::registration::details_post),
        )
        .route("/i/{token}/back", post(pages::registration::back_post))
        .route(
            "/i/{token}/complete",
            post(pages::registration::complete_post),
        )
        .route(
            "/i/{token}/existing",
            get(pages::invitation::existing_get).post(pages::invitation::existing_post),
        )
        .route(
            "/i/{token}/decline",
            get(pages::invitation::decline_get).post(pages::invitation::decline_post),
        )
        .route("/terms", get(pages::terms::terms_get))
        .route("/privacy", get(pages::terms::privacy_get))
        .route("/messenger", get(pages::messenger::messenger_get))
        .route("/ws", get(ws::socket_get))
        .merge(api::router())
        .route(
            "/messenger/{id}",
            get(pages::messenger::conversation_get).post(pages::messenger::conversation_post),
        )
        .route("/messenger/{id}/files", post(pages::files::upload_post))
        .route("/files", get(pages::files::files_get))
        .route("/contacts", get(pages::contacts::contacts_get))
        .route(
            "/contacts/{id}/message",
            post(pages::contacts::message_post),
        )
        .route(
            "/teams",
            get(pages::teams::teams_get).post(pages::teams::teams_post),
        )
        .route("/teams/{id}/members", post(pages::teams::member_post))
        .route("/teams/{id}/hours", post(pages::teams::hours_post))
        .route(
            "/teams/{id}/members/{user}/remove",
            post(pages::teams::member_remove_post),
        )
        .route("/teams/{id}/message", post(pages::teams::message_post))
        .route("/messenger/{id}/take", post(pages::teams::take_post))
        .route(
            "/messenger/{id}/hand-over",
            post(pages::teams::hand_over_post),
        )
        .route("/groups", get(pages::groups::groups_get))
        .route(
            "/groups/new",
            get(pages::groups::new_get).post(pages::groups::new_post),
        )
        .route("/groups/{id}", get(pages::groups::group_get))
        .route("/groups/{id}/members", post(pages::groups::add_post))
        .route(
            "/groups/{id}/members/{user}/remove",
            post(pages::groups::remove_post),
        )
        .route("/files/{id}", get(pages::files::file_get))
        .route(
            "/staff",
            get(pages::staff::staff_get).post(pages::staff::staff_post),
        )
        .route("/staff/{id}/active", post(pages::staff::active_post))
        .route(
            "/practice",
            get(pages::practice::practice_get).post(pages::practice::practice_post),
        )
        .route("/dev/mailbox", get(pages::dev_mailbox::mailbox_get))
        .route(
            "/dev/mailbox/{id}/html",
            get(pages::dev_mailbox::mailbox_html_get),
        )
        .fallback(pages::home::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::clean_input::clean_input,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::errors::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::ensure_cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers::security_headers,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(middleware::observe::observe))
        .with_state(state)
}
