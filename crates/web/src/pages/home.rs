//! The start page sends people where they belong; unknown paths get the "not found" page.

use axum::response::Response;
use spreekuur_domain::Error;

use super::see_other;
use crate::error::{PageError, PageResult};
use crate::extract::MaybeUser;

/// GET /
pub async fn home_get(MaybeUser(user): MaybeUser) -> PageResult {
    Ok(match user {
        Some(_) => see_other("/messenger", None),
        None => see_other("/login", None),
    })
}

/// Any other path.
pub async fn not_found() -> Result<Response, PageError> {
    Err(Error::NotFound.into())
}
