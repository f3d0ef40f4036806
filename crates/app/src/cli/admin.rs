//! `spreekuur admin …`

use spreekuur_domain::account::{self, Practice, Role, StaffForm};
use spreekuur_domain::api_token;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::{AccountStore, AuditStore};
use spreekuur_domain::validate::EmailAddress;
use spreekuur_domain::{Clock, Error, FormError};
use spreekuur_i18n::Lang;

use crate::config::Config;
use crate::startup::{Core, StartError, SystemClock};

/// The address links start with: `public_url`, else http://localhost and the port of `listen`.
pub fn public_url(cfg: &Config) -> String {
    if cfg.public_url.is_empty() {
        let port = cfg.listen.rsplit(':').next().unwrap_or("8080");
        format!("http://localhost:{port}")
    } else {
        cfg.public_url.clone()
    }
}

fn describe(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| match e {
            Error::Invalid { field, reason } => {
                format!("{field}: {}", Lang::En.msgs().text(reason.key()))
            }
            Error::Conflict(r) => Lang::En.msgs().text(r.key()).to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn create_staff(
    cfg: Config,
    email: &str,
    name: &str,
    role: &str,
    practice_name: Option<String>,
    practice_email: Option<String>,
) -> Result<String, StartError> {
    let core = Core::open(cfg.clone(), public_url(&cfg)).await?;
    let role = Role::parse(role)
        .filter(|r| r.is_staff())
        .ok_or_else(|| StartError::Other("role must be admin, provider or assistant".into()))?;
    let (first, last) = match name.trim().split_once(' ') {
        Some((f, l)) => (f.trim().to_string(), l.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    };
    if last.is_empty() {
        return Err(StartError::Other(
            "--name needs a first and a last name, for example \"Anna de Vries\"".into(),
        ));
    }
    let now = SystemClock.now();
    if core
        .db
        .practice()
        .await
        .map_err(|e| StartError::Other(e.to_string()))?
        .is_none()
    {
        let (Some(pname), Some(pemail)) = (practice_name, practice_email) else {
            return Err(StartError::Other(
                "the practice does not exist yet: add --practice-name and --practice-email".into(),
            ));
        };
        let pemail = EmailAddress::parse(&pemail).map_err(|e| StartError::Other(describe(&[e])))?;
        let pname = pname.trim().to_string();
        if pname.is_empty() || pname.chars().any(char::is_control) {
            return Err(StartError::Other(
                "--practice-name must be a plain, non-empty name".into(),
            ));
        }
        let practice = Practice::new(pname, pemail);
        core.db
            .create_practice(
                &practice,
                now,
                &AuditRecord::new(now, Action::PracticeSetUp, "cli"),
            )
            .await
            .map_err(|e| StartError::Other(describe(&[e])))?;
    }
    let practice = core
        .state
        .practice_name()
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    let form = StaffForm {
        first_name: &first,
        last_name: &last,
        email,
        role,
        lang: Lang::Nl.code(),
    };
    let made = account::create_staff(
        &*core.state.store,
        &*core.state.tokens,
        core.state.letters(&practice),
        None,
        &form,
        now,
        "cli",
    )
    .await
    .map_err(|e| match e {
        FormError::Fields(errs) => StartError::Other(describe(&errs)),
        FormError::Failed(e) => StartError::Other(describe(&[e])),
    })?;
    let link = made.link;
    core.db.close().await;
    Ok(link)
}

/// Checks the audit chain; `Err` names the first broken record.
pub async fn audit_verify(cfg: Config) -> Result<String, StartError> {
    let core = Core::open(cfg.clone(), public_url(&cfg)).await?;
    let report = core
        .db
        .verify_audit_chain()
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    core.db.close().await;
    match report.first_broken {
        None => Ok(format!(
            "audit trail intact: {} records, every link verified",
            report.records
        )),
        Some(seq) => Err(StartError::Other(format!(
            "audit trail BROKEN at record {seq} (of {}): it was changed, removed or inserted after it was written",
            report.records
        ))),
    }
}

/// A personal access token for a staff account, printed once.
pub async fn create_token(
    cfg: Config,
    login: &str,
    name: &str,
    rate_per_minute: Option<i64>,
) -> Result<String, StartError> {
    let core = Core::open(cfg.clone(), public_url(&cfg)).await?;
    let name = spreekuur_domain::validate::PersonName::parse("name", name)
        .map_err(|e| StartError::Other(describe(&[e])))?;
    if rate_per_minute.is_some_and(|r| r < 0) {
        return Err(StartError::Other(
            "--rate-per-minute must be 0 or more".into(),
        ));
    }
    let account = core
        .db
        .account_for_login(login)
        .await
        .map_err(|e| StartError::Other(e.to_string()))?
        .map(|(a, _)| a)
        .filter(|a| a.active && a.role.is_staff())
        .ok_or_else(|| StartError::Other(format!("no active staff account {login:?}")))?;
    let made = api_token::create_token(
        &*core.db,
        &*core.state.tokens,
        &account,
        name.as_str(),
        rate_per_minute,
        SystemClock.now(),
        "cli",
    )
    .await
    .map_err(|e| StartError::Other(describe(&[e])))?;
    Ok(made.secret.to_string())
}
