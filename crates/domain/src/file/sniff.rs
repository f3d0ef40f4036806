//! What a file's content is (sniffed from its first bytes), how it may be served, and the check
//! that a sender's claim (the name's extension, the declared type) matches the content.

use super::name::extension;
use crate::Error;
use crate::error::Reason;

/// How many leading bytes the sniffer looks at.
pub const SNIFF_BYTES: usize = 512;

/// What kind of file, for the filter on the Bestanden page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Image,
    Pdf,
    Document,
    Other,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [
        FileKind::Image,
        FileKind::Pdf,
        FileKind::Document,
        FileKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Image => "image",
            FileKind::Pdf => "pdf",
            FileKind::Document => "document",
            FileKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The media type the content has.
    pub mime: &'static str,
    pub kind: FileKind,
}

/// Media types a browser may show itself: images it renders safely, and PDF. Anything else is
/// served as an attachment.
const INLINE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
];

/// Media types a browser would run as a page: never served as what they are.
const ACTIVE: &[&str] = &["text/html", "image/svg+xml", "text/xml"];

impl Sniffed {
    /// Shown in the browser (an image preview, a PDF); otherwise downloaded.
    pub fn inline(&self) -> bool {
        INLINE.contains(&self.mime)
    }
}

/// Whether a stored media type may be shown in the browser.
pub fn is_inline(mime: &str) -> bool {
    INLINE.contains(&mime)
}

/// The Content-Type a download is served with: the sniffed type, except for content a browser
/// would run (HTML, SVG, XML), which goes out as plain bytes.
pub fn served_type(mime: &str) -> &str {
    if ACTIVE.contains(&mime) {
        "application/octet-stream"
    } else {
        mime
    }
}

/// Office formats that are ZIP containers, by extension.
const ZIP_DOCUMENTS: &[(&str, &str)] = &[
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
];

/// Older Office formats in an OLE container, by extension.
const OLE_DOCUMENTS: &[(&str, &str)] = &[
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("ppt", "application/vnd.ms-powerpoint"),
];

/// What the content is, from its first bytes (at least [`SNIFF_BYTES`] unless the file is
/// shorter). The name only tells container formats apart (a .docx is a ZIP file).
pub fn sniff(head: &[u8], name: &str) -> Sniffed {
    let s = |mime, kind| Sniffed { mime, kind };
    let ext = extension(name);
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return s("image/png", FileKind::Image);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return s("image/jpeg", FileKind::Image);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return s("image/gif", FileKind::Image);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return s("image/webp", FileKind::Image);
    }
    if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"mif1" | b"msf1")
    {
        return s("image/heic", FileKind::Image);
    }
    if head.starts_with(b"%PDF-") {
        return s("application/pdf", FileKind::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return match ZIP_DOCUMENTS.iter().find(|(e, _)| *e == ext) {
            Some((_, mime)) => s(mime, FileKind::Document),
            None => s("application/zip", FileKind::Other),
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return match OLE_DOCUMENTS.iter().find(|(e, _)| *e == ext) {
            Some((_, mime)) => s(mime, FileKind::Document),
            None => s("application/octet-stream", FileKind::Other),
        };
    }
    if head.starts_with(b"{\\rtf") {
        return s("application/rtf", FileKind::Document);
    }
    if let Some(markup) = markup(head) {
        return s(markup, FileKind::Other);
    }
    if is_text(head) {
        return s("text/plain; charset=utf-8", FileKind::Document);
    }
    s("application/octet-stream", FileKind::Other)
}

/// HTML, SVG or XML, as a browser would recognise it (after a byte-order mark and white space).
fn markup(head: &[u8]) -> Option<&'static str> {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest: Vec<u8> = head[start..]
        .iter()
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    let html_tags: [&[u8]; 16] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<br",
        b"<p",
    ];
    let tag_ends = |tag: &[u8]| {
        rest.starts_with(tag)
            && (tag.starts_with(b"<!")
                || rest
                    .get(tag.len())
                    .is_some_and(|b| *b == b' ' || *b == b'>' || b.is_ascii_whitespace()))
    };
    if rest.starts_with(b"<svg") {
        return Some("image/svg+xml");
    }
    if html_tags.iter().any(|t| tag_ends(t)) || rest.starts_with(b"<!--") {
        return Some("text/html");
    }
    if rest.starts_with(b"<?xml") {
        // An XML file may well be SVG; it is served as bytes either way.
        return Some(if contains(head, b"<svg") {
            "image/svg+xml"
        } else {
            "text/xml"
        });
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// UTF-8 text without binary control characters (a character cut off at the end is fine).
fn is_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    valid
        && head
            .iter()
            .all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

/// The families a sender's claim can name: what the name's extension or the declared type
/// promises, where the content can prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Promise {
    Image,
    Pdf,
    Zip,
    Ole,
}

fn promise_of_extension(ext: &str) -> Option<Promise> {
    match ext {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "heic" => Some(Promise::Image),
        "pdf" => Some(Promise::Pdf),
        e if ZIP_DOCUMENTS.iter().any(|(z, _)| *z == e) || e == "zip" => Some(Promise::Zip),
        e if OLE_DOCUMENTS.iter().any(|(o, _)| *o == e) => Some(Promise::Ole),
        _ => None,
    }
}

