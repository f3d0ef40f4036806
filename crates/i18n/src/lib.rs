//! The translation catalogue: Dutch (default) and English.
//!
//! Every user-visible string is a field of [`Msgs`]; [`NL`] and [`EN`] fill it. A key missing
//! from one language does not compile, and templates name fields, so a typo does not compile
//! either. Keys are `page_element`; domain errors carry dotted keys (`password.rule_length`),
//! which [`Msgs::get`] resolves. Texts with `{name}` placeholders are filled by [`fill`].

mod en;
mod nl;

pub use en::EN;
pub use nl::NL;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
    /// Parses `nl` or `en` (or a longer tag such as `en-GB`); anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "nl" || s.starts_with("nl-") {
            Some(Lang::Nl)
        } else if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }
    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }
}

/// Replaces `{name}` placeholders. Values are inserted as they are: escaping is the template's
/// job (askama escapes every `{{ }}` in HTML).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

macro_rules! catalogue {
    ($($key:ident),* $(,)?) => {
        /// One language's texts.
        pub struct Msgs {
            $(pub $key: &'static str,)*
        }

        impl Msgs {
            /// Every key, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Looks a text up by key; dots count as underscores (`password.rule_length`).
            pub fn get(&self, key: &str) -> Option<&'static str> {
                let key = key.replace('.', "_");
                match key.as_str() {
                    $(stringify!($key) => Some(self.$key),)*
                    _ => None,
                }
            }

            /// Like [`Msgs::get`], but falls back to the generic error text.
            pub fn text(&self, key: &str) -> &'static str {
                self.get(key).unwrap_or(self.error_generic)
            }

            /// (key, text) pairs, for the catalogue tests.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key)),*]
            }
        }
    };
}

