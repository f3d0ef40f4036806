//! Extractors: the visitor's language, a page's frame, the signed-in account, the client
//! address, cookies.

pub mod cookies;
pub mod lang;
pub mod page;
pub mod user;

pub use lang::LangPref;
pub use page::Page;
pub use user::{
    Admin, Client, Device, Enrolling, MaybeUser, Session, Staff, User, session_hash, waiting,
};
