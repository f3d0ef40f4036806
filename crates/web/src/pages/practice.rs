//! "Praktijkgegevens", for administrators: the practice's name and address (shown in e-mails)
//! and the texts of the terms and the privacy statement (linked from registration).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use spreekuur_domain::Error;
use spreekuur_domain::account::Practice;
use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::auth::app_lock;
use spreekuur_domain::auth::session_code::SecondStep;
use spreekuur_domain::error::Reason;
use spreekuur_domain::office_hours::{DEFAULT_EMERGENCY_TEXT, OfficeHours};
use spreekuur_domain::secure_mail::send::Rules;
use spreekuur_domain::validate::{EmailAddress, parse_text};
use spreekuur_i18n::Msgs;

use super::{FormErrors, render, see_other};
use crate::csrf::CsrfForm;
use crate::error::PageResult;
use crate::extract::{Admin, Client, Page};
use crate::layout::Layout;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "practice.html")]
struct PracticePage {
    layout: Layout,
    t: &'static Msgs,
    saved: bool,
    name: String,
    email: String,
    terms_text: String,
    privacy_text: String,
    patient_step: String,
    staff_step: String,
    lock_minutes: String,
    read_receipts: bool,
    secure_expiry_days: String,
    secure_email_code: bool,
    secure_subject: bool,
    days: Vec<DayRow>,
    closed_days: String,
    emergency_text: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct PracticeForm {
    name: String,
    email: String,
    #[serde(default)]
    terms_text: String,
    #[serde(default)]
    privacy_text: String,
    #[serde(default)]
    patient_second_step: String,
    #[serde(default)]
    staff_second_step: String,
    #[serde(default)]
    lock_minutes: String,
    #[serde(default)]
    read_receipts: String,
    #[serde(default)]
    secure_expiry_days: String,
    #[serde(default)]
    secure_email_code: String,
    #[serde(default)]
    secure_subject: String,
    #[serde(flatten)]
    week: WeekForm,
    #[serde(default)]
    closed_days: String,
    #[serde(default)]
    emergency_text: String,
}

/// The seven weekday fields of an hours form (`hours_0` is Monday): the practice's hours here,
/// a team's on /teams.
#[derive(Deserialize)]
pub struct WeekForm {
    #[serde(default)]
    hours_0: String,
    #[serde(default)]
    hours_1: String,
    #[serde(default)]
    hours_2: String,
    #[serde(default)]
    hours_3: String,
    #[serde(default)]
    hours_4: String,
    #[serde(default)]
    hours_5: String,
    #[serde(default)]
    hours_6: String,
}

impl WeekForm {
    pub(crate) fn days(&self) -> [&str; 7] {
        [
            &self.hours_0,
            &self.hours_1,
            &self.hours_2,
            &self.hours_3,
            &self.hours_4,
            &self.hours_5,
            &self.hours_6,
        ]
    }
}

/// One weekday's field on the practice page.
pub struct DayRow {
    pub(crate) idx: usize,
    pub(crate) label: &'static str,
    pub(crate) value: String,
    /// This day's hours were refused.
    pub(crate) invalid: bool,
}

pub(crate) fn day_rows(t: &'static Msgs, values: [String; 7]) -> Vec<DayRow> {
    let labels = [
        t.weekday_0,
        t.weekday_1,
        t.weekday_2,
        t.weekday_3,
        t.weekday_4,
        t.weekday_5,
        t.weekday_6,
    ];
    values
        .into_iter()
        .enumerate()
        .map(|(idx, value)| DayRow {
            idx,
            label: labels[idx],
            value,
            invalid: false,
        })
        .collect()
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// GET /practice
pub async fn practice_get(
    State(state): State<AppState>,
    page: Page,
    Admin(me): Admin,
    Query(q): Query<Saved>,
) -> PageResult {
    let p = state.store.practice().await?.ok_or(Error::NotFound)?;
    let view = PracticePage {
        layout: page.layout(Some(&me), "practice"),
        t: page.lang.msgs(),
        saved: q.saved.is_some(),
        name: p.name,
        email: p.email.as_str().into(),
        terms_text: p.terms_text,
        privacy_text: p.privacy_text,
        patient_step: p.patient_second_step.as_str().into(),
        staff_step: p.staff_second_step.as_str().into(),
        lock_minutes: p.lock_minutes.to_string(),
        read_receipts: p.read_receipts,
        secure_expiry_days: p.secure_mail.expiry_days.to_string(),
        secure_email_code: p.secure_mail.email_code,
        secure_subject: p.secure_mail.subject_in_notice,
        days: day_rows(
            page.lang.msgs(),
            p.office_hours.week.map(OfficeHours::format_day),
        ),
        closed_days: p.office_hours.format_closed_days(),
        emergency_text: p.emergency_text,
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

/// POST /practice
pub async fn practice_post(
    State(state): State<AppState>,
    page: Page,
    Client(client): Client,
    Admin(me): Admin,
    CsrfForm(form): CsrfForm<PracticeForm>,
) -> PageResult {
    let t = page.lang.msgs();
    let mut errs = Vec::new();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 120 {
        errs.push(Error::invalid(
            "practice_name",
            Reason::PracticeNameRequired,
        ));
    }
    let email = EmailAddress::parse(&form.email)
        .map_err(|e| errs.push(e))
        .ok();
    let terms = parse_text("terms_text", &form.terms_text, 50_000)
        .map_err(|e| errs.push(e))
        .ok();
    let privacy = parse_text("privacy_text", &form.privacy_text, 50_000)
        .map_err(|e| errs.push(e))
        .ok();
    let step =
        |v: &str| SecondStep::parse(v).ok_or(Error::invalid("second_step", Reason::FormHasErrors));
    let patient_second_step = step(&form.patient_second_step)
        .map_err(|e| errs.push(e))
        .ok();
    let staff_second_step = step(&form.staff_second_step).map_err(|e| errs.push(e)).ok();
    let week = OfficeHours::parse_week(form.week.days())
        .map_err(|(_, e)| errs.push(e))
        .unwrap_or_default();
    let closed_days = OfficeHours::parse_closed_days(&form.closed_days)
        .map_err(|e| errs.push(e))
        .ok();
    let emergency_text = parse_text("emergency_text", &form.emergency_text, 500)
        .map(|t| {
            if t.is_empty() {
                DEFAULT_EMERGENCY_TEXT.to_string()
            } else {
                t
            }
        })
        .map_err(|e| errs.push(e))
        .ok();
    let lock_minutes = form
        .lock_minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| app_lock::LOCK_MINUTES.contains(m))
        .ok_or(Error::invalid("lock_minutes", Reason::LockMinutesRange))
        .map_err(|e| errs.push(e))
        .ok();
    let expiry_days = form
        .secure_expiry_days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=3650).contains(d))
        .ok_or(Error::invalid(
            "secure_expiry_days",
            Reason::ExpiryDaysRange,
        ))
        .map_err(|e| errs.push(e))
        .ok();
    let (
        Some(expiry_days),
        Some(email),
        Some(terms_text),
        Some(privacy_text),
        Some(patient_second_step),
        Some(staff_second_step),
        Some(lock_minutes),
        Some(closed_days),
        Some(emergency_text),
        true,
    ) = (
        expiry_days,
        email,
        terms,
        privacy,
        patient_second_step,
        staff_second_step,
        lock_minutes,
        closed_days,
        emergency_text,
        errs.is_empty(),
    )
    else {
        let days = day_rows(t, form.week.days().map(str::to_string));
        let view = PracticePage {
            layout: page.layout(Some(&me), "practice"),
            t,
            saved: false,
            name: form.name,
            email: form.email,
            terms_text: form.terms_text,
            privacy_text: form.privacy_text,
            patient_step: form.patient_second_step,
            staff_step: form.staff_second_step,
            days,
            lock_minutes: form.lock_minutes,
            read_receipts: form.read_receipts == "yes",
            secure_expiry_days: form.secure_expiry_days.clone(),
            secure_email_code: form.secure_email_code == "yes",
            secure_subject: form.secure_subject == "yes",
            closed_days: form.closed_days.clone(),
            emergency_text: form.emergency_text.clone(),
            errors: FormErrors::from_errors(t, &errs),
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    };
    let rec = AuditRecord::new(state.clock.now(), Action::PracticeUpdated, &client).actor(&me.id);
    state
        .store
        .update_practice(
            &Practice {
                name,
                email,
                terms_text,
                privacy_text,
                patient_second_step,
                staff_second_step,
                lock_minutes,
                read_receipts: form.read_receipts == "yes",
                office_hours: OfficeHours { week, closed_days },
                emergency_text,
                secure_mail: Rules {
                    expiry_days,
                    email_code: form.secure_email_code == "yes",
                    subject_in_notice: form.secure_subject == "yes",
                },
            },
            &rec,
        )
        .await?;
    state.forget_practice_name();
    Ok(see_other("/practice?saved=1", None))
}