catalogue! {
    lang_code, app_name, lang_switch, lang_nl, lang_en, skip_to_content, logout, menu,
    manifest_description, opens_new_window,
    footer_secure,
    // errors
    error_title, error_generic, error_reference, error_not_found_title, error_not_found, error_forbidden,
    error_csrf, error_too_large, error_back_home, error_rate_limited, error_not_text,
    email_required, email_invalid, name_required, name_too_long, name_invalid, username_invalid,
    text_too_long, account_exists, form_has_errors, required_mark,
    // passwords
    password_rules_title, password_rule_length, password_rule_lower, password_rule_upper, password_rule_digit,
    password_rule_special, password_too_common, password_too_long, password_mismatch, password_rule_met,
    password_rule_unmet, password_rules_status,
    // setup
    setup_title, setup_intro, setup_practice_name, setup_practice_email, setup_admin, setup_submit,
    setup_done, setup_link_invalid, practice_name_required, practice_exists,
    // login
    login_title, login_intro, login_identifier, login_password, login_submit, login_failed,
    login_for_invitation, login_patient_only,
    // password forgotten, throttling
    login_forgot, login_blocked, forgot_title, forgot_intro, forgot_email, forgot_submit, forgot_sent, reset_title, reset_intro, reset_done, notice_continue, mail_reset_subject, mail_reset_body, mail_reset_button, mail_reset_valid, mail_changed_subject, mail_changed_body, mail_changed_not_you, mail_changed_button,
    // session code, second step settings
    session_code_title, session_code_intro, session_code_requested, session_code_label, session_code_submit, session_code_resend, session_code_resend_help, session_code_new, session_code_resend_wait, session_code_resent, session_code_incorrect, session_code_unreadable, session_code_expired, session_code_voided, session_code_exhausted, session_codes_limited, second_step_blocked, mail_code_subject, mail_code_body, mail_code_valid, practice_patient_step, practice_staff_step, second_step_none, second_step_session_code, second_step_two_factor, enrol_title, enrol_intro, enrol_app, enrol_app_text, enrol_passkey,
    // settings, sessions
    settings_title, sessions_title, sessions_intro, sessions_device, sessions_started, sessions_last_active, sessions_address, sessions_this, sessions_end, sessions_end_others, sessions_ended, sessions_others_ended, sessions_unknown_device, sessions_on,
    // two-factor
    tf_title, tf_status_on, tf_status_off, tf_activate, tf_question, tf_enrol_password, tf_yes, tf_password_again, tf_wrong_password, tf_scan, tf_qr_label, tf_key_text, tf_first_code, tf_code_label, tf_confirm, tf_code_wrong, tf_enabled, tf_backup_intro, tf_backup_download, tf_backup_print, tf_done, tf_login_intro, tf_login_backup, tf_login_label, tf_disable, tf_disable_intro, tf_disabled,
    // an administrator's account actions
    mail_signed_out_subject, mail_signed_out_body, mail_step_reset_subject, mail_step_reset_body, mail_not_asked, mail_login_button, accounts_title, accounts_intro, accounts_search, accounts_search_submit, accounts_none, accounts_second_step, accounts_step_app, accounts_step_passkeys, accounts_step_nothing, accounts_sessions, accounts_check, accounts_checked, accounts_check_required, accounts_sign_out, accounts_sign_out_text, accounts_signed_out, accounts_reset, accounts_reset_text, accounts_reset_done, accounts_open,
    // messenger
    conversations_filter, conversations_no_match, conversation_unread, message_status_sent, message_status_read, socket_bad_frame, practice_read_receipts, receipts_title, receipts_label, receipts_save, receipts_saved, receipts_off_by_practice,
    // office hours
    practice_hours, practice_hours_help, practice_closed_days, practice_closed_days_help, practice_emergency, office_hours_format, closed_days_format, office_closed, office_closed_later, office_closed_team, office_closed_team_later, weekday_0, weekday_1, weekday_2, weekday_3, weekday_4, weekday_5, weekday_6, opening_at,
    // app lock
    practice_lock_minutes, practice_lock_minutes_help, lock_minutes_range, pin_format, pin_too_easy, lock_title, lock_intro, lock_own_device, lock_pin, lock_pin_help, lock_pin_confirm, lock_pin_mismatch, lock_not_own, lock_biometric, lock_biometric_none, lock_enable, lock_enabled, lock_disable, lock_disable_help, lock_disabled, lock_now, lock_screen_title, lock_screen_intro, lock_code_label, lock_unlock, lock_biometric_button, lock_wrong, lock_signed_out, lock_forgot,
    // API tokens
    tokens_title, tokens_intro, tokens_name, tokens_create, tokens_shown_once, tokens_none, tokens_revoke, token_revoked,
    // passkeys
    pk_title, pk_intro, pk_none, pk_name, pk_created, pk_last_used, pk_never_used, pk_remove, pk_add, pk_name_label, pk_name_help, pk_added, pk_removed, pk_exists, pk_failed, pk_expired, pk_wrong_origin, pk_unavailable, pk_unsupported, pk_needs_js, pk_busy, pk_login, pk_login_failed, pk_or, pk_second_intro, pk_use, pk_no_access,
    // set password
    set_password_title, set_password_intro, set_password_submit, set_password_done, link_expired,
    link_used, link_unknown,
    // navigation
    nav_conversations, nav_contacts, nav_groups, nav_files, nav_settings, nav_invitations, nav_invite,
    nav_staff, nav_dev_mailbox, nav_practice, coming_soon,
    // invite
    invite_title, invite_intro, invite_first_name, invite_last_name, invite_email, invite_note,
    invite_note_help, invite_lang, invite_submit, invite_sent, invite_waiting, invite_not_allowed,
    // invitations list
    invitations_title, invitations_empty, invitations_name, invitations_email, invitations_sent_at,
    invitations_state, invitations_actions, invitations_inviter, invitations_resend, invitations_withdraw,
    invitations_resent, invitations_withdrawn, invitations_not_open, invitations_valid_until,
    invitation_state_sent, invitation_state_waiting, invitation_state_opened, invitation_state_accepted, invitation_state_declined,
    invitation_state_withdrawn, invitation_state_expired, invitation_not_open,
    // invitation e-mail
    mail_invitation_subject, mail_greeting, mail_invitation_body, mail_invitation_note, mail_invitation_button,
    mail_invitation_valid, mail_link_fallback, mail_footer, mail_set_password_subject, mail_set_password_body,
    mail_set_password_button, mail_set_password_valid,
    // landing page
    landing_title, landing_hello, landing_welcome, landing_signed_in, landing_logout_continue, landing_create, landing_have_account_intro,
    landing_have_account, landing_decline_intro, landing_decline_link, landing_from,
    invitation_expired, invitation_used, invitation_unknown, invitation_ask_new,
    // registration
    registration_title, step_details, step_summary, step_done, step_current, step_of,
    details_title, details_first_name, details_last_name, details_username, details_username_help,
    details_username_help_label, details_email, details_email_fixed, details_auth_title,
    details_password, details_password_confirm, details_show_password, details_password_kept, next, previous,
    summary_title, summary_intro, summary_terms_before, summary_terms_link, summary_terms_middle,
    summary_privacy_link, summary_terms_after, summary_terms_required, summary_no_username,
    done_thanks, done_start, done_install_hint, done_countdown, done_countdown_one, done_stop, done_open_now,
    // decline
    decline_title, decline_question, decline_confirm, decline_cancel, decline_done,
    // terms
    terms_title, privacy_title, terms_empty,
    // messenger
    messenger_title, conversations_empty, conversation_choose, message_placeholder, message_label,
    message_send, message_empty, message_sent_at, message_you, conversation_with, conversation_messages, conversation_empty, time_yesterday,
    conversations_list, message_too_long, message_room_left, message_over, message_client_id, conversation_earlier,
    // e-mail notices of unread messages
    mail_unread_subject, mail_unread_greeting, mail_unread_body, mail_unread_button, mail_unread_off, notify_title, notify_label, notify_hint, notify_save, notify_saved,
    // teams
    nav_teams, teams_title, teams_intro, teams_no_members, teams_members, teams_add_who, teams_add_submit, teams_added, teams_remove, teams_remove_label, teams_removed, teams_hours, teams_hours_own, teams_hours_practice, teams_hours_help, teams_hours_save, teams_hours_save_label, teams_hours_saved, teams_new, teams_name, teams_purpose, teams_create, teams_created, team_name_required, team_name_taken, contacts_teams, contacts_teams_intro, team_banner_open, team_banner_taken, team_banner_mine, team_take, team_hand_over, team_hand_over_submit, team_taken, team_handed_over,
    // contacts and groups
    contacts_title, contacts_intro_patient, contacts_intro_staff, contacts_empty, contacts_message, contacts_message_to, groups_title, groups_intro, groups_empty, groups_new, groups_name, groups_members_choose, groups_members_hint, groups_create, groups_created, groups_members, groups_open, groups_add, groups_add_who, groups_add_submit, groups_added, groups_remove, groups_remove_label, groups_removed, groups_nobody_to_add, group_name_required, group_one_patient, group_members_required,
    // files
    file_attach, file_attach_hint, file_drag_hint, file_uploading, file_progress, file_cancel, file_cancelled, file_sent, file_failed, file_too_large, file_mismatch, file_empty, file_cut_off, file_name, file_open, file_download, file_preview, file_kind_image, file_kind_pdf, file_kind_document, file_kind_other, files_title, files_intro, files_filter, files_filter_all, files_filter_image, files_filter_pdf, files_filter_document, files_filter_other, files_filter_submit, files_empty, files_none_of_kind, files_col_file, files_col_conversation, files_col_sender, files_col_date, files_col_size, files_list,
    // staff administration
    staff_title, staff_intro, staff_add, staff_first_name, staff_last_name, staff_email, staff_role,
    staff_added, staff_active, staff_inactive, staff_deactivate, staff_activate, staff_status,
    role_admin, role_provider, role_assistant, role_practice_staff, role_patient,
    // practice settings
    practice_title, practice_intro, practice_terms, practice_privacy, practice_save, practice_saved,
    // secure e-mail
    phone_required, phone_invalid, subject_required, subject_invalid, access_code_too_short,
    access_code_invalid, recipient_twice, recipient_too_many,
    mail_secure_subject, mail_secure_subject_with, mail_secure_body, mail_secure_button, mail_secure_how_access_code, mail_secure_how_sms, mail_secure_how_email_code, mail_secure_why, nav_secure_mail, secure_title, secure_intro, secure_new, secure_list, secure_empty, secure_recipient, secure_email, secure_cc, secure_method, secure_method_access_code, secure_method_sms, secure_method_email_code, secure_access_code, secure_phone, secure_subject, secure_text, secure_send_as, secure_send_as_me, secure_send_as_team, secure_lang, secure_send, secure_sent, secure_codes_title, secure_codes_once, secure_col_subject, secure_col_to, secure_col_sender, secure_col_last, secure_unread, secure_status_sent, secure_status_delivered, secure_status_not_delivered, secure_status_opened, secure_status_replied, secure_recipients, secure_col_status, secure_col_method, secure_locked_until, secure_expires, secure_no_expiry, secure_thread, secure_reply_label, secure_reply_send, secure_replied, secure_revoked_staff, secure_expired_staff, secure_back, text_required, guest_title, guest_from, guest_code_intro, guest_code_label, guest_code_open, guest_code_help, guest_code_wrong, guest_locked, guest_revoked, guest_expired, guest_unknown, guest_you, guest_reply, guest_reply_label, guest_reply_send, guest_replied, guest_stay, guest_thread, secure_add_recipient, secure_revoke, secure_revoke_help, secure_revoked_done,
    practice_secure_expiry, practice_secure_expiry_help, practice_secure_email_code, practice_secure_subject, expiry_days_range, mail_wrong_number_subject, mail_wrong_number_body, mail_wrong_number_button, guest_wrong_number, guest_wrong_number_done, secure_wrong_number, secure_col_change, secure_resend, secure_new_code, secure_to_sms, secure_to_sms_submit, secure_changed, secure_resent, secure_proof, secure_proof_intro, secure_proof_meta, secure_proof_link, secure_col_sent, secure_col_delivered, secure_col_failed, secure_col_opened, secure_col_replied, secure_print, secure_back_to_message, secure_revoke_sure, secure_revoke_confirm,
    sms_secure_code, mail_secure_code_subject, mail_secure_code_body, mail_secure_code_valid, guest_sms_intro, guest_email_intro, guest_send_code, guest_send_again, guest_code_sent_sms, guest_code_sent_email, guest_sent_code_label, guest_code_wait, guest_code_incorrect, guest_code_expired, guest_code_voided, guest_code_exhausted, guest_code_used, guest_code_missing, dev_mailbox_sms, dev_mailbox_sms_empty, dev_mailbox_number,
    // development mailbox
    dev_mailbox_title, dev_mailbox_intro, dev_mailbox_empty, dev_mailbox_to, dev_mailbox_subject,
    dev_mailbox_date, dev_mailbox_text, dev_mailbox_html, dev_mailbox_status, dev_mailbox_pending, dev_mailbox_sent, dev_mailbox_failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
            .collect();
        out.sort();
        out
    }

    /// Both languages have the same keys (the struct guarantees it; this guards `entries`),
    /// no text is empty, and each text's placeholders are the same in both languages.
    #[test]
    fn both_languages_have_the_same_keys_and_placeholders() {
        let nl = NL.entries();
        let en = EN.entries();
        assert_eq!(
            nl.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            en.iter().map(|(k, _)| *k).collect::<Vec<_>>()
        );
        assert_eq!(nl.len(), Msgs::KEYS.len());
        for ((key, n), (_, e)) in nl.iter().zip(en.iter()) {
            assert!(
                !n.trim().is_empty() && !e.trim().is_empty(),
                "{key} is empty in a language"
            );
            assert_eq!(
                placeholders(n),
                placeholders(e),
                "{key}: placeholders differ"
            );
        }
        assert_eq!(NL.lang_code, "nl");
        assert_eq!(EN.lang_code, "en");
    }

    #[test]
    fn the_seed_labels_are_there() {
        assert_eq!(NL.landing_create, "Maak je account aan");
        assert_eq!(NL.landing_have_account, "Ik heb al een account");
        assert_eq!(NL.landing_decline_link, "uitnodiging dan ook afwijzen");
        assert_eq!(NL.mail_invitation_button, "Uitnodiging accepteren");
        assert_eq!(NL.password_rule_length, "Gebruik ten minste 8 karakters");
        assert_eq!(NL.message_send, "Stuur");
        assert_eq!(NL.lang_switch, "Change language");
    }

    #[test]
    fn dotted_keys_resolve_and_unknown_keys_fall_back() {
        assert_eq!(
            NL.get("password.rule_length"),
            Some(NL.password_rule_length)
        );
        assert_eq!(EN.text("no.such.key"), EN.error_generic);
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(fill("Hallo {name},", &[("name", "Jan")]), "Hallo Jan,");
    }

    #[test]
    fn languages_parse_from_tags() {
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("NL"), Some(Lang::Nl));
        assert_eq!(Lang::parse("de"), None);
    }
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Local time of the practice (Europe/Amsterdam, with summer time); UTC if the system has no
/// time zone database.
fn local(ms: i64) -> Option<jiff::civil::DateTime> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    let tz = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC);
    Some(ts.to_zoned(tz).datetime())
}

