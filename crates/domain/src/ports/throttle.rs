//! Login throttling, shared by every node through the database.

use async_trait::async_trait;

use crate::auth::throttle::Throttle;
use crate::{StoreError, Timestamp};

/// Login throttling (see `auth::throttle`), shared by every node through the database.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    async fn throttle(&self, key: &str) -> Result<Throttle, StoreError>;
    async fn clear_throttle(&self, key: &str) -> Result<(), StoreError>;
    /// Counts one attempt at `now` before it is checked, atomically across nodes: `Err(until)`
    /// while the key is blocked (nothing is counted then), else the record with this attempt
    /// counted as a failure (a right answer then clears the key).
    async fn take_attempt(
        &self,
        key: &str,
        now: Timestamp,
        free: i64,
    ) -> Result<Result<Throttle, Timestamp>, StoreError>;
    /// Takes back one attempt counted by `take_attempt` that turned out right (a client
    /// address's count, which a success must not raise); with `free` as counted.
    async fn forgive_attempt(&self, key: &str, free: i64) -> Result<(), StoreError>;
}
