//! The visitor's language: the `spreekuur_lang` cookie ("Change language"), else Dutch.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use spreekuur_i18n::Lang;

use super::cookies;

#[derive(Debug, Clone, Copy)]
pub struct LangPref {
    pub lang: Lang,
    /// True when the visitor chose it; an invitation's language applies only otherwise.
    pub chosen: bool,
}

impl LangPref {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        match cookies::get_lang(headers).as_deref().and_then(Lang::parse) {
            Some(lang) => Self { lang, chosen: true },
            None => Self {
                lang: Lang::Nl,
                chosen: false,
            },
        }
    }

    /// The chosen language, or `fallback` (the invitation's language) when none was chosen.
    pub fn or(self, fallback: &str) -> Lang {
        if self.chosen {
            self.lang
        } else {
            Lang::parse(fallback).unwrap_or(Lang::Nl)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LangPref {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}
