//! What the API accepts in a field, stated once for the OpenAPI document (as JSON Schema
//! patterns, lengths and formats) and for the handlers (as checks and readers), so the two
//! cannot drift apart.
//!
//! The domain's own parsers are lenient in ways a schema cannot state: they trim white space
//! and drop control characters before they count. Where that matters the API checks the text
//! as it was sent against the rule the document states, which is never wider than the domain's:
//! whatever the document allows, the domain takes. Every text refuses NUL (the request is
//! refused with 400 before any handler: `middleware/clean_input.rs`), so every pattern here
//! leaves it out.
//!
//! Patterns are ECMA-262 regular expressions, as JSON Schema wants; they use only classes and
//! `\uXXXX` escapes, which every regex engine reads alike.

use axum::http::StatusCode;
use serde::Deserializer;
use serde::de::{Error as _, Unexpected, Visitor};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

use super::error::ApiFailure;

/// The characters `str::trim` removes (Unicode White_Space), as the inside of a regex class.
const WS: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode Cc), as the inside of a regex class.
const CC: &str = r"\u0000-\u001f\u007f-\u009f";

/// A character that is neither white space nor a control character.
pub fn visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control()
}

/// The regex class of [`visible`] characters.
fn visible_class() -> String {
    format!("[^{CC}{WS}]")
}

/// Text without NUL with at least one [`visible`] character (the length is the schema's).
fn free_text_pattern() -> String {
    format!(r"^[^\u0000]*{}[^\u0000]*$", visible_class())
}

/// Free text as the document states it: at most `max` characters as sent, at least one of them
/// visible. The domain trims and drops control characters before it counts, so it takes all of
/// these; this refuses the rest with the reason the document gives (422).
pub fn check_free_text(field: &str, text: &str, max: usize) -> Result<(), ApiFailure> {
    if text.chars().count() > max || !text.chars().any(visible) {
        return Err(ApiFailure::request(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{field}: 1 to {max} characters, at least one of them neither white space nor \
                 a control character"
            ),
        ));
    }
    Ok(())
}

/// Text that may be empty: at most `max` characters as sent (422).
pub fn check_length(field: &str, text: &str, max: usize) -> Result<(), ApiFailure> {
    if text.chars().count() > max {
        return Err(ApiFailure::request(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{field}: at most {max} characters"),
        ));
    }
    Ok(())
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// A message body (`MESSAGE_MAX_CHARS`).
pub fn message_body() -> Schema {
    let max = spreekuur_domain::conversation::MESSAGE_MAX_CHARS;
    string()
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(free_text_pattern()))
        .description(Some(format!(
            "1 to {max} characters, at least one of them neither white space nor a control \
             character. White space around it is trimmed and control characters other than \
             line feed and tab are dropped before it is stored."
        )))
        .build()
        .into()
}

/// A group's name (`GROUP_NAME_MAX_CHARS`).
pub fn group_name() -> Schema {
    let max = spreekuur_domain::group::GROUP_NAME_MAX_CHARS;
    string()
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(free_text_pattern()))
        .description(Some(format!(
            "1 to {max} characters, at least one of them neither white space nor a control \
             character; runs of white space become one space."
        )))
        .build()
        .into()
}

/// A personal note with an invitation (`NOTE_MAX_CHARS`); may be empty.
pub fn note() -> Schema {
    let max = spreekuur_domain::invitation::NOTE_MAX_CHARS;
    nullable_string()
        .max_length(Some(max))
        .pattern(Some(r"^[^\u0000]*$"))
        .description(Some(format!(
            "For a patient: a personal note, the first message of the conversation (at most \
             {max} characters; empty or null: none). Ignored for staff."
        )))
        .build()
        .into()
}

/// A first or last name as `PersonName::parse` takes it: 1–100 characters without control
/// characters once the white space around it is trimmed.
pub fn person_name() -> Schema {
    let v = visible_class();
    string()
        .pattern(Some(format!("^[{WS}]*{v}(?:[^{CC}]{{0,98}}{v})?[{WS}]*$")))
        .description(Some(
            "1 to 100 characters without control characters (white space around it is trimmed).",
        ))
        .build()
        .into()
}

/// An e-mail address.
pub fn email() -> Schema {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(254))
        .description(Some(
            "local@domain.tld: no white space or control characters inside, a domain of \
             letters, digits, hyphens and dots; stored lower-case.",
        ))
        .build()
        .into()
}

