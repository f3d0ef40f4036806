//! Renders error responses as pages in the visitor's language, and logs internal causes once.
//! Responses that already carry their message (a form shown again, a JSON answer to a script)
//! pass unchanged.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ErrorPage;
use crate::extract::{LangPref, MaybeUser, Page};
use crate::layout::Layout;
use crate::middleware::observe::RequestId;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    t: &'static spreekuur_i18n::Msgs,
    title: &'static str,
    message: &'static str,
    reference: Option<String>,
}

pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = LangPref::from_headers(req.headers());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    // Put there by `csrf::ensure_cookie`, the layer around this one; an error page does not fail
    // for want of it (its forms would go without).
    let csrf = req
        .extensions()
        .get::<crate::csrf::CsrfToken>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let session = req.headers().clone();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A page shown again with its messages, or a JSON answer carrying its own error.
    let has_body = content_type.starts_with("text/html") || content_type == "application/json";
    let info = res.extensions().get::<ErrorPage>().cloned();
    if has_body && info.is_none() {
        return res;
    }
    if path == "/metrics" || path == "/readyz" || path == "/healthz" {
        return res;
    }
    let info = info.unwrap_or(match status {
        StatusCode::NOT_FOUND => ErrorPage {
            title: "error_not_found_title",
            message: "error_not_found",
            internal: None,
        },
        StatusCode::PAYLOAD_TOO_LARGE => ErrorPage {
            title: "error_title",
            message: "error_too_large",
            internal: None,
        },
        s if s.is_server_error() => ErrorPage {
            title: "error_title",
            message: "error_generic",
            internal: None,
        },
        _ => ErrorPage {
            title: "error_title",
            message: "form_has_errors",
            internal: None,
        },
    });
    if let Some(cause) = &info.internal {
        tracing::error!(request_id = %request_id, error = %cause, "internal error");
    }
    let t = lang.lang.msgs();
    // The signed-in account, for the page's menu; errors here must not cascade.
    let user = {
        let mut parts = axum::http::Request::builder()
            .body(())
            .map(|r| r.into_parts().0)
            .ok();
        match parts.as_mut() {
            Some(p) => {
                p.headers = session;
                <MaybeUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(
                    p, &state,
                )
                .await
                .map(|MaybeUser(u)| u)
                .unwrap_or(None)
            }
            None => None,
        }
    };
    let layout = Page::read(&state, lang, &path, csrf)
        .await
        .layout(user.as_ref(), "");
    let page = ErrorTemplate {
        title: t.text(info.title),
        message: t.text(info.message),
        reference: status
            .is_server_error()
            .then(|| spreekuur_i18n::fill(t.error_reference, &[("id", &request_id)])),
        layout,
        t,
    };
    let mut out = match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(_) => (status, t.error_generic).into_response(),
    };
    out.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for (k, v) in res.headers() {
        if k == axum::http::header::SET_COOKIE {
            out.headers_mut().append(k, v.clone());
        }
    }
    out
}
