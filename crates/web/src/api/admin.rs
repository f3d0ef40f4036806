//! Members, external ids and what administrators' tokens may do besides: provision accounts
//! from a practice system (staff get a link to set their password; patients get the usual
//! invitation, so they accept the terms themselves) and set a token's rate. Every call that
//! changes something is on record in the audit trail.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spreekuur_domain::account::{Role, StaffForm, create_staff};
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::error::Reason;
use spreekuur_domain::invitation;
use spreekuur_domain::live::LiveEvent;
use spreekuur_domain::{ConversationId, Error, FormError, TokenId, UserId};
use spreekuur_i18n::Lang;
use utoipa::ToSchema;

use super::error::{ApiFailure, ApiJson, ApiResult};
use super::rules;
use super::token::TokenUser;
use crate::extract::Client;
use crate::state::AppState;

/// A member of a conversation.
#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    id: String,
    name: String,
    /// `admin`, `provider`, `assistant` or `patient`.
    role: &'static str,
}

fn conversation_id(id: &str) -> Result<ConversationId, Error> {
    ConversationId::parse(id).ok_or(Error::NotFound)
}

/// The store answers "not found" for a conversation that is no group, as for one the account is
/// not in. A member of a 1:1 (or team) conversation knows it exists, so for them it is a
/// conflict with what the conversation is (409), not a missing one; anyone else still gets 404.
async fn not_a_group(
    state: &AppState,
    id: &ConversationId,
    user: &TokenUser,
    e: Error,
) -> ApiFailure {
    let me = &user.account.id;
    if matches!(e, Error::NotFound)
        && state.store.conversation_members(id, me).await.is_ok()
        && matches!(
            state.store.group_members(id, me).await,
            Err(Error::NotFound)
        )
    {
        return ApiFailure::request(
            StatusCode::CONFLICT,
            "this conversation is no group: a 1:1 conversation has no members to add or remove \
             (make a group with POST /api/v1/groups)",
        );
    }
    e.into()
}

/// The current members of a conversation the token's account is in.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/members", operation_id = "list_members",
    params(("id" = inline(rules::Id), Path, description = "conversation id")),
    responses(
        (status = 200, body = [MemberOut]),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
    ))]