/// An external id as the store takes it: 1–64 printable ASCII characters (spaces inside
/// allowed) once the white space around it is trimmed; empty or null clears it.
pub fn external_id() -> Schema {
    nullable_string()
        .pattern(Some(format!(
            "^[{WS}]*(?:[!-~](?:[ !-~]{{0,62}}[!-~])?)?[{WS}]*$"
        )))
        .description(Some(
            "The practice system's patient or episode number: 1 to 64 printable ASCII \
             characters (white space around it is trimmed); empty or null clears it.",
        ))
        .build()
        .into()
}

/// Text to search for (any, but NUL).
pub fn search_text() -> Schema {
    string().pattern(Some(r"^[^\u0000]*$")).build().into()
}

/// An id (a UUID). Anything else is answered "not found", like an id that does not exist.
pub fn uuid() -> Schema {
    string()
        .format(Some(SchemaFormat::Custom("uuid".to_string())))
        .build()
        .into()
}

/// A list of account ids.
pub fn members() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(uuid()))
        .min_items(Some(1))
        .description(Some(
            "The accounts to add besides the token's own: people it may reach (colleagues, \
             and patients it is connected with; at most one patient).",
        ))
        .build()
        .into()
}

/// The `Idempotency-Key` header as `parse_client_id` takes it (empty: none).
pub fn idempotency_key() -> Schema {
    string()
        .pattern(Some(r"^[ \t]*[A-Za-z0-9_-]{0,64}[ \t]*$"))
        .description(Some(
            "The client's own id for this message: up to 64 of A-Z a-z 0-9 - _. A retry \
             with the same key returns the message the first attempt stored.",
        ))
        .build()
        .into()
}

/// The `X-File-Name` header: a name percent-encoded as UTF-8 (RFC 3986), in the visible
/// ASCII a header holds. The pattern is exactly that: `%XX` sequences that decode to UTF-8.
pub fn file_name_header() -> Schema {
    let plain = r"[\t -$&-~]";
    let ascii = "%[0-7][0-9A-Fa-f]";
    let cont = "%[89ABab][0-9A-Fa-f]";
    let two = format!("%[Cc][2-9A-Fa-f]{cont}|%[Dd][0-9A-Fa-f]{cont}");
    let three = format!(
        "%[Ee]0%[ABab][0-9A-Fa-f]{cont}|%[Ee][1-9A-Ca-cEeFf]{cont}{cont}|%[Ee][Dd]%[89][0-9A-Fa-f]{cont}"
    );
    let four = format!(
        "%[Ff]0%[9ABab][0-9A-Fa-f]{cont}{cont}|%[Ff][1-3]{cont}{cont}{cont}|%[Ff]4%8[0-9A-Fa-f]{cont}{cont}"
    );
    string()
        .pattern(Some(format!("^(?:{plain}|{ascii}|{two}|{three}|{four})*$")))
        .description(Some(
            "The file's name, percent-encoded UTF-8 (preferred over `name`: it keeps names \
             out of URLs and access logs). Without a usable name the file is called \
             `bestand`.",
        ))
        .build()
        .into()
}

/// A file's name in the query.
pub fn file_name_query() -> Schema {
    string()
        .pattern(Some(r"^[^\u0000]*$"))
        .description(Some(
            "The file's name (shown to the other members), when `X-File-Name` is not sent. \
             Without a usable name (none, or only dots, white space or control characters) \
             the file is called `bestand`.",
        ))
        .build()
        .into()
}

/// A request body that is the file itself (at least one byte).
pub fn file_body() -> Schema {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .min_length(Some(1))
        .content_media_type("application/octet-stream")
        .build()
        .into()
}

/// A number without a fraction as an `i64`, if it is one.
fn whole(f: f64) -> Option<i64> {
    // i64::MAX is no f64; 2^63 is the first value out of range.
    (f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f))
        .then_some(f as i64)
}

/// Reads an optional integer as JSON Schema counts integers: `5`, and `5.0` too (a number with
/// no fraction); in a query string from its text, in JSON only from a number.
struct WholeNumber {
    from_text: bool,
}

impl<'de> Visitor<'de> for WholeNumber {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        whole(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let n = self
            .from_text
            .then(|| {
                v.parse::<i64>()
                    .ok()
                    .or_else(|| v.parse::<f64>().ok().and_then(whole))
            })
            .flatten();
        n.map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
}

/// An optional integer in a JSON body (`5` or `5.0`; null is none).
pub fn json_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(WholeNumber { from_text: false })
}

/// An optional integer in a query string (`5` or `5.0`).
pub fn query_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_str(WholeNumber { from_text: true })
        .and_then(|n| n.ok_or_else(|| D::Error::custom("an integer")).map(Some))
}

