//! The audit trail.

use async_trait::async_trait;

use crate::StoreError;
use crate::audit::{AuditRecord, ChainReport};

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record on its own (an event that changes nothing else, like a failed login).
    async fn audit(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// Checks every link of the chain.
    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError>;
}
