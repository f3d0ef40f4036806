//! For the use cases' unit tests: running one to its end, and people.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::account::{Account, Role};
use crate::validate::{EmailAddress, PersonName};
use crate::{Timestamp, UserId};

/// Runs a use case whose test ports answer at once: one poll takes it to its end.
pub fn run<T>(f: impl Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a test port kept the use case waiting"),
    }
}

/// An active account.
pub fn account(role: Role, first: &str, last: &str, email: &str) -> Account {
    let name = |n| PersonName::parse("name", n).unwrap_or_else(|e| panic!("{e}"));
    Account {
        id: UserId::new(),
        role,
        email: EmailAddress::parse(email).unwrap_or_else(|e| panic!("{e}")),
        username: None,
        first_name: name(first),
        last_name: name(last),
        active: true,
        lang: "nl".into(),
        send_read_receipts: true,
        notify_email: true,
        created_at: Timestamp(1_700_000_000_000),
    }
}
