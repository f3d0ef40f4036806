//! Request id, log span and metrics for every request. The span and the metrics name the
//! matched route (`/i/{token}`), never the URI: invitation and password links carry tokens.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The id of this request, shown on error pages and sent back as `x-request-id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn observe(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let start = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16();
    let elapsed = start.elapsed().as_secs_f64();
    span.in_scope(|| tracing::debug!(status, elapsed_ms = elapsed * 1000.0, "request done"));
    metrics::counter!("spreekuur_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("spreekuur_http_request_duration_seconds", "method" => method, "route" => route).record(elapsed);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
