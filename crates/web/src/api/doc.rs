//! The OpenAPI document of `/api/v1`: generated from the handlers' annotations, with the
//! bearer scheme, the answers every operation can give and the links between operations
//! added here.

use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::error::{ApiError, ErrorBody};
use super::{admin, conversations, files, groups};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spreekuur API",
        version = "1",
        description = "Conversations and messages of a Spreekuur server, for practice systems. \
            Authenticate with a personal access token: `Authorization: Bearer spk_…` (the \
            `bearer` security scheme). Every error is JSON in the shape of `ApiError`. Text \
            never holds NUL or bytes that are not UTF-8: such a request is refused (400) \
            wherever they are, in the URL or the body. Live delivery uses the WebSocket \
            described in docs/websocket.md."
    ),
    paths(
        conversations::me,
        conversations::list,
        conversations::open,
        conversations::messages,
        conversations::send,
        files::upload,
        files::list,
        files::download,
        admin::members,
        admin::add_member,
        admin::remove_member,
        admin::set_external_id,
        groups::create,
        admin::create_account,
        admin::tokens,
        admin::set_token_rate
    ),
    components(schemas(
        ApiError,
        ErrorBody,
        conversations::Me,
        conversations::ConversationOut,
        conversations::OpenConversation,
        conversations::MessageOut,
        conversations::MessagePage,
        conversations::NewMessage,
        conversations::FileOut,
        files::FileListingOut,
        groups::NewGroup,
        admin::MemberOut,
        admin::NewMember,
        admin::ExternalId,
        admin::NewAccountIn,
        admin::ProvisionedOut,
        admin::TokenOut,
        admin::TokenRate
    )),
    modifiers(&BearerToken, &CommonAnswers, &Links),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The `bearer` security scheme: a personal access token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("spk_…")
                    .description(Some(
                        "A personal access token (`spk_` and 43 characters), made in \
                         Instellingen or with `spreekuur admin create-token`; it acts as its \
                         staff account.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Answers any operation can give, as shared components: a request refused before its handler
/// (400), no valid token (401), past the token's rate (429); for a JSON body also too large
/// (413), not JSON (415) and not what the operation takes (422).
struct CommonAnswers;

impl CommonAnswers {
    const ANSWERS: [(&'static str, &'static str, &'static str); 6] = [
        (
            "400",
            "BadRequest",
            "Malformed: a query or JSON body that cannot be read, or text holding NUL or \
             bytes that are not UTF-8.",
        ),
        (
            "401",
            "Unauthorized",
            "No valid token: `Authorization: Bearer spk_…` is missing, unknown or revoked.",
        ),
        (
            "413",
            "TooLarge",
            "The body is larger than this server accepts.",
        ),
        (
            "415",
            "UnsupportedMediaType",
            "The body is not sent as `Content-Type: application/json`.",
        ),
        (
            "422",
            "Invalid",
            "The body or a parameter is not what the operation takes; `message` names the \
             field.",
        ),
        (
            "429",
            "RateLimited",
            "Too many requests for this token this minute; `Retry-After` says how many \
             seconds until the next.",
        ),
    ];

    fn operations(
        openapi: &mut utoipa::openapi::OpenApi,
    ) -> impl Iterator<Item = &mut Operation> + '_ {
        openapi.paths.paths.values_mut().flat_map(|item| {
            [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
        })
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in Self::ANSWERS {
            let mut answer = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiError")))
                    .build(),
            );
            let integer = || {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(1))
                    .build()
            };
            let text = || {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .build()
            };
            if status == "429" {
                answer = answer.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(integer()))
                        .description(Some("Seconds until the token may send again."))
                        .build(),
                );
            }
            if status == "401" {
                answer = answer.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(Some(text()))
                        .description(Some("`Bearer`"))
                        .build(),
                );
            }
            components
                .responses
                .insert(name.to_string(), answer.build().into());
        }
        for op in Self::operations(openapi) {
            let json_body = matches!(&op.request_body, Some(RefOr::T(b)) if b.content.contains_key("application/json"));
            let any_body = op.request_body.is_some();
            for (status, name, _) in Self::ANSWERS {
                let applies = match status {
                    "413" => any_body,
                    "415" | "422" => json_body,
                    _ => true,
                };
                if applies && !op.responses.responses.contains_key(status) {
                    op.responses.responses.insert(
                        status.to_string(),
                        RefOr::Ref(Ref::from_response_name(name)),
                    );
                }
            }
        }
    }
}