/// "25 november 2026" / "25 November 2026".
pub fn date(lang: Lang, ms: i64) -> String {
    let Some(dt) = local(ms) else {
        return String::new();
    };
    let months = if lang == Lang::Nl {
        MONTHS_NL
    } else {
        MONTHS_EN
    };
    let month = months
        .get(usize::try_from(dt.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{} {} {}", dt.day(), month, dt.year())
}

/// "25 november 2026, 14:05".
pub fn date_time(lang: Lang, ms: i64) -> String {
    let Some(dt) = local(ms) else {
        return String::new();
    };
    format!("{}, {:02}:{:02}", date(lang, ms), dt.hour(), dt.minute())
}

/// When a message was sent, as short as is clear on `now`'s day: "14:05" today, "gisteren
/// 14:05" / "yesterday 14:05" the day before, else the whole date and time.
pub fn message_time(lang: Lang, ms: i64, now_ms: i64) -> String {
    let (Some(at), Some(now)) = (local(ms), local(now_ms)) else {
        return String::new();
    };
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    let (day, today) = (at.date(), now.date());
    if day == today {
        clock
    } else if today.yesterday().ok() == Some(day) {
        format!("{} {clock}", lang.msgs().time_yesterday)
    } else {
        date_time(lang, ms)
    }
}

/// The practice's local calendar day (days since 1970-01-01) and minute of the day at `ms`.
pub fn local_day_minute(ms: i64) -> Option<(i32, i32, i32, u16)> {
    let dt = local(ms)?;
    Some((
        i32::from(dt.year()),
        i32::from(dt.month()),
        i32::from(dt.day()),
        u16::try_from(i32::from(dt.hour()) * 60 + i32::from(dt.minute())).ok()?,
    ))
}

/// "maandag 30 november om 08:00" / "Monday 30 November at 08:00".
pub fn opening(lang: Lang, weekday: usize, month: u32, day: u32, minute: u16) -> String {
    let t = lang.msgs();
    let weekdays = [
        t.weekday_0,
        t.weekday_1,
        t.weekday_2,
        t.weekday_3,
        t.weekday_4,
        t.weekday_5,
        t.weekday_6,
    ];
    let months = if lang == Lang::Nl {
        MONTHS_NL
    } else {
        MONTHS_EN
    };
    let month = months
        .get(usize::try_from(month).unwrap_or(1).saturating_sub(1))
        .copied()
        .unwrap_or("");
    fill(
        t.opening_at,
        &[
            ("weekday", weekdays.get(weekday).copied().unwrap_or("")),
            ("date", &format!("{day} {month}")),
            ("time", &format!("{:02}:{:02}", minute / 60, minute % 60)),
        ],
    )
}

/// A file size as people read it: "840 bytes", "12 kB", "1,5 MB" / "1.5 MB", in units of 1024
/// as Windows shows them (so the 100 MiB limit reads "100 MB").
pub fn file_size(lang: Lang, bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "kB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let tenths = (bytes * 10 + unit / 2) / unit;
            let text = if tenths >= 100 || tenths.is_multiple_of(10) {
                format!("{}", (tenths + 5) / 10)
            } else {
                let sep = if lang == Lang::Nl { ',' } else { '.' };
                format!("{}{sep}{}", tenths / 10, tenths % 10)
            };
            return format!("{text} {name}");
        }
    }
    format!("{bytes} bytes")
}

