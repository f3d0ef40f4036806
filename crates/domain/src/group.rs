//! "Contacten" and "Groepen": who may talk to whom, and group conversations that staff make,
//! name, and add people to or remove them from.
//!
//! The rule (DESIGN.md, "Who to talk to"): staff may reach every colleague and the patients they
//! are connected with (share a conversation with); a patient may reach the staff they are
//! connected with; a patient never sees, finds or reaches another patient. A group holds at most
//! one patient, so a group never connects two patients either.

use crate::account::Role;
use crate::error::Reason;
use crate::{Error, UserId};

/// A group's name may be this long (characters).
pub const GROUP_NAME_MAX_CHARS: usize = 80;

/// Someone this user may talk to, or a member of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

/// Whether `viewer` may see and reach `other`, given whether they already share a conversation.
pub fn may_reach(viewer: Role, other: Role, connected: bool) -> bool {
    match (viewer.is_staff(), other.is_staff()) {
        (true, true) => true,
        (true, false) | (false, true) => connected,
        (false, false) => false,
    }
}

/// The patients among a group's intended members: at most one.
pub fn check_one_patient(roles: &[Role]) -> Result<(), Error> {
    if roles.iter().filter(|r| **r == Role::Patient).count() > 1 {
        Err(Error::invalid("members", Reason::GroupOnePatient))
    } else {
        Ok(())
    }
}

/// A group's name: trimmed, not empty, at most [`GROUP_NAME_MAX_CHARS`].
pub fn parse_group_name(input: &str) -> Result<String, Error> {
    let name = crate::validate::parse_text("name", input, GROUP_NAME_MAX_CHARS)?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(Error::invalid("name", Reason::GroupNameRequired));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patients_never_reach_patients() {
        assert!(may_reach(Role::Provider, Role::Assistant, false));
        assert!(may_reach(Role::Admin, Role::Provider, false));
        assert!(!may_reach(Role::Provider, Role::Patient, false));
        assert!(may_reach(Role::Provider, Role::Patient, true));
        assert!(may_reach(Role::Patient, Role::Provider, true));
        assert!(!may_reach(Role::Patient, Role::Provider, false));
        assert!(!may_reach(Role::Patient, Role::Patient, true));
    }

    #[test]
    fn a_group_holds_at_most_one_patient() {
        assert!(check_one_patient(&[Role::Provider, Role::Patient, Role::Assistant]).is_ok());
        assert!(check_one_patient(&[Role::Provider, Role::Assistant]).is_ok());
        assert!(check_one_patient(&[Role::Patient, Role::Provider, Role::Patient]).is_err());
    }

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(
            parse_group_name("  Zorgteam   mevrouw Jansen ").ok(),
            Some("Zorgteam mevrouw Jansen".into())
        );
        assert!(parse_group_name("   ").is_err());
        assert!(parse_group_name(&"x".repeat(81)).is_err());
    }
}
