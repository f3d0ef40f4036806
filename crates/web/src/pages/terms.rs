//! "algemene voorwaarden" and "privacy statement": texts the practice sets (Praktijkgegevens).

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use spreekuur_i18n::Msgs;

use super::render;
use crate::csrf::CsrfToken;
use crate::error::PageResult;
use crate::extract::{LangPref, MaybeUser};
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

async fn show(
    state: AppState,
    lang: LangPref,
    csrf: String,
    user: MaybeUser,
    privacy: bool,
) -> PageResult {
    let t = lang.lang.msgs();
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
    let path = if privacy { "/privacy" } else { "/terms" };
    let page = TermsPage {
        layout: Layout::new(lang.lang, path, csrf, user.0.as_ref(), &state, "").await,
        t,
        title: if privacy {
            t.privacy_title
        } else {
            t.terms_title
        },
        paragraphs,
    };
    render(StatusCode::OK, &page)
}

/// GET /terms
pub async fn terms_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    user: MaybeUser,
) -> PageResult {
    show(state, lang, csrf.0, user, false).await
}

/// GET /privacy
pub async fn privacy_get(
    State(state): State<AppState>,
    lang: LangPref,
    Extension(csrf): Extension<CsrfToken>,
    user: MaybeUser,
) -> PageResult {
    show(state, lang, csrf.0, user, true).await
}
