//! "algemene voorwaarden" and "privacy statement": texts the practice sets (Praktijkgegevens).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use spreekuur_i18n::Msgs;

use super::render;
use crate::error::PageResult;
use crate::extract::{MaybeUser, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "terms.html")]
struct TermsPage {
    layout: Layout,
    t: &'static Msgs,
    title: &'static str,
    paragraphs: Vec<String>,
}

async fn show(state: AppState, page: Page, user: MaybeUser, privacy: bool) -> PageResult {
    let t = page.lang.msgs();
    let practice = state.store.practice().await?;
    let text = practice
        .map(|p| {
            if privacy {
                p.privacy_text
            } else {
                p.terms_text
            }
        })
        .unwrap_or_default();
    let paragraphs = text
        .split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let view = TermsPage {
        layout: page.layout(user.0.as_ref(), ""),
        t,
        title: if privacy {
            t.privacy_title
        } else {
            t.terms_title
        },
        paragraphs,
    };
    render(StatusCode::OK, &view)
}

/// GET /terms
pub async fn terms_get(State(state): State<AppState>, page: Page, user: MaybeUser) -> PageResult {
    show(state, page, user, false).await
}

/// GET /privacy
pub async fn privacy_get(State(state): State<AppState>, page: Page, user: MaybeUser) -> PageResult {
    show(state, page, user, true).await
}
