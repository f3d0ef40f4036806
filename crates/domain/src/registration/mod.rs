//! Registration: the patient's answer "Maak je account aan" to an invitation (seeds 000, 002).
//!
//! Steps: Persoonsgegevens (names, optional username, password twice) → Samenvatting (read-only,
//! accept the terms and privacy statement) → Registratie voltooid. The e-mail address comes from
//! the invitation and is never taken from the form.

pub mod password_rules;

use crate::Error;
use crate::error::Reason;
use crate::validate::{PersonName, parse_username};

/// What the patient typed on "Persoonsgegevens", validated.
#[derive(Debug, Clone)]
pub struct PersonalDetails {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub username: Option<String>,
}

/// Validates the first step; collects every field's problem so the page can show them all.
pub fn check_personal_details(
    first_name: &str,
    last_name: &str,
    username: &str,
    password: &str,
    confirmation: &str,
) -> Result<PersonalDetails, Vec<Error>> {
    let mut errors = Vec::new();
    let first = PersonName::parse("first_name", first_name)
        .map_err(|e| errors.push(e))
        .ok();
    let last = PersonName::parse("last_name", last_name)
        .map_err(|e| errors.push(e))
        .ok();
    let user = parse_username(username).map_err(|e| errors.push(e)).ok();
    if let Err(e) = password_rules::check(password) {
        errors.push(e);
    } else if password != confirmation {
        errors.push(Error::invalid(
            "password_confirmation",
            Reason::PasswordMismatch,
        ));
    }
    match (first, last, user) {
        (Some(first_name), Some(last_name), Some(username)) if errors.is_empty() => {
            Ok(PersonalDetails {
                first_name,
                last_name,
                username,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_example_registers() {
        let d = check_personal_details("Jan", "Janssen", "", "Woordje1!", "Woordje1!").unwrap();
        assert_eq!(d.first_name.as_str(), "Jan");
        assert_eq!(d.username, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = check_personal_details("", "Jan\nssen", "x", "kort", "kort").unwrap_err();
        let fields: Vec<_> = errs
            .iter()
            .map(|e| match e {
                Error::Invalid { field, .. } => *field,
                _ => "?",
            })
            .collect();
        assert_eq!(fields, ["first_name", "last_name", "username", "password"]);
    }

    #[test]
    fn a_differing_confirmation_is_refused() {
        let errs = check_personal_details("Jan", "J", "", "Woordje1!", "Woordje2!").unwrap_err();
        assert!(matches!(
            errs[0],
            Error::Invalid {
                field: "password_confirmation",
                reason: Reason::PasswordMismatch
            }
        ));
    }
}