/// How the answers of one operation lead to the next (OpenAPI links): the ids a list or a new
/// conversation gives are the ids the operations on it take. Clients and test tools follow them.
struct Links;

/// The operations on any conversation (they take its id in `id`).
const ON_A_CONVERSATION: [&str; 5] = [
    "list_messages",
    "send_message",
    "list_members",
    "set_external_id",
    "send_file",
];

/// The operations on a group only (a 1:1 conversation has no members to add or remove).
const ON_A_GROUP: [&str; 2] = ["add_member", "remove_member"];

impl Links {
    /// (operation, statuses, link name, target operation, parameters, request body)
    #[allow(clippy::type_complexity)]
    fn table() -> Vec<(
        &'static str,
        &'static [&'static str],
        String,
        &'static str,
        Vec<(&'static str, &'static str)>,
        Option<serde_json::Value>,
    )> {
        let mut t = Vec::new();
        for target in ON_A_CONVERSATION {
            t.push((
                "list_conversations",
                &["200"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/0/id")],
                None,
            ));
            t.push((
                "open_conversation",
                &["200", "201"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/id")],
                None,
            ));
        }
        for target in ON_A_CONVERSATION.into_iter().chain(ON_A_GROUP) {
            t.push((
                "create_group",
                &["201"][..],
                target.to_string(),
                target,
                vec![("id", "$response.body#/id")],
                None,
            ));
        }
        t.push((
            "list_members",
            &["200"],
            "remove_member".into(),
            "remove_member",
            vec![
                ("id", "$request.path.id"),
                ("member", "$response.body#/0/id"),
            ],
            None,
        ));
        t.push((
            "list_members",
            &["200"],
            "open_conversation".into(),
            "open_conversation",
            vec![],
            Some(serde_json::json!({ "member": "$response.body#/0/id" })),
        ));
        t.push((
            "create_account",
            &["201"],
            "open_conversation".into(),
            "open_conversation",
            vec![],
            Some(serde_json::json!({ "member": "$response.body#/account" })),
        ));
        t.push((
            "send_message",
            &["200", "201"],
            "list_messages".into(),
            "list_messages",
            vec![("id", "$response.body#/conversation")],
            None,
        ));
        t.push((
            "send_file",
            &["200", "201"],
            "download_file".into(),
            "download_file",
            vec![("id", "$response.body#/file/id")],
            None,
        ));
        t.push((
            "list_files",
            &["200"],
            "download_file".into(),
            "download_file",
            vec![("id", "$response.body#/0/file/id")],
            None,
        ));
        t.push((
            "list_tokens",
            &["200"],
            "set_token_rate".into(),
            "set_token_rate",
            vec![("id", "$response.body#/0/id")],
            None,
        ));
        t
    }
}

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (from, statuses, name, target, parameters, body) in Self::table() {
            for op in CommonAnswers::operations(openapi) {
                if op.operation_id.as_deref() != Some(from) {
                    continue;
                }
                for status in statuses {
                    if let Some(RefOr::T(answer)) = op.responses.responses.get_mut(*status) {
                        let mut link = utoipa::openapi::link::LinkBuilder::new()
                            .operation_id(target)
                            .request_body(body.clone());
                        for (param, value) in &parameters {
                            link = link.parameter(*param, *value);
                        }
                        answer.links.insert(name.clone(), link.build().into());
                    }
                }
            }
        }
    }
}

