//! What every page's frame needs, read once per request: the visitor's language, the form token
//! (`csrf::ensure_cookie` puts it on the request), the path, the practice's name and whether the
//! development mailbox is on. A handler takes a `Page` and makes its layout with `layout`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use spreekuur_domain::Error;
use spreekuur_domain::account::{Account, Role};
use spreekuur_i18n::Lang;

use super::LangPref;
use crate::csrf::CsrfToken;
use crate::error::PageError;
use crate::layout::{Layout, NavUser, urlencode};
use crate::state::AppState;

pub struct Page {
    /// The page's language: the visitor's choice, else Dutch; an invitation's pages switch to
    /// the invitation's language (`in_lang`) when the visitor chose none.
    pub lang: Lang,
    /// True when the visitor chose the language; an invitation's language applies only otherwise.
    pub chosen: bool,
    /// The value the page's forms carry in `_csrf`.
    pub csrf: String,
    /// The request's path: where "Change language" returns to, unless the page says otherwise.
    pub path: String,
    practice: String,
    dev_mailbox: bool,
}

impl Page {
    /// The frame for `path`; the practice's name is the one `AppState` keeps (none yet: empty).
    pub async fn read(state: &AppState, lang: LangPref, path: &str, csrf: String) -> Self {
        Self {
            lang: lang.lang,
            chosen: lang.chosen,
            csrf,
            path: path.to_string(),
            practice: state.practice_name().await.unwrap_or_default(),
            dev_mailbox: state.cfg.dev_mailbox,
        }
    }

    /// The chosen language, or `fallback` (the invitation's language) when none was chosen.
    pub fn or(&self, fallback: &str) -> Lang {
        LangPref {
            lang: self.lang,
            chosen: self.chosen,
        }
        .or(fallback)
    }

    /// The same page in `lang`.
    pub fn in_lang(self, lang: Lang) -> Self {
        Self { lang, ..self }
    }

    /// The layout of this page for `user` (None: no menu, no name), with `active` the menu entry
    /// to mark; "Change language" comes back to the request's path.
    pub fn layout(&self, user: Option<&Account>, active: &'static str) -> Layout {
        self.layout_at(&self.path, user, active)
    }

    /// As `layout`, for a page that stands for another path than the request's (a form posted
    /// elsewhere shown again, a step that lives at its own address).
    pub fn layout_at(&self, here: &str, user: Option<&Account>, active: &'static str) -> Layout {
        Layout {
            lang: self.lang.code(),
            practice: self.practice.clone(),
            user: user.map(|a| NavUser {
                name: a.display_name(),
                is_staff: a.role.is_staff(),
                is_admin: a.role == Role::Admin,
            }),
            csrf: self.csrf.clone(),
            here: urlencode(here),
            active,
            dev_mailbox: self.dev_mailbox,
            menu: true,
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    /// Refused (an internal error) outside `csrf::ensure_cookie`: a page whose forms carry no
    /// token would only fail when sent. Every route of `router` is inside it; the probes and
    /// `/metrics` take no `Page`.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(CsrfToken(csrf)) = parts.extensions.get::<CsrfToken>().cloned() else {
            return Err(Error::Internal("a page without a CSRF token".into()).into());
        };
        let lang = LangPref::from_headers(&parts.headers);
        Ok(Self::read(state, lang, parts.uri.path(), csrf).await)
    }
}

#[cfg(test)]
mod tests {
    use spreekuur_domain::account::{Account, Role};
    use spreekuur_domain::validate::{EmailAddress, PersonName};
    use spreekuur_domain::{Timestamp, UserId};
    use spreekuur_i18n::Lang;

    use super::Page;

    fn page(chosen: bool) -> Page {
        Page {
            lang: Lang::En,
            chosen,
            csrf: "token".into(),
            path: "/i/abc def/register".into(),
            practice: "De Linde".into(),
            dev_mailbox: true,
        }
    }

    fn admin() -> Account {
        let name = |n| PersonName::parse("name", n).unwrap();
        Account {
            id: UserId::new(),
            role: Role::Admin,
            email: EmailAddress::parse("anna@delinde.test").unwrap(),
            username: None,
            first_name: name("Anna"),
            last_name: name("de Vries"),
            active: true,
            lang: "nl".into(),
            send_read_receipts: true,
            notify_email: true,
            created_at: Timestamp(1_700_000_000_000),
        }
    }

    #[test]
    fn the_layout_comes_back_to_the_request_path_unless_told_otherwise() {
        let p = page(true);
        let l = p.layout(None, "");
        assert_eq!(l.here, "/i/abc%20def/register");
        assert_eq!(
            (l.lang, l.csrf.as_str(), l.practice.as_str()),
            ("en", "token", "De Linde")
        );
        assert!(l.dev_mailbox && l.menu && l.user.is_none());
        let me = admin();
        let l = p.layout_at("/settings", Some(&me), "settings");
        assert_eq!((l.here.as_str(), l.active), ("/settings", "settings"));
        let nav = l.nav().unwrap();
        assert_eq!(nav.name, "Anna de Vries");
        assert!(nav.is_staff && nav.is_admin);
    }

    #[test]
    fn an_invitations_language_applies_only_when_the_visitor_chose_none() {
        assert_eq!(page(true).or("nl"), Lang::En);
        assert_eq!(page(false).or("nl"), Lang::Nl);
        let p = page(false).in_lang(Lang::Nl);
        assert_eq!(p.layout(None, "").lang, "nl");
        assert_eq!(
            (p.csrf.as_str(), p.path.as_str()),
            ("token", "/i/abc def/register")
        );
    }
}
