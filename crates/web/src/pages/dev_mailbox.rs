//! The "Development mailbox": with no SMTP relay configured, e-mail stays in the outbox and
//! administrators read it here (text part with clickable links, and the HTML part on a page of
//! its own with a policy that allows its inline styles but no script). Gone once SMTP is set.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use spreekuur_domain::Error;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_i18n::{Msgs, date_time};

use super::render;
use crate::error::PageResult;
use crate::extract::{Admin, Client, Page};
use crate::layout::Layout;
use crate::middleware::security_headers::OwnCsp;
use crate::state::AppState;

pub struct MailView {
    id: String,
    subject: String,
    to: String,
    date: String,
    status: String,
    /// The text part as (piece, is_link) so links are clickable and everything is escaped.
    text: Vec<(String, bool)>,
}

pub struct SmsView {
    to: String,
    date: String,
    text: String,
}

#[derive(Template)]
#[template(path = "dev_mailbox.html")]
struct MailboxPage {
    layout: Layout,
    t: &'static Msgs,
    mails: Vec<MailView>,
    texts: Vec<SmsView>,
}

/// Splits text into plain pieces and http(s) links.
fn linkify(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest
        .find("http://")
        .into_iter()
        .chain(rest.find("https://"))
        .min()
    {
        if start > 0 {
            out.push((rest[..start].to_string(), false));
        }
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .map_or(rest.len(), |e| start + e);
        out.push((rest[start..end].to_string(), true));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push((rest.to_string(), false));
    }
    out
}

/// GET /dev/mailbox
pub async fn mailbox_get(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
) -> PageResult {
    if !state.cfg.dev_mailbox {
        return Err(Error::NotFound.into());
    }
    state
        .store
        .audit(&AuditRecord::new(state.clock.now(), Action::DevMailboxRead, &client).actor(&me.id))
        .await?;
    let t = page.lang.msgs();
    let mails = state
        .store
        .outbox_recent(50)
        .await?
        .into_iter()
        .map(|i| MailView {
            id: i.id.to_string(),
            subject: i.mail.subject,
            to: i.mail.to.as_str().to_string(),
            date: date_time(page.lang, i.created_at.millis()),
            status: match i.status.as_str() {
                "sent" => t.dev_mailbox_sent,
                "failed" => t.dev_mailbox_failed,
                _ => t.dev_mailbox_pending,
            }
            .to_string(),
            text: linkify(&i.mail.text),
        })
        .collect();
    let texts = state
        .store
        .sms_recent(50)
        .await?
        .into_iter()
        .map(|s| SmsView {
            to: s.to.as_str().to_string(),
            date: date_time(page.lang, s.created_at.millis()),
            text: s.text,
        })
        .collect();
    let view = MailboxPage {
        layout: page.layout(Some(&me), "dev_mailbox"),
        t,
        mails,
        texts,
    };
    render(StatusCode::OK, &view)
}

/// GET /dev/mailbox/{id}/html: the HTML part as the recipient would see it.
pub async fn mailbox_html_get(
    State(state): State<AppState>,
    Admin(_me): Admin,
    Path(id): Path<String>,
) -> PageResult {
    if !state.cfg.dev_mailbox {
        return Err(Error::NotFound.into());
    }
    let item = state
        .store
        .outbox_recent(500)
        .await?
        .into_iter()
        .find(|i| i.id.as_str() == id)
        .ok_or(Error::NotFound)?;
    let mut res = (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ],
        item.mail.html,
    )
        .into_response();
    res.extensions_mut().insert(OwnCsp);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_split_out() {
        assert_eq!(
            linkify("Open https://x.nl/i/abc now\nand http://y"),
            vec![
                ("Open ".into(), false),
                ("https://x.nl/i/abc".into(), true),
                (" now\nand ".into(), false),
                ("http://y".into(), true)
            ]
        );
    }
}
