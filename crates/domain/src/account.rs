//! Accounts: staff (administrator, provider, assistant) and patients.

use crate::validate::{EmailAddress, PersonName};
use crate::{Timestamp, UserId};

/// What an account may do. Patients never see staff pages; staff roles differ in administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages the practice and its staff accounts; can also invite.
    Admin,
    /// A doctor, therapist or other care provider.
    Provider,
    /// A practice assistant.
    Assistant,
    /// A patient (or client) of the practice.
    Patient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Provider => "provider",
            Role::Assistant => "assistant",
            Role::Patient => "patient",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "provider" => Some(Role::Provider),
            "assistant" => Some(Role::Assistant),
            "patient" => Some(Role::Patient),
            _ => None,
        }
    }
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Patient)
    }
    /// Who may invite patients: providers and assistants (administrators too, as staff).
    pub fn may_invite(self) -> bool {
        self.is_staff()
    }
}

/// An account as the domain sees it. The password hash stays in the store.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub role: Role,
    pub email: EmailAddress,
    pub username: Option<String>,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub active: bool,
    pub created_at: Timestamp,
}

impl Account {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name.as_str(), self.last_name.as_str())
    }
}

/// A new account to store.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: UserId,
    pub role: Role,
    pub email: EmailAddress,
    pub username: Option<String>,
    pub first_name: PersonName,
    pub last_name: PersonName,
    /// PHC string (Argon2id); `None` until the person sets a password through a link.
    pub password_hash: Option<String>,
    pub lang: String,
}

/// The practice this server serves (one per server).
#[derive(Debug, Clone)]
pub struct Practice {
    pub name: String,
    pub email: EmailAddress,
    pub terms_text: String,
    pub privacy_text: String,
}
