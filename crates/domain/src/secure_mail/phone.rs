//! The mobile number an sms code goes to. A Dutch mobile number is typed however people write
//! it ("06-12345678", "06 12 34 56 78", "+31 6 1234 5678", "0031612345678") and stored as
//! `+316…`; other countries' numbers are taken in international form (`+` or `00`, 8–15
//! digits). The guest only ever sees the number masked, so a page never reveals it.

use crate::Error;
use crate::error::Reason;

/// A validated mobile number in international form (`+31612345678`).
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

/// Never in logs: a phone number is personal data.
impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneNumber(..)")
    }
}

impl PhoneNumber {
    /// Reads a typed number; spaces, dashes, dots and brackets are separators.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let invalid = || Error::invalid("phone", Reason::PhoneInvalid);
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid("phone", Reason::PhoneRequired));
        }
        if s.chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+')))
            || s.chars().skip(1).any(|c| c == '+')
        {
            return Err(invalid());
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let international = if s.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            // A national number: Dutch.
            format!("31{rest}")
        } else {
            return Err(invalid());
        };
        if let Some(national) = international.strip_prefix("31") {
            // Dutch: only mobile numbers (6 and eight digits) receive sms.
            let national = national.strip_prefix('0').unwrap_or(national);
            if national.len() != 9 || !national.starts_with('6') {
                return Err(invalid());
            }
            return Ok(Self(format!("+31{national}")));
        }
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(invalid());
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The international form, as stored and as sent to the sms provider.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a guest sees: a Dutch mobile number as "06 •• •• •• 78", another as "+49 •• 78";
    /// only the last two digits show.
    pub fn masked(&self) -> String {
        let last = &self.0[self.0.len() - 2..];
        match self.0.strip_prefix("+31") {
            Some(_) => format!("06 •• •• •• {last}"),
            None => {
                let country: String = self.0.chars().skip(1).take(2).collect();
                format!("+{country} •• {last}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_mobile_numbers_are_read_however_they_are_typed() {
        for typed in [
            "0612345678",
            "06-12345678",
            "06 12 34 56 78",
            " 06.1234.5678 ",
            "+31 6 1234 5678",
            "+31 (0)6 12345678",
            "0031612345678",
            "+31612345678",
        ] {
            assert_eq!(
                PhoneNumber::parse(typed)
                    .map(|p| p.as_str().to_string())
                    .ok(),
                Some("+31612345678".to_string()),
                "{typed}"
            );
        }
    }

    #[test]
    fn other_countries_come_in_international_form() {
        assert_eq!(
            PhoneNumber::parse("+49 151 23456789").unwrap().as_str(),
            "+4915123456789"
        );
        assert_eq!(
            PhoneNumber::parse("0032 470 12 34 56").unwrap().as_str(),
            "+32470123456"
        );
    }

    #[test]
    fn what_cannot_receive_an_sms_is_refused() {
        for typed in [
            "020-1234567",    // a Dutch landline
            "06123456",       // too short
            "061234567890",   // too long
            "6 12345678",     // neither national nor international
            "06 1234 567a",   // a letter
            "06\r\n12345678", // a line break
            "+31 6+12345678",
            "+1234",
        ] {
            assert!(
                matches!(
                    PhoneNumber::parse(typed),
                    Err(Error::Invalid {
                        field: "phone",
                        reason: Reason::PhoneInvalid
                    })
                ),
                "{typed:?}"
            );
        }
        assert!(matches!(
            PhoneNumber::parse("  "),
            Err(Error::Invalid {
                reason: Reason::PhoneRequired,
                ..
            })
        ));
    }

    #[test]
    fn guests_see_only_the_last_two_digits() {
        assert_eq!(
            PhoneNumber::parse("06 12 34 56 78").unwrap().masked(),
            "06 •• •• •• 78"
        );
        assert_eq!(
            PhoneNumber::parse("+49 151 23456789").unwrap().masked(),
            "+49 •• 89"
        );
        assert_eq!(
            format!("{:?}", PhoneNumber::parse("0612345678").unwrap()),
            "PhoneNumber(..)"
        );
    }
}