/// "14:05".
pub fn time_of_day(ms: i64) -> String {
    local(ms)
        .map(|dt| format!("{:02}:{:02}", dt.hour(), dt.minute()))
        .unwrap_or_default()
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_are_local_to_the_practice() {
        // 2026-07-01T22:30:00Z is 2 July, 00:30 in Amsterdam (summer time).
        let ms = 1_782_945_000_000;
        assert_eq!(date(Lang::Nl, ms), "2 juli 2026");
        assert_eq!(date_time(Lang::En, ms), "2 July 2026, 00:30");
        assert_eq!(time_of_day(ms), "00:30");
    }

    #[test]
    fn message_times_are_short_today_and_yesterday() {
        // 2026-07-01T22:30:00Z is 2 July, 00:30 in Amsterdam.
        let ms = 1_782_945_000_000;
        let hour = 3_600_000;
        assert_eq!(message_time(Lang::Nl, ms, ms + 10 * hour), "00:30");
        assert_eq!(message_time(Lang::Nl, ms, ms + 24 * hour), "gisteren 00:30");
        assert_eq!(
            message_time(Lang::En, ms, ms + 24 * hour),
            "yesterday 00:30"
        );
        assert_eq!(
            message_time(Lang::Nl, ms, ms + 48 * hour),
            "2 juli 2026, 00:30"
        );
        // The day changes at midnight in Amsterdam, not in UTC: 23:59 then 00:01.
        let before_midnight = ms - 31 * 60_000;
        assert_eq!(
            message_time(Lang::Nl, before_midnight, ms),
            "gisteren 23:59"
        );
    }

    #[test]
    fn file_sizes_read_naturally() {
        assert_eq!(file_size(Lang::Nl, 840), "840 bytes");
        assert_eq!(file_size(Lang::Nl, 12_600), "12 kB");
        assert_eq!(file_size(Lang::Nl, 1_600_000), "1,5 MB");
        assert_eq!(file_size(Lang::En, 1_600_000), "1.5 MB");
        assert_eq!(file_size(Lang::En, 2 * 1024 * 1024), "2 MB");
        assert_eq!(file_size(Lang::Nl, 100 * 1024 * 1024), "100 MB");
        assert_eq!(file_size(Lang::Nl, 1_181_116_006), "1,1 GB");
    }
}
