//! Invitations (seeds 000, 001, 002): a provider or assistant invites a patient by e-mail; the
//! e-mail's green button "Uitnodiging accepteren" opens a landing page that offers
//! "Maak je account aan", "Ik heb al een account" and "uitnodiging dan ook afwijzen".
//!
//! ```text
//!            resend (new link, old one void)
//!           ┌──────┐
//!           v      │
//!  invite ─> Sent ─┴─> Opened ──> Accepted
//!             │          │
//!             │          ├──> Declined
//!             ├──────────┼──> Withdrawn   (by staff)
//!             └──────────┴──> Expired     (derived: not answered before expires_at)
//! ```
//! Only `Sent` and `Opened` invitations can be answered, resent or withdrawn.

mod answer;
mod send;

pub use answer::{Answering, accept, accept_existing, decline, lookup, open};
pub use send::{Channel, InviteForm, Sending, invite, resend, withdraw};

use crate::error::Reason;
use crate::validate::{EmailAddress, PersonName};
use crate::{ConversationId, Error, InvitationId, Timestamp, UserId};

/// Default validity of an invitation link.
pub const DEFAULT_VALID_DAYS: i64 = 14;
/// A personal note may be this long.
pub const NOTE_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Sent,
    Opened,
    Accepted,
    Declined,
    Withdrawn,
    Expired,
}

impl State {
    /// As stored; `Expired` is never stored, it is derived from the time.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Sent => "sent",
            State::Opened => "opened",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Withdrawn => "withdrawn",
            State::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sent" => State::Sent,
            "opened" => State::Opened,
            "accepted" => State::Accepted,
            "declined" => State::Declined,
            "withdrawn" => State::Withdrawn,
            "expired" => State::Expired,
            _ => return None,
        })
    }
    /// The catalogue key of the state's label ("verstuurd", "geopend", …).
    pub fn label_key(self) -> &'static str {
        match self {
            State::Sent => "invitation.state_sent",
            State::Opened => "invitation.state_opened",
            State::Accepted => "invitation.state_accepted",
            State::Declined => "invitation.state_declined",
            State::Withdrawn => "invitation.state_withdrawn",
            State::Expired => "invitation.state_expired",
        }
    }
}

/// An invitation as stored, with its personal note opened.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: InvitationId,
    pub inviter: UserId,
    pub inviter_name: String,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub note: Option<String>,
    pub lang: String,
    pub stored_state: State,
    pub created_at: Timestamp,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub account: Option<UserId>,
    pub conversation: Option<ConversationId>,
}

impl Invitation {
    /// The state a person sees at `now`: an open invitation past its expiry is `Expired`.
    pub fn state(&self, now: Timestamp) -> State {
        match self.stored_state {
            State::Sent | State::Opened if now >= self.expires_at => State::Expired,
            s => s,
        }
    }

    /// May the patient still answer (accept or decline) at `now`? The error says why not.
    pub fn check_answerable(&self, now: Timestamp) -> Result<(), Error> {
        match self.state(now) {
            State::Sent | State::Opened => Ok(()),
            State::Expired => Err(Error::Expired),
            State::Accepted | State::Declined | State::Withdrawn => Err(Error::Used),
        }
    }

    /// May the sender resend or withdraw it at `now`? Expired ones may be resent (a new link).
    pub fn check_resendable(&self, now: Timestamp) -> Result<(), Error> {
        match self.state(now) {
            State::Sent | State::Opened | State::Expired => Ok(()),
            _ => Err(Error::Conflict(Reason::InvitationNotOpen)),
        }
    }

    pub fn check_withdrawable(&self, now: Timestamp) -> Result<(), Error> {
        match self.state(now) {
            State::Sent | State::Opened => Ok(()),
            _ => Err(Error::Conflict(Reason::InvitationNotOpen)),
        }
    }
}

