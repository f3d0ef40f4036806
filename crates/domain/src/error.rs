//! Outcomes in user terms. Library errors never appear here: adapters wrap them into
//! [`Error::Internal`] at the boundary, and the web crate maps every variant exactly once.

use std::fmt;

/// What went wrong, named as the user experiences it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or its existence is private to someone else.
    #[error("not found")]
    NotFound,
    /// The user is known but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Input that breaks a rule; `reason` is a catalogue key the page shows next to `field`.
    #[error("invalid {field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    /// A link or code that was valid once but has expired.
    #[error("expired")]
    Expired,
    /// A single-use link or code that has been used, withdrawn or replaced.
    #[error("already used")]
    Used,
    /// The action conflicts with the current state (a second account for one address, …).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Too many attempts: the user may try again at `until`, `wait_secs` from when it was
    /// refused (the `Retry-After` of the answer).
    #[error("rate limited until {until:?}")]
    RateLimited {
        until: crate::Timestamp,
        wait_secs: i64,
    },
    /// More bytes than allowed (a file over the limit).
    #[error("too large (limit {max_bytes} bytes)")]
    TooLarge { max_bytes: u64 },
    /// Wrong credentials; deliberately says nothing about which part was wrong.
    #[error("wrong credentials")]
    BadCredentials,
    /// Something the user cannot fix; the cause is logged once, with the request id.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, reason: &'static str) -> Self {
        Error::Invalid { field, reason }
    }
}

/// The outcome of a form: every broken rule at once (so a page can mark each field), or one
/// error about the whole.
#[derive(Debug)]
pub enum FormError {
    Fields(Vec<Error>),
    Failed(Error),
}

impl FormError {
    /// The first broken rule, for answers that name one (the JSON API, the command line).
    pub fn first(self) -> Error {
        match self {
            FormError::Fields(errs) => errs
                .into_iter()
                .next()
                .unwrap_or_else(|| Error::Internal("a form refused without a reason".into())),
            FormError::Failed(e) => e,
        }
    }
}

impl From<Error> for FormError {
    fn from(e: Error) -> Self {
        FormError::Failed(e)
    }
}

impl From<StoreError> for FormError {
    fn from(e: StoreError) -> Self {
        FormError::Failed(e.into())
    }
}

/// A storage failure, kept opaque: its text goes to the log, never to a user.
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.0)
    }
}
