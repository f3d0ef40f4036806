//! Values parsed from user input. Nothing else constructs them, so a name or address that
//! reaches an e-mail header has already been refused if it carried CR, LF or other controls.

use crate::Error;
use crate::error::Reason;

/// A lower-cased, syntactically plausible e-mail address without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain.tld`; trims surrounding white space, lower-cases, and refuses
    /// anything with white space or control characters inside (header injection).
    pub fn parse(input: &str) -> Result<Self, Error> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid("email", Reason::EmailRequired));
        }
        if s.len() > 254 || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::invalid("email", Reason::EmailInvalid));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(Error::invalid("email", Reason::EmailInvalid));
        };
        let bad_char = |c: char| {
            matches!(
                c,
                '<' | '>' | '"' | ',' | ';' | '(' | ')' | '[' | ']' | '\\' | '@'
            )
        };
        if local.is_empty()
            || local.len() > 64
            || local.chars().any(bad_char)
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || !domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        {
            return Err(Error::invalid("email", Reason::EmailInvalid));
        }
        Ok(Self(s.to_lowercase()))
    }
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A first or last name: 1–100 characters, no control characters (CR/LF would break headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, input: &str) -> Result<Self, Error> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(field, Reason::NameRequired));
        }
        if s.chars().count() > 100 {
            return Err(Error::invalid(field, Reason::NameTooLong));
        }
        if s.chars().any(char::is_control) {
            return Err(Error::invalid(field, Reason::NameInvalid));
        }
        Ok(Self(s.to_string()))
    }
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional username: 3–40 letters, digits, `.`, `-` or `_`, stored lower-case. An empty
/// field means "no username".
pub fn parse_username(input: &str) -> Result<Option<String>, Error> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let len = s.chars().count();
    if !(3..=40).contains(&len)
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(Error::invalid("username", Reason::UsernameInvalid));
    }
    Ok(Some(s.to_ascii_lowercase()))
}

/// A personal note or message body: at most `max` characters; CR/LF are fine here (it is body
/// text, never a header) but other control characters are dropped.
pub fn parse_text(field: &'static str, input: &str, max: usize) -> Result<String, Error> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    if s.chars().count() > max {
        return Err(Error::invalid(field, Reason::TextTooLong));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Jan.Janssen@Example.NL ").unwrap();
        assert_eq!(e.as_str(), "jan.janssen@example.nl");
    }

    #[test]
    fn email_with_header_injection_is_refused() {
        for bad in [
            "jan@example.nl\r\nBcc: evil@example.com",
            "jan@example.nl\nX: y",
            "jan @example.nl",
            "jan@example",
            "<jan@example.nl>",
            "jan@@example.nl",
            "@example.nl",
            "jan@.nl",
            "",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn names_refuse_line_breaks_but_keep_accents() {
        assert_eq!(
            PersonName::parse("first_name", " Zoë ").unwrap().as_str(),
            "Zoë"
        );
        assert!(PersonName::parse("first_name", "Jan\r\nBcc: x@y.nl").is_err());
        assert!(PersonName::parse("first_name", "   ").is_err());
        assert!(PersonName::parse("first_name", &"a".repeat(101)).is_err());
    }

    #[test]
    fn username_is_optional_and_restricted() {
        assert_eq!(parse_username("  ").unwrap(), None);
        assert_eq!(parse_username("Jan_J").unwrap().as_deref(), Some("jan_j"));
        assert!(parse_username("ja").is_err());
        assert!(parse_username("jan janssen").is_err());
        assert!(parse_username("<script>").is_err());
    }

    #[test]
    fn text_keeps_newlines_and_limits_length() {
        assert_eq!(parse_text("note", " a\r\nb\u{7} ", 10).unwrap(), "a\nb");
        assert!(parse_text("note", &"x".repeat(11), 10).is_err());
    }
}
