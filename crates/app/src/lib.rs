//! The `spreekuur` binary's library: configuration, start-up, shutdown and the commands.
//! `main.rs` only parses the command line; tests build and run [`App`] in-process.

pub mod cli;
pub mod config;
pub mod jobs;
pub mod startup;

pub use config::Config;
pub use startup::{App, Core, StartError};
