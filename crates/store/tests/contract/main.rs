//! The store contract: one suite, run against SQLite (a file in a fresh temporary directory)
//! and PostgreSQL (a fresh database per test on `SPREEKUUR_TEST_DATABASE_URL`, by default the
//! project machines' server at 127.0.0.1:5432), so tests run in parallel on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod account;
mod app_lock;
mod audit;
mod conversation;
mod file;
mod group;
mod invitation;
mod message_kinds;
mod notice;
mod outbox;
mod passkey;
mod secure_mail;
mod secure_mail_codes;
mod session_code;
mod team;
mod totp;