/// GET /api/v1/openapi.json
pub(super) async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route of [`router`], as the document names it.
    const ROUTES: [(&str, &str); 16] = [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/conversations"),
        ("post", "/api/v1/conversations"),
        ("get", "/api/v1/conversations/{id}/messages"),
        ("post", "/api/v1/conversations/{id}/messages"),
        ("post", "/api/v1/conversations/{id}/files"),
        ("get", "/api/v1/conversations/{id}/members"),
        ("post", "/api/v1/conversations/{id}/members"),
        ("delete", "/api/v1/conversations/{id}/members/{member}"),
        ("put", "/api/v1/conversations/{id}/external-id"),
        ("post", "/api/v1/groups"),
        ("post", "/api/v1/accounts"),
        ("get", "/api/v1/tokens"),
        ("patch", "/api/v1/tokens/{id}"),
        ("get", "/api/v1/files"),
        ("get", "/api/v1/files/{id}"),
    ];

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON")
    }

    /// Every operation of the document: (method, path, operation).
    fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    #[test]
    fn the_openapi_document_names_every_route() {
        let doc = document();
        let mut documented: Vec<(String, String)> = operations(&doc)
            .into_iter()
            .map(|(m, p, _)| (m, p))
            .collect();
        documented.sort();
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        routes.sort();
        assert_eq!(documented, routes);
    }

    #[test]
    fn operation_ids_are_unique_and_links_lead_to_them() {
        let doc = document();
        let ops = operations(&doc);
        let mut ids = std::collections::HashSet::new();
        for (method, path, op) in &ops {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
        }
        for (_, _, op) in &ops {
            for answer in op["responses"].as_object().into_iter().flatten() {
                for link in answer.1["links"].as_object().into_iter().flatten() {
                    let target = link.1["operationId"].as_str().unwrap_or_default();
                    assert!(ids.contains(target), "a link to {target}");
                }
            }
        }
    }

    #[test]
    fn every_operation_needs_the_bearer_token_and_documents_its_errors() {
        let doc = document();
        let scheme = &doc["components"]["securitySchemes"]["bearer"];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(doc["security"], serde_json::json!([{ "bearer": [] }]));
        for (method, path, op) in operations(&doc) {
            assert!(
                op.get("security").is_none(),
                "{method} {path} overrides the bearer scheme"
            );
            let answers = &op["responses"];
            for status in ["400", "401", "429"] {
                assert!(answers[status].is_object(), "{method} {path}: {status}");
            }
            let json_body = op["requestBody"]["content"]["application/json"].is_object();
            if json_body {
                for status in ["413", "415", "422"] {
                    assert!(answers[status].is_object(), "{method} {path}: {status}");
                }
            }
            if path.contains('{') {
                assert!(answers["404"].is_object(), "{method} {path}: 404");
            }
            // Every error answer is the ApiError shape.
            for (status, answer) in answers.as_object().into_iter().flatten() {
                if status.starts_with('4') {
                    let answer = match answer["$ref"].as_str() {
                        Some(r) => {
                            let name = r.rsplit('/').next().unwrap_or_default();
                            doc["components"]["responses"][name].clone()
                        }
                        None => answer.clone(),
                    };
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ApiError",
                        "{method} {path}: {status}"
                    );
                }
            }
            // A parameter in the path is one the path names; the rest are elsewhere.
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(p["in"] == "path", in_path, "{method} {path}: {name}");
            }
        }
        assert_eq!(
            doc["components"]["responses"]["RateLimited"]["headers"]["Retry-After"]["schema"]["type"],
            "integer"
        );
    }

    #[test]
    fn a_file_is_sent_as_bytes_and_a_message_body_has_its_limits() {
        let doc = document();
        let body = &doc["paths"]["/api/v1/conversations/{id}/files"]["post"]["requestBody"];
        let schema = &body["content"]["application/octet-stream"]["schema"];
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["format"], "binary");
        let message = &doc["components"]["schemas"]["NewMessage"]["properties"]["body"];
        assert_eq!(message["minLength"], 1);
        assert_eq!(message["maxLength"], 10_000);
        assert_eq!(
            doc["components"]["schemas"]["NewMessage"]["additionalProperties"],
            false
        );
    }
}