pub async fn members(
    State(state): State<AppState>,
    user: TokenUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MemberOut>>> {
    let id = conversation_id(&id)?;
    let people = state
        .store
        .conversation_members(&id, &user.account.id)
        .await?;
    Ok(Json(
        people
            .into_iter()
            .map(|p| MemberOut {
                id: p.id.to_string(),
                name: p.name,
                role: p.role.as_str(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The account to add: someone the token's account may reach (a colleague, or a patient
    /// it is connected with; at most one patient per group).
    #[schema(schema_with = rules::uuid)]
    member: String,
}

/// Adds a member to a group conversation (staff in the group).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/members", operation_id = "add_member",
    params(("id" = inline(rules::Id), Path, description = "group conversation id")),
    request_body = NewMember,
    responses(
        (status = 201, description = "added"),
        (status = 200, description = "was a member already"),
        (status = 404, description = "no such conversation, not in it, or someone the account may not reach", body = super::error::ApiError),
        (status = 409, description = "a conversation the account is in, but no group", body = super::error::ApiError),
        (status = 422, description = "a second patient", body = super::error::ApiError),
    ))]
pub async fn add_member(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMember>,
) -> ApiResult<Response> {
    let id = conversation_id(&id)?;
    let Some(member) = UserId::parse(&body.member) else {
        return Err(not_a_group(&state, &id, &user, Error::NotFound).await);
    };
    let added = match state
        .store
        .add_member(&id, &user.account, &member, state.clock.now(), &client)
        .await
    {
        Ok(added) => added,
        Err(e) => return Err(not_a_group(&state, &id, &user, e).await),
    };
    if added {
        state.publish(LiveEvent::Members { conversation: id }).await;
        Ok(StatusCode::CREATED.into_response())
    } else {
        Ok(StatusCode::OK.into_response())
    }
}

/// Removes a member from a group conversation (staff in the group; not oneself).
///
/// From then on they read nothing of it.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/members/{member}", operation_id = "remove_member",
    params(
        ("id" = inline(rules::Id), Path, description = "group conversation id"),
        ("member" = inline(rules::Id), Path, description = "account id"),
    ),
    responses(
        (status = 204, description = "removed"),
        (status = 404, description = "no such conversation, not in it, not a member of it, or oneself", body = super::error::ApiError),
        (status = 409, description = "a conversation the account is in, but no group", body = super::error::ApiError),
    ))]
pub async fn remove_member(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = conversation_id(&id)?;
    let Some(member) = UserId::parse(&member) else {
        return Err(not_a_group(&state, &id, &user, Error::NotFound).await);
    };
    if let Err(e) = state
        .store
        .remove_member(&id, &user.account, &member, state.clock.now(), &client)
        .await
    {
        return Err(not_a_group(&state, &id, &user, e).await);
    }
    state.publish(LiveEvent::Members { conversation: id }).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalId {
    #[schema(schema_with = rules::external_id)]
    external_id: Option<String>,
}

/// Sets a conversation's external id (staff in it).
///
/// Search with `GET /api/v1/conversations?external_id=…`.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/external-id", operation_id = "set_external_id",
    params(("id" = inline(rules::Id), Path, description = "conversation id")),
    request_body = ExternalId,
    responses(
        (status = 200, description = "set (or cleared); the value as stored", body = ExternalId),
        (status = 404, description = "no such conversation, or not a member", body = super::error::ApiError),
        (status = 422, description = "an external id the schema does not allow", body = super::error::ApiError),
    ))]
pub async fn set_external_id(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExternalId>,
) -> ApiResult<Json<ExternalId>> {
    let id = conversation_id(&id)?;
    state
        .store
        .set_external_id(
            &id,
            &user.account,
            body.external_id.as_deref(),
            state.clock.now(),
            &client,
        )
        .await?;
    let external_id = state.store.external_id(&id, &user.account.id).await?;
    Ok(Json(ExternalId { external_id }))
}

fn admin(user: &TokenUser) -> Result<(), Error> {
    if user.account.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountIn {
    #[schema(schema_with = roles)]
    role: String,
    #[schema(schema_with = rules::person_name)]
    first_name: String,
    #[schema(schema_with = rules::person_name)]
    last_name: String,
    #[schema(schema_with = rules::email)]
    email: String,
    #[schema(schema_with = langs)]
    lang: Option<String>,
    #[schema(schema_with = rules::note)]
    note: Option<String>,
}

fn roles() -> utoipa::openapi::schema::Schema {
    rules::described(
        rules::one_of(&["provider", "assistant", "admin", "patient"], false),
        "Staff (`provider`, `assistant`, `admin`) get an account and an e-mail with a link \
         to set their password; a `patient` gets the invitation.",
    )
}

fn langs() -> utoipa::openapi::schema::Schema {
    rules::described(
        rules::one_of(&["nl", "en"], true),
        "The language of the e-mail and of the account (default `nl`).",
    )
}

#[derive(Serialize, ToSchema)]
pub struct ProvisionedOut {
    /// Staff: the new account's id; they get an e-mail with a link to set their password.
    account: Option<String>,
    /// Patients: the invitation's id; they get the invitation e-mail, accept the terms and
    /// choose a password themselves, and the conversation with the token's account opens.
    invitation: Option<String>,
}

/// Creates an account from a practice system (administrators' tokens only).
#[utoipa::path(post, path = "/api/v1/accounts", operation_id = "create_account",
    request_body = NewAccountIn,
    responses(
        (status = 201, body = ProvisionedOut),
        (status = 403, description = "not an administrator's token", body = super::error::ApiError),
        (status = 409, description = "the address has an account", body = super::error::ApiError),
        (status = 422, description = "a field the schema does not allow; `message` names it", body = super::error::ApiError),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    ApiJson(body): ApiJson<NewAccountIn>,
) -> ApiResult<Response> {
    admin(&user)?;
    let role = Role::parse(&body.role).ok_or(Error::invalid(
        "role",
        Reason::Api("provider, assistant, admin or patient"),
    ))?;
    // Exactly the two codes the document names (the pages also take `nl-BE`, ` EN`, …).
    let lang = match body.lang.as_deref() {
        None | Some("nl") => Lang::Nl,
        Some("en") => Lang::En,
        Some(_) => return Err(Error::invalid("lang", Reason::Api("nl or en")).into()),
    };
    let note = body.note.as_deref().unwrap_or("");
    rules::check_length("note", note, spreekuur_domain::invitation::NOTE_MAX_CHARS)?;
    let practice = state.practice_name().await?;
    let now = state.clock.now();
    let out = if role.is_staff() {
        let typed = StaffForm {
            first_name: &body.first_name,
            last_name: &body.last_name,
            email: &body.email,
            role,
            lang: lang.code(),
        };
        let made = create_staff(
            &*state.store,
            &*state.tokens,
            state.letters(&practice),
            Some(&user.account.id),
            &typed,
            now,
            &client,
        )
        .await
        .map_err(FormError::first)?;
        let rec = AuditRecord::new(now, Action::AccountCreatedByApi, &client)
            .actor(&user.account.id)
            .object(&made.id);
        state.store.audit(&rec).await?;
        ProvisionedOut {
            account: Some(made.id.to_string()),
            invitation: None,
        }
    } else {
        let typed = invitation::InviteForm {
            first_name: &body.first_name,
            last_name: &body.last_name,
            email: &body.email,
            note,
            lang: lang.code(),
        };
        let sending = crate::pages::invite::sending(&state, &practice, &client);
        let inv = invitation::invite(sending, &user.account, &typed, invitation::Channel::Api)
            .await
            .map_err(FormError::first)?;
        ProvisionedOut {
            account: None,
            invitation: Some(inv.id.to_string()),
        }
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// A live token of any account, as administrators see it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    id: String,
    name: String,
    account: String,
    account_name: String,
    /// Requests per minute; 0: no limit; null: the default (600).
    rate_per_minute: Option<i64>,
    /// Milliseconds since 1970 (UTC).
    created_at: i64,
}

/// Every live token of the practice's staff (administrators' tokens only).
#[utoipa::path(get, path = "/api/v1/tokens", operation_id = "list_tokens",
    responses(
        (status = 200, body = [TokenOut]),
        (status = 403, description = "not an administrator's token", body = super::error::ApiError),
    ))]
pub async fn tokens(
    State(state): State<AppState>,
    user: TokenUser,
) -> ApiResult<Json<Vec<TokenOut>>> {
    admin(&user)?;
    let mut out = Vec::new();
    for account in state.store.list_staff().await? {
        for t in state.store.tokens(&account.id).await? {
            out.push(TokenOut {
                id: t.id.to_string(),
                name: t.name,
                account: account.id.to_string(),
                account_name: account.display_name(),
                rate_per_minute: t.rate_per_minute,
                created_at: t.created_at.millis(),
            });
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRate {
    /// Requests per minute; 0 for no limit; null (or left out) for the default (600).
    #[serde(default, deserialize_with = "rules::json_integer")]
    #[schema(minimum = 0, maximum = 1_000_000)]
    rate_per_minute: Option<i64>,
}

/// Sets a token's rate limit (administrators' tokens only).
///
/// For example none for an integration that sends in bulk. A token cannot change its own limit
/// (it could lock itself out): use another administrator's token.
#[utoipa::path(patch, path = "/api/v1/tokens/{id}", operation_id = "set_token_rate",
    params(("id" = inline(rules::Id), Path, description = "token id")),
    request_body = TokenRate,
    responses(
        (status = 204, description = "set"),
        (status = 403, description = "not an administrator's token, or the token itself", body = super::error::ApiError),
        (status = 404, description = "no such live token", body = super::error::ApiError),
        (status = 422, description = "a rate outside 0–1,000,000", body = super::error::ApiError),
    ))]
pub async fn set_token_rate(
    State(state): State<AppState>,
    Client(client): Client,
    user: TokenUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TokenRate>,
) -> ApiResult<Response> {
    admin(&user)?;
    let id = TokenId::parse(&id).ok_or(Error::NotFound)?;
    // A token that lowered its own limit could lock itself out of the way back. The request is
    // well formed; this token may not make it (403).
    if id == user.token.id {
        return Err(ApiFailure::request(
            StatusCode::FORBIDDEN,
            "a token cannot change its own rate limit: use another administrator's token",
        ));
    }
    if body
        .rate_per_minute
        .is_some_and(|r| !(0..=1_000_000).contains(&r))
    {
        return Err(Error::invalid("rate_per_minute", Reason::Api("0 to 1000000, or null")).into());
    }
    let rec = AuditRecord::new(state.clock.now(), Action::TokenRateSet, &client)
        .actor(&user.account.id)
        .object(&id);
    if state
        .store
        .set_token_rate(&id, body.rate_per_minute, &rec)
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Error::NotFound.into())
    }
}