fn promise_of_type(mime: &str) -> Option<Promise> {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    // Only what the sniffer can recognise is a promise it can check: a scanner's image/tiff
    // or a browser's image/avif is stored as what its content turns out to be.
    match mime.as_str() {
        "application/pdf" => Some(Promise::Pdf),
        "image/png" | "image/jpeg" | "image/jpg" | "image/gif" | "image/webp" | "image/heic" => {
            Some(Promise::Image)
        }
        _ => None,
    }
}

fn keeps(promise: Promise, head: &[u8], sniffed: &Sniffed) -> bool {
    match promise {
        Promise::Image => sniffed.kind == FileKind::Image,
        Promise::Pdf => sniffed.kind == FileKind::Pdf,
        Promise::Zip => head.starts_with(b"PK\x03\x04"),
        Promise::Ole => head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]),
    }
}

/// Refuses a file whose name or declared type promises something its content is not (a "photo"
/// that is really a web page): `Invalid("file", "file.mismatch")`.
pub fn check_claim(
    name: &str,
    declared_type: Option<&str>,
    head: &[u8],
    sniffed: &Sniffed,
) -> Result<(), Error> {
    let promises = [
        promise_of_extension(&extension(name)),
        declared_type.and_then(promise_of_type),
    ];
    if promises
        .into_iter()
        .flatten()
        .all(|p| keeps(p, head, sniffed))
    {
        Ok(())
    } else {
        Err(Error::invalid("file", Reason::FileMismatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(head: &[u8], name: &str) -> (&'static str, FileKind) {
        let s = sniff(head, name);
        (s.mime, s.kind)
    }

    #[test]
    fn content_decides_the_type() {
        assert_eq!(
            kind_of(b"\x89PNG\r\n\x1a\n....", "x.txt"),
            ("image/png", FileKind::Image)
        );
        assert_eq!(
            kind_of(&[0xFF, 0xD8, 0xFF, 0xE0], "scan"),
            ("image/jpeg", FileKind::Image)
        );
        assert_eq!(
            kind_of(b"%PDF-1.7\n", "brief"),
            ("application/pdf", FileKind::Pdf)
        );
        assert_eq!(
            kind_of(b"PK\x03\x04rest", "verslag.DOCX").0,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            kind_of(b"PK\x03\x04rest", "archief.zip").0,
            "application/zip"
        );
        assert_eq!(
            kind_of("Goedemorgen, hierbij de uitslag.\n".as_bytes(), "a.txt"),
            ("text/plain; charset=utf-8", FileKind::Document)
        );
        assert_eq!(
            kind_of(&[0, 1, 2, 3], "a.bin").0,
            "application/octet-stream"
        );
        assert_eq!(kind_of(b"", "leeg").0, "application/octet-stream");
    }

    #[test]
    fn markup_is_recognised_and_never_served_as_itself() {
        for (head, mime) in [
            (&b"<!DOCTYPE html><p>x"[..], "text/html"),
            (b"\xEF\xBB\xBF  \n<html lang=nl>", "text/html"),
            (b"<script>alert(1)</script>", "text/html"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'>", "image/svg+xml"),
            (b"<?xml version='1.0'?><svg>", "image/svg+xml"),
            (b"<?xml version='1.0'?><note/>", "text/xml"),
        ] {
            let s = sniff(head, "foto.png");
            assert_eq!(s.mime, mime, "{}", String::from_utf8_lossy(head));
            assert!(!s.inline());
            assert_eq!(served_type(s.mime), "application/octet-stream");
        }
        assert!(sniff(b"\x89PNG\r\n\x1a\n", "a").inline());
        assert!(!sniff(b"PK\x03\x04", "a.docx").inline());
        // Text that merely mentions a tag is text.
        assert_eq!(
            sniff(b"Zie <b> hieronder", "a").mime,
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn a_photo_that_is_a_web_page_is_refused() {
        let html = b"<html><script>alert(1)</script>";
        let s = sniff(html, "foto.png");
        assert!(check_claim("foto.png", None, html, &s).is_err());
        assert!(check_claim("foto", Some("image/png"), html, &s).is_err());
        assert!(check_claim("brief.pdf", None, html, &s).is_err());
        assert!(check_claim("verslag.docx", None, html, &s).is_err());
        // A type the sniffer does not know is no promise it can check.
        let tiff = b"II*\x00rest";
        assert!(check_claim("scan", Some("image/tiff"), tiff, &sniff(tiff, "scan")).is_ok());
        // Without a promise, it is stored, and served as bytes.
        assert!(check_claim("pagina.html", Some("text/html"), html, &s).is_ok());
        let png = b"\x89PNG\r\n\x1a\n";
        let p = sniff(png, "foto.png");
        assert!(check_claim("foto.png", Some("image/png"), png, &p).is_ok());
        // A JPEG named .png is still an image.
        let jpg = [0xFF, 0xD8, 0xFF, 0xE0];
        assert!(
            check_claim(
                "foto.png",
                Some("image/png"),
                &jpg,
                &sniff(&jpg, "foto.png")
            )
            .is_ok()
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in FileKind::ALL {
            assert_eq!(FileKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FileKind::parse("exe"), None);
    }
}
