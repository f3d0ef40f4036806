//! Health of the store itself.

use async_trait::async_trait;

use crate::StoreError;

/// Health of the store itself.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// The database answers and every migration the binary knows is applied.
    async fn ready(&self) -> Result<(), StoreError>;
}
