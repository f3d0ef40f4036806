//! Personal access tokens for the JSON API ("Instellingen" for staff, `spreekuur admin
//! create-token` for the operator). The secret is shown once; only its keyed hash is stored.

use zeroize::Zeroizing;

use crate::account::Account;
use crate::audit::{Action, AuditRecord};
use crate::ports::{ApiToken, ApiTokenStore};
use crate::token::{TokenIssuer, TokenKind};
use crate::validate::PersonName;
use crate::{Error, Timestamp, TokenId};

/// Every secret starts with this, so a leaked one is easy to recognise (and to scan for).
pub const SECRET_PREFIX: &str = "spk_";

/// A token just made, and its secret (to show once, never to log).
pub struct Created {
    pub token: ApiToken,
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("token", &self.token.id)
            .finish_non_exhaustive()
    }
}

/// Makes a token for a staff account. `name` says where it is used ("Praktijksysteem");
/// `rate_per_minute` is `None` for the default, 0 for no limit.
#[allow(clippy::too_many_arguments)]
pub async fn create_token(
    store: &dyn ApiTokenStore,
    tokens: &dyn TokenIssuer,
    owner: &Account,
    name: &str,
    rate_per_minute: Option<i64>,
    now: Timestamp,
    client: &str,
) -> Result<Created, Error> {
    if !(owner.active && owner.role.is_staff()) {
        return Err(Error::Forbidden);
    }
    let name = PersonName::parse("name", name)?;
    if rate_per_minute.is_some_and(|r| r < 0) {
        return Err(Error::invalid(
            "rate_per_minute",
            crate::Reason::Api("0 or more"),
        ));
    }
    let issued = tokens.issue(TokenKind::ApiToken)?;
    let secret = Zeroizing::new(format!("{SECRET_PREFIX}{}", issued.token.as_str()));
    let token = ApiToken {
        id: TokenId::new(),
        user: owner.id.clone(),
        name: name.as_str().to_string(),
        rate_per_minute,
        created_at: now,
        last_used_at: None,
    };
    let rec = AuditRecord::new(now, Action::TokenCreated, client)
        .actor(&owner.id)
        .object(&token.id);
    store
        .create_token(&token, &tokens.hash(TokenKind::ApiToken, &secret), &rec)
        .await?;
    Ok(Created { token, secret })
}
