//! `/healthz` (the process answers), `/readyz` (database reachable, migrations current, not
//! shutting down) and `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// GET /healthz
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// GET /readyz
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match state.store.ready().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database not ready\n").into_response()
        }
    }
}

/// GET /metrics
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(depth) = state.store.outbox_depth().await {
        metrics::gauge!("spreekuur_outbox_depth").set(depth as f64);
    }
    match &state.metrics {
        Some(h) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            h.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are off\n").into_response(),
    }
}
