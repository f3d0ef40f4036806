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
    /// Input that breaks a rule; the page shows the reason's text next to `field`.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: Reason },
    /// A link or code that was valid once but has expired.
    #[error("expired")]
    Expired,
    /// A single-use link or code that has been used, withdrawn or replaced.
    #[error("already used")]
    Used,
    /// The action conflicts with the current state (a second account for one address, …).
    #[error("conflict: {0}")]
    Conflict(Reason),
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
    pub fn invalid(field: &'static str, reason: Reason) -> Self {
        Error::Invalid { field, reason }
    }
    /// Too many attempts at `now`: may try again at `until` (whole seconds, rounded up).
    pub fn rate_limited(until: crate::Timestamp, now: crate::Timestamp) -> Self {
        Error::RateLimited {
            until,
            wait_secs: (until.millis() - now.millis() + 999) / 1000,
        }
    }
}

/// Declares `Reason` with each variant's catalogue key once: `key()` and `shown()` follow.
macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident => $key:literal,)*) => {
        /// Why input was refused, or what it conflicts with. Each reason a person can meet has
        /// one catalogue entry (`Reason::key`; the web crate's tests check every one in both
        /// languages).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Reason {
            $($(#[$doc])* $variant,)*
            PasswordRule(crate::registration::password_rules::Rule),
            /// A rule of the JSON API's schema, said in English to the developer who sent the
            /// request. It never reaches a page: pages never take these fields.
            Api(&'static str),
        }

        impl Reason {
            /// The catalogue key of the text a person reads (`Msgs::get` resolves the dots),
            /// or for an API rule the rule itself.
            pub fn key(self) -> &'static str {
                match self {
                    $(Reason::$variant => $key,)*
                    Reason::PasswordRule(rule) => rule.key(),
                    Reason::Api(rule) => rule,
                }
            }

            /// Every reason a person can read (all but `Api`), for the catalogue's tests.
            pub fn shown() -> Vec<Reason> {
                use crate::registration::password_rules::Rule;
                let mut all = vec![$(Reason::$variant,)*];
                all.extend(Rule::ALL.iter().map(|r| Reason::PasswordRule(*r)));
                all
            }
        }
    };
}

reasons! {
    EmailRequired => "email.required",
    EmailInvalid => "email.invalid",
    NameRequired => "name.required",
    NameTooLong => "name.too_long",
    NameInvalid => "name.invalid",
    TextTooLong => "text.too_long",
    UsernameInvalid => "username.invalid",
    /// The address or username has an account already.
    AccountExists => "account.exists",
    /// The practice was set up already.
    PracticeExists => "practice.exists",
    PracticeNameRequired => "practice_name_required",
    SetupLinkInvalid => "setup_link_invalid",
    LinkUnknown => "link_unknown",
    LinkExpired => "link_expired",
    LinkUsed => "link_used",
    /// The invitation was answered or withdrawn meanwhile.
    InvitationNotOpen => "invitation.not_open",
    PasswordTooLong => "password.too_long",
    PasswordTooCommon => "password.too_common",
    PasswordMismatch => "password.mismatch",
    PinFormat => "pin.format",
    PinTooEasy => "pin.too_easy",
    /// The PIN typed again is not the first.
    PinMismatch => "lock_pin_mismatch",
    MessageEmpty => "message.empty",
    /// Longer than a message may be (10,000 characters).
    MessageTooLong => "message_too_long",
    MessageClientId => "message.client_id",
    FileName => "file.name",
    FileEmpty => "file.empty",
    /// The upload ended before the file did.
    FileCutOff => "file.cut_off",
    /// The content is not what the name says (a `.pdf` that is no PDF).
    FileMismatch => "file.mismatch",
    GroupNameRequired => "group.name_required",
    GroupMembersRequired => "group.members_required",
    GroupOnePatient => "group.one_patient",
    TeamNameRequired => "team.name_required",
    TeamNameTaken => "team.name_taken",
    OfficeHoursFormat => "office_hours_format",
    ClosedDaysFormat => "closed_days_format",
    LockMinutesRange => "lock_minutes_range",
    PhoneRequired => "phone.required",
    PhoneInvalid => "phone.invalid",
    SubjectRequired => "subject.required",
    /// A line break or another control character (a header injection in the notification).
    SubjectInvalid => "subject.invalid",
    AccessCodeTooShort => "access_code.too_short",
    AccessCodeInvalid => "access_code.invalid",
    /// The same address twice on one secure mail.
    RecipientTwice => "recipient.twice",
    TooManyRecipients => "recipient.too_many",
    /// A secure e-mail without text.
    TextRequired => "text.required",
    /// The practice's expiry of secure e-mails, in days.
    ExpiryDaysRange => "expiry_days_range",
    /// Something on the form needs attention (said above the form).
    FormHasErrors => "form_has_errors",
    /// A choice this person may not make (a role only administrators give).
    NotAllowed => "error_forbidden",
}

impl Reason {
    /// Whether this is about a file being sent (the files page shows these beside the upload).
    pub fn is_about_a_file(self) -> bool {
        matches!(
            self,
            Reason::FileName | Reason::FileEmpty | Reason::FileCutOff | Reason::FileMismatch
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
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
