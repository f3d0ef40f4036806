//! Group conversations over the API: a practice system makes one as a staff member makes one on
//! the "Groepen" page, through the same function and so with the same rules (staff only; only
//! people the account may reach; at most one patient).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use spreekuur_domain::Error;
use spreekuur_domain::error::Reason;
use spreekuur_domain::group::GROUP_NAME_MAX_CHARS;
use utoipa::ToSchema;

use super::conversations::ConversationOut;
use super::error::{ApiJson, ApiResult};
use super::rules;
use super::token::TokenUser;
use crate::extract::Client;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    #[schema(schema_with = rules::group_name)]
    name: String,
    #[schema(schema_with = rules::members)]
    members: Vec<String>,
}

/// Makes a group conversation of the token's account and `members` (staff tokens).
#[utoipa::path(post, path = "/api/v1/groups", operation_id = "create_group",
    request_body = NewGroup,
    responses(
        (status = 201, description = "made; the token's account and every member are in it", body = ConversationOut),
        (status = 404, description = "a member that is no account, or someone the token's account may not reach", body = super::error::ApiError),
        (status = 422, description = "a name or member list the schema does not allow, or a second patient", body = super::error::ApiError),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    ApiJson(body): ApiJson<NewGroup>,
) -> ApiResult<Response> {
    rules::check_free_text("name", &body.name, GROUP_NAME_MAX_CHARS)?;
    if body.members.is_empty() {
        return Err(Error::invalid("members", Reason::Api("at least one")).into());
    }
    let id = crate::pages::groups::create_group(
        &state,
        &user.account,
        &body.name,
        &body.members,
        &client,
    )
    .await?;
    let summary = state
        .store
        .conversations_for(&user.account.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(ConversationOut::from(&summary))).into_response())
}
