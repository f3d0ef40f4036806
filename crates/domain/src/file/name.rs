//! A file's name: as stored and shown (cleaned, shortened), its extension, and the
//! Content-Disposition header a download carries it in.

use crate::Error;
use crate::error::Reason;

/// A file name may be this long (characters).
pub const FILE_NAME_MAX_CHARS: usize = 200;

/// A file name as stored and shown: the last part of a path, without control characters or
/// quotes, at most [`FILE_NAME_MAX_CHARS`] (the extension kept), and not empty.
pub fn parse_file_name(input: &str) -> Result<String, Error> {
    let last = input.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\u{202E}' | '\u{202D}'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        return Err(Error::invalid("file", Reason::FileName));
    }
    let count = cleaned.chars().count();
    if count <= FILE_NAME_MAX_CHARS {
        return Ok(cleaned);
    }
    let ext = cleaned
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.chars().count() <= 10)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let keep = FILE_NAME_MAX_CHARS - ext.chars().count();
    let stem: String = cleaned.chars().take(keep).collect();
    Ok(format!("{}{ext}", stem.trim_end_matches('.')))
}

/// The Content-Disposition header for a download: `inline` only where asked and allowed, and
/// the name both as plain ASCII and exactly (RFC 6266 / RFC 8187).
pub fn content_disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut exact = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            exact.push(char::from(b));
        } else {
            exact.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{exact}",
        if inline { "inline" } else { "attachment" }
    )
}

pub(super) fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_shortened_keeping_the_extension() {
        assert_eq!(
            parse_file_name("C:\\Users\\an\\uitslag.pdf").ok(),
            Some("uitslag.pdf".into())
        );
        assert_eq!(
            parse_file_name("../../etc/passwd").ok(),
            Some("passwd".into())
        );
        assert_eq!(
            parse_file_name(" \"a\u{7}b\".txt ").ok(),
            Some("ab.txt".into())
        );
        assert_eq!(
            parse_file_name("..verborgen").ok(),
            Some("verborgen".into())
        );
        for bad in ["", "   ", "/", "...", "\u{202E}"] {
            assert!(parse_file_name(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}.pdf", "a".repeat(300));
        let short = parse_file_name(&long).unwrap_or_default();
        assert_eq!(short.chars().count(), FILE_NAME_MAX_CHARS);
        assert!(short.ends_with("a.pdf"));
    }

    #[test]
    fn disposition_carries_the_exact_name_and_a_safe_fallback() {
        assert_eq!(
            content_disposition("uitslag mei.pdf", true),
            "inline; filename=\"uitslag mei.pdf\"; filename*=UTF-8''uitslag%20mei.pdf"
        );
        assert_eq!(
            content_disposition("één\";x.txt", false),
            "attachment; filename=\"__n__x.txt\"; filename*=UTF-8''%C3%A9%C3%A9n%22%3Bx.txt"
        );
    }
}
