//! E-mail out: composing the journeys' e-mails (text and HTML, in the recipient's language) and
//! the outbox worker that delivers them over SMTP with retries.

pub mod compose;
mod secure_mail;
pub mod worker;

pub use compose::Catalogue;
pub use worker::{OutboxWorker, SmtpConfig, SmtpUrlError};
