//! The JSON API for practice systems, under `/api/v1`. Authentication is a personal access
//! token (`Authorization: Bearer spk_…`, made in Instellingen or with `spreekuur admin
//! create-token`); the same authorization rules as the web pages apply, because the same store
//! calls make the same checks. The OpenAPI document at `/api/v1/openapi.json` is generated from
//! the annotations on the handlers and types below.

mod admin;
pub(crate) mod conversations;
mod doc;
mod error;
pub(crate) mod files;
mod groups;
mod rules;
mod token;

use axum::Router;
use axum::routing::{any, get};

use crate::state::AppState;

/// The `/api/v1` routes. Every answer under `/api/` is JSON, errors in the shape of
/// [`ApiError`]: a route that does not exist, a method a route does not have and a request an
/// extractor refused included.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(doc::openapi_json))
        .route("/api/v1/me", get(conversations::me))
        .route(
            "/api/v1/conversations",
            get(conversations::list).post(conversations::open),
        )
        .route(
            "/api/v1/conversations/{id}/messages",
            get(conversations::messages).post(conversations::send),
        )
        .route(
            "/api/v1/conversations/{id}/files",
            axum::routing::post(files::upload),
        )
        .route(
            "/api/v1/conversations/{id}/members",
            get(admin::members).post(admin::add_member),
        )
        .route(
            "/api/v1/conversations/{id}/members/{member}",
            axum::routing::delete(admin::remove_member),
        )
        .route(
            "/api/v1/conversations/{id}/external-id",
            axum::routing::put(admin::set_external_id),
        )
        .route("/api/v1/groups", axum::routing::post(groups::create))
        .route(
            "/api/v1/accounts",
            axum::routing::post(admin::create_account),
        )
        .route("/api/v1/tokens", get(admin::tokens))
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::patch(admin::set_token_rate),
        )
        .route("/api/v1/files", get(files::list))
        .route("/api/v1/files/{id}", get(files::download))
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(axum::middleware::map_response(json_errors))
}

pub use doc::ApiDoc;
pub use error::*;
pub use token::{DEFAULT_RATE_PER_MINUTE, TokenUser, token_user};