/// What a staff member fills in on "Patiënt uitnodigen".
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: InvitationId,
    pub inviter: UserId,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub note: Option<String>,
    pub lang: String,
    pub token_hash: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl NewInvitation {
    /// Validates the form. The token is made by the caller (crypto) and only its hash is kept.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        inviter: UserId,
        first_name: &str,
        last_name: &str,
        email: &str,
        note: &str,
        lang: &str,
        token_hash: Vec<u8>,
        now: Timestamp,
        valid_days: i64,
    ) -> Result<Self, Vec<Error>> {
        let mut errors = Vec::new();
        let first = PersonName::parse("first_name", first_name)
            .map_err(|e| errors.push(e))
            .ok();
        let last = PersonName::parse("last_name", last_name)
            .map_err(|e| errors.push(e))
            .ok();
        let email = EmailAddress::parse(email).map_err(|e| errors.push(e)).ok();
        let note = crate::validate::parse_text("note", note, NOTE_MAX_CHARS)
            .map_err(|e| errors.push(e))
            .ok();
        match (first, last, email, note) {
            (Some(first_name), Some(last_name), Some(email), Some(note)) if errors.is_empty() => {
                Ok(Self {
                    id: InvitationId::new(),
                    inviter,
                    first_name,
                    last_name,
                    email,
                    note: (!note.is_empty()).then_some(note),
                    lang: if lang == "en" {
                        "en".into()
                    } else {
                        "nl".into()
                    },
                    token_hash,
                    created_at: now,
                    expires_at: now.plus_days(valid_days),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(state: State, expires_at: i64) -> Invitation {
        Invitation {
            id: InvitationId::new(),
            inviter: UserId::new(),
            inviter_name: "Dr. A".into(),
            first_name: PersonName::parse("f", "Jan").unwrap(),
            last_name: PersonName::parse("l", "Janssen").unwrap(),
            email: EmailAddress::parse("jan@example.nl").unwrap(),
            note: None,
            lang: "nl".into(),
            stored_state: state,
            created_at: Timestamp(0),
            sent_at: Timestamp(0),
            expires_at: Timestamp(expires_at),
            account: None,
            conversation: None,
        }
    }

    #[test]
    fn an_open_invitation_expires_at_its_deadline() {
        let inv = invitation(State::Sent, 1000);
        assert_eq!(inv.state(Timestamp(999)), State::Sent);
        assert_eq!(inv.state(Timestamp(1000)), State::Expired);
        assert!(matches!(
            inv.check_answerable(Timestamp(1000)),
            Err(Error::Expired)
        ));
        assert!(inv.check_resendable(Timestamp(1000)).is_ok());
        assert!(inv.check_withdrawable(Timestamp(1000)).is_err());
    }

    #[test]
    fn answered_invitations_stay_answered_after_the_deadline() {
        for s in [State::Accepted, State::Declined, State::Withdrawn] {
            let inv = invitation(s, 1000);
            assert_eq!(inv.state(Timestamp(5000)), s);
            assert!(matches!(
                inv.check_answerable(Timestamp(10)),
                Err(Error::Used)
            ));
            assert!(inv.check_resendable(Timestamp(10)).is_err());
            assert!(inv.check_withdrawable(Timestamp(10)).is_err());
        }
    }

    #[test]
    fn opened_can_still_be_answered() {
        let inv = invitation(State::Opened, 1000);
        assert!(inv.check_answerable(Timestamp(10)).is_ok());
        assert!(inv.check_withdrawable(Timestamp(10)).is_ok());
    }

    #[test]
    fn the_form_is_validated_and_validity_is_fourteen_days_by_default() {
        let now = Timestamp(1_000_000);
        let inv = NewInvitation::parse(
            UserId::new(),
            "Jan",
            "Janssen",
            "JAN@example.nl",
            "  ",
            "xx",
            vec![1],
            now,
            DEFAULT_VALID_DAYS,
        )
        .unwrap();
        assert_eq!(inv.email.as_str(), "jan@example.nl");
        assert_eq!(inv.note, None);
        assert_eq!(inv.lang, "nl");
        assert_eq!(inv.expires_at, Timestamp(1_000_000 + 14 * 86_400_000));
        let errs = NewInvitation::parse(
            UserId::new(),
            "",
            "J",
            "x\r\n@y.nl",
            "",
            "nl",
            vec![],
            now,
            14,
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
    }
}
