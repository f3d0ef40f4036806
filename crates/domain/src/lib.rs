//! Spreekuur's domain: the journeys of `../shared/DESIGN.md` as plain Rust.
//!
//! Nothing here speaks HTTP or SQL. Rules are functions of their inputs, including the current
//! time ([`Timestamp`]), so they are tested by passing a later `now` instead of sleeping. Storage,
//! mail and the web are adapters that implement or call the [`ports`].

pub mod account;
pub mod api_token;
pub mod audit;
pub mod auth;
pub mod conversation;
pub mod error;
pub mod file;
pub mod group;
pub mod ids;
pub mod invitation;
pub mod live;
pub mod mail;
pub mod office_hours;
pub mod ports;
pub mod registration;
pub mod secure_mail;
pub mod team;
#[cfg(test)]
mod test_support;
pub mod time;
pub mod token;
pub mod validate;

pub use error::{Error, FormError, Reason, StoreError};
pub use ids::*;
pub use time::{Clock, Timestamp};
