//! "Tweede stap instellen": when the practice asks for two-factor authentication and an account
//! has neither an authenticator app nor a passkey (the default for staff), the password opens
//! only this page and the two ways to set one up. Setting one up opens the messenger.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use spreekuur_i18n::Msgs;

use super::passkeys::{PasskeyAvailability, availability};
use super::{render, see_other};
use crate::error::PageResult;
use crate::extract::{Enrolling, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    layout: Layout,
    t: &'static Msgs,
    pk: PasskeyAvailability,
}

/// GET /enrol
pub async fn enrol_get(State(state): State<AppState>, page: Page, me: Enrolling) -> PageResult {
    if !me.pending {
        return Ok(see_other("/settings", None));
    }
    let t = page.lang.msgs();
    let view = EnrolPage {
        layout: page.layout(Some(&me.account), "").without_menu(),
        t,
        pk: availability(&state, t),
    };
    render(StatusCode::OK, &view)
}
