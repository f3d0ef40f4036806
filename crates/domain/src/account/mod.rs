//! Accounts: staff (administrator, provider, assistant) and patients.

mod create_staff;

pub use create_staff::{NewStaff, PASSWORD_LINK_HOURS, StaffForm, create_staff};

use crate::auth::session_code::SecondStep;
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
    /// The language e-mails to this person are written in ("nl", "en").
    pub lang: String,
    /// Others may see that this person has read their messages.
    pub send_read_receipts: bool,
    /// An e-mail (without content) when a message waits unread and this person is not online.
    pub notify_email: bool,
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
    /// What patients do after their password (default: the e-mailed session code).
    pub patient_second_step: SecondStep,
    /// What staff do after their password (default: an authenticator app or a passkey, set up
    /// at the first sign-in).
    pub staff_second_step: SecondStep,
    /// Minutes without activity before a device with the app lock locks.
    pub lock_minutes: i64,
    /// Senders see "gelezen" once the others have read their message.
    pub read_receipts: bool,
    /// When messages are answered; outside them patients see a banner.
    pub office_hours: crate::office_hours::OfficeHours,
    /// What the banner says about emergencies.
    pub emergency_text: String,
    /// "Veilig mailen": expiry, whether a code by e-mail is allowed, the subject in notices.
    pub secure_mail: crate::secure_mail::send::Rules,
}

impl Practice {
    /// A new practice with the default settings.
    pub fn new(name: String, email: EmailAddress) -> Self {
        Self {
            name,
            email,
            terms_text: String::new(),
            privacy_text: String::new(),
            patient_second_step: SecondStep::SessionCode,
            staff_second_step: SecondStep::TwoFactor,
            lock_minutes: crate::auth::app_lock::DEFAULT_LOCK_MINUTES,
            read_receipts: true,
            secure_mail: crate::secure_mail::send::Rules::default(),
            office_hours: crate::office_hours::OfficeHours::default(),
            emergency_text: crate::office_hours::DEFAULT_EMERGENCY_TEXT.to_string(),
        }
    }

    pub fn second_step(&self, role: Role) -> SecondStep {
        if role.is_staff() {
            self.staff_second_step
        } else {
            self.patient_second_step
        }
    }
}
