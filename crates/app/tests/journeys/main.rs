//! Journeys through the real server: started in-process on port 0 with a fresh database, or as
//! the real binary where a process must die. One test binary for the crate (see STYLE.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod world;

mod app_lock;
mod cli;
mod config;
mod invitation;
mod outbox;
mod password_reset;
mod secure_mail;
mod sign_in;
mod sms;
mod tls;
