//! Typed ids. All are random UUIDs (v7, time-ordered) stored as text, so they are portable
//! across SQLite and PostgreSQL and can be bound into a ciphertext's associated data before the
//! row is written.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// A fresh id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }
            /// Parses an id from a URL or a form; anything that is not a UUID is refused.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s.trim()).ok().map(|u| Self(u.to_string()))
            }
            /// An id read back from storage, trusted as written.
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A person with an account: staff or patient.
    UserId
);
id_type!(
    /// An invitation sent to a patient.
    InvitationId
);
id_type!(
    /// A conversation in the messenger.
    ConversationId
);
id_type!(
    /// One message in a conversation.
    MessageId
);
id_type!(
    /// One e-mail waiting in the outbox.
    OutboxId
);
id_type!(
    /// A passkey registered to an account.
    PasskeyId
);
id_type!(
    /// A personal access token for the JSON API.
    TokenId
);
id_type!(
    /// A file sent in a conversation.
    FileId
);
id_type!(
    /// A team of the practice (Planbureau, Cliëntensupport, …).
    TeamId
);
id_type!(
    /// A secure e-mail ("Veilig mailen") and its thread.
    SecureMailId
);
id_type!(
    /// One recipient of a secure e-mail: their copy, code and status.
    RecipientId
);
