//! Passkeys in Instellingen: adding one (named, after the password again) and removing one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use serde::Deserialize;
use serde_json::json;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::{CeremonyPurpose, PasskeyRecord};
use spreekuur_domain::validate::PersonName;
use spreekuur_domain::{Error, PasskeyId};

use super::{AnswerForm, audit, begin, refuse, relying_party, reply, take};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Client, Enrolling, LangPref, User};
use crate::pages::see_other;
use crate::state::AppState;
use crate::webauthn;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// POST /settings/passkeys/options: name and password again; the options to make a passkey.
pub async fn add_options_post(
    State(state): State<AppState>,
    lang: LangPref,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<AddForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    let rp = relying_party(&state)?;
    let name = match PersonName::parse("name", &form.name) {
        Ok(n) => n,
        Err(Error::Invalid { reason, .. }) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.text(reason.key()));
        }
        Err(e) => return Err(e.into()),
    };
    if !crate::pages::confirm_password(&state, &me, form.password).await? {
        return refuse(StatusCode::UNAUTHORIZED, t.tf_wrong_password);
    }
    let existing = state
        .store
        .passkeys(&me.id)
        .await?
        .iter()
        .map(|k| webauthn::passkey_from(&k.credential).map(|p| p.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (options, ceremony) = rp.start_registration(
        &me.id,
        me.username.as_deref().unwrap_or(me.email.as_str()),
        &me.display_name(),
        existing,
    )?;
    // The chosen name travels with the ceremony, so the answer cannot rename it.
    let mut kept = name.as_str().as_bytes().to_vec();
    kept.push(b'\n');
    kept.extend(ceremony);
    begin(
        &state,
        Some(&me.id),
        CeremonyPurpose::Register,
        options,
        kept,
    )
    .await
}

/// POST /settings/passkeys: the browser's new credential.
pub async fn add_post(
    State(state): State<AppState>,
    lang: LangPref,
    Client(client): Client,
    enrolling: Enrolling,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> PageResult {
    let me = enrolling.account.clone();
    let t = lang.lang.msgs();
    let rp = relying_party(&state)?;
    let now = state.clock.now();
    let Some(kept) = take(&state, &form, CeremonyPurpose::Register, Some(&me.id)).await? else {
        return refuse(StatusCode::GONE, t.pk_expired);
    };
    let Some(split) = kept.iter().position(|b| *b == b'\n') else {
        return Err(Error::Internal("passkey ceremony without a name".into()).into());
    };
    let name = String::from_utf8_lossy(&kept[..split]).to_string();
    let key = match rp.finish_registration(&form.credential, &kept[split + 1..])? {
        Ok(k) => k,
        Err(refused) => {
            tracing::info!(user = %me.id, %refused, "passkey registration refused");
            audit(&state, now, Action::PasskeyRefused, &client, Some(&me.id)).await?;
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.pk_failed);
        }
    };
    let record = PasskeyRecord {
        id: PasskeyId::new(),
        user: me.id.clone(),
        name,
        credential_id: key.cred_id().to_vec(),
        credential: webauthn::passkey_bytes(&key)?,
        created_at: now,
        last_used_at: None,
    };
    let rec = AuditRecord::new(now, Action::PasskeyAdded, &client).actor(&me.id);
    if !state.store.add_passkey(&record, &rec).await? {
        return refuse(StatusCode::CONFLICT, t.pk_exists);
    }
    let cookie = enrolling.complete(&state).await?;
    let mut r = reply(
        StatusCode::OK,
        json!({ "redirect": "/settings?notice=passkey_added" }),
    );
    if let Some(c) = cookie {
        r.headers_mut().append(SET_COOKIE, c);
    }
    Ok(r)
}

/// POST /settings/passkeys/{id}/remove: only one's own passkey; another's id is not found.
pub async fn remove_post(
    State(state): State<AppState>,
    Client(client): Client,
    User(me): User,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let id = PasskeyId::parse(&id).ok_or(Error::NotFound)?;
    let rec = AuditRecord::new(state.clock.now(), Action::PasskeyRemoved, &client).actor(&me.id);
    if !state.store.remove_passkey(&me.id, &id, &rec).await? {
        return Err(Error::NotFound.into());
    }
    Ok(see_other("/settings?notice=passkey_removed", None))
}