/// Types that stand for the schemas above where the `utoipa::path` macro wants a type (a
/// parameter in the URL or a header).
macro_rules! schema_type {
    ($(#[$doc:meta])* $name:ident = $schema:path) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                RefOr::T($schema())
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

schema_type!(
    /// An id in the path.
    Id = uuid
);
schema_type!(
    /// A file's bytes, as a request or response body.
    FileBody = file_body
);

/// The `Idempotency-Key` header of a message.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct SendHeaders {
    #[param(rename = "Idempotency-Key", schema_with = idempotency_key)]
    idempotency_key: Option<String>,
}

/// The headers of a file upload.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct UploadHeaders {
    #[param(rename = "Idempotency-Key", schema_with = idempotency_key)]
    idempotency_key: Option<String>,
    #[param(rename = "X-File-Name", schema_with = file_name_header)]
    file_name: Option<String>,
}

/// An enumeration of strings.
pub fn one_of(values: &[&str], nullable: bool) -> Schema {
    let b = if nullable {
        nullable_string()
    } else {
        string()
    };
    let mut values: Vec<Option<&str>> = values.iter().copied().map(Some).collect();
    if nullable {
        values.push(None);
    }
    b.enum_values(Some(values)).build().into()
}

/// `schema` with a description (for the generated schemas above).
pub fn described(schema: Schema, description: &str) -> Schema {
    match schema {
        Schema::Object(mut o) => {
            o.description = Some(description.to_string());
            Schema::Object(o)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_whole_numbers_as_json_schema_counts_them() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct J {
            #[serde(default, deserialize_with = "json_integer")]
            n: Option<i64>,
        }
        let j = |s: &str| serde_json::from_str::<J>(s).map(|j| j.n).ok();
        assert_eq!(j(r#"{"n": 5}"#), Some(Some(5)));
        assert_eq!(j(r#"{"n": 1601.0}"#), Some(Some(1601)));
        assert_eq!(j(r#"{"n": null}"#), Some(None));
        assert_eq!(j("{}"), Some(None));
        for bad in [
            r#"{"n": 1.5}"#,
            r#"{"n": "5"}"#,
            r#"{"n": 1e19}"#,
            r#"{"n": true}"#,
        ] {
            assert_eq!(j(bad), None, "{bad}");
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Q {
            #[serde(default, deserialize_with = "query_integer")]
            n: Option<i64>,
        }
        let q = |s: &str| serde_urlencoded::from_str::<Q>(s).map(|q| q.n).ok();
        assert_eq!(q("n=5"), Some(Some(5)));
        assert_eq!(q("n=5.0"), Some(Some(5)));
        assert_eq!(q(""), Some(None));
        for bad in ["n=", "n=x", "n=1.5", "n=nan", "n=9223372036854775808"] {
            assert_eq!(q(bad), None, "{bad}");
        }
        assert_eq!(q("n=9223372036854775807"), Some(Some(i64::MAX)));
    }

    #[test]
    fn free_text_needs_a_visible_character_within_the_length() {
        assert!(check_free_text("body", "a", 3).is_ok());
        assert!(check_free_text("body", " \u{3000}x\t", 4).is_ok());
        for bad in ["", "   ", "\u{1}\n\u{1}", "\u{a0}\u{2028}", "abcd"] {
            assert!(check_free_text("body", bad, 3).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_white_space_class_is_rusts() {
        // Every character `char::is_whitespace` knows is in WS, and nothing else is.
        let ranges = [
            ('\t', '\r'),
            (' ', ' '),
            ('\u{85}', '\u{85}'),
            ('\u{a0}', '\u{a0}'),
            ('\u{1680}', '\u{1680}'),
            ('\u{2000}', '\u{200a}'),
            ('\u{2028}', '\u{2029}'),
            ('\u{202f}', '\u{202f}'),
            ('\u{205f}', '\u{205f}'),
            ('\u{3000}', '\u{3000}'),
        ];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let listed = ranges.iter().any(|(a, b)| (*a..=*b).contains(&c));
            assert_eq!(c.is_whitespace(), listed, "{:#x}", c as u32);
        }
        assert!(
            WS.contains(r"\u2000-\u200a") && WS.contains(r"\u3000") && WS.starts_with(r"\t-\r ")
        );
        // And CC is exactly `char::is_control`.
        assert_eq!(CC, r"\u0000-\u001f\u007f-\u009f");
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let listed = ('\0'..='\u{1f}').contains(&c) || ('\u{7f}'..='\u{9f}').contains(&c);
            assert_eq!(c.is_control(), listed, "{:#x}", c as u32);
        }
    }
}
