//! Teams (seed 001; DESIGN.md "Who to talk to"): "Planbureau" for appointments and forms,
//! "Cliëntensupport" for questions about the messenger, and whatever teams the practice adds.
//! A patient writes to a team; every member is in the conversation and any may answer; the
//! patient sees the team's name and who answered. One member takes a conversation ("Ik pak dit
//! op") and may hand it to a colleague in the team.

use crate::error::Reason;
use crate::group::Person;
use crate::{Error, TeamId};

/// A team's name may be this long (characters); its purpose longer.
pub const TEAM_NAME_MAX_CHARS: usize = 60;
pub const TEAM_PURPOSE_MAX_CHARS: usize = 300;

/// A team with its members.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    /// What to write to this team about (shown to patients).
    pub purpose: String,
    pub members: Vec<Person>,
    /// The team's own weekly hours (Monday first); None: the practice's apply.
    pub hours: Option<Week>,
}

/// A team's own hours, as its conversations show them.
#[derive(Debug, Clone)]
pub struct TeamHours {
    pub team_name: String,
    pub week: Week,
}

pub use crate::office_hours::Week;

/// What staff see above a team conversation.
#[derive(Debug, Clone)]
pub struct TeamConversation {
    pub team: TeamId,
    pub team_name: String,
    /// Who took it; None while nobody has.
    pub assignee: Option<Person>,
    /// The team's members, to hand it to.
    pub members: Vec<Person>,
}

/// A team's name and purpose: trimmed, the name required, both within their limits.
pub fn parse_team(name: &str, purpose: &str) -> Result<(String, String), Error> {
    let name = crate::validate::parse_text("name", name, TEAM_NAME_MAX_CHARS)?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(Error::invalid("name", Reason::TeamNameRequired));
    }
    let purpose = crate::validate::parse_text("purpose", purpose, TEAM_PURPOSE_MAX_CHARS)?;
    Ok((name, purpose))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_needs_a_name_within_limits() {
        assert_eq!(
            parse_team("  Planbureau ", " Afspraken ").ok(),
            Some(("Planbureau".into(), "Afspraken".into()))
        );
        assert!(parse_team(" ", "x").is_err());
        assert!(parse_team(&"x".repeat(61), "").is_err());
        assert!(parse_team("Team", &"x".repeat(301)).is_err());
    }
}
