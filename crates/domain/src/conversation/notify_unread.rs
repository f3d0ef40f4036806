//! E-mail notices of unread messages: someone with a message waiting who is not online gets at
//! most one e-mail per window, saying only that there is a new message at the practice, with a
//! link. Runs on every node; the store makes sure one node sends each notice.

use std::future::Future;

use crate::mail::{LetterKind, Mailroom};
use crate::ports::NoticeStore;
use crate::{StoreError, Timestamp};

/// Queues the notices that are due at `now`; returns how many. Most checks find none: the
/// practice's name, which signs the e-mails, is read only when some are due (`practice` is
/// awaited then, and otherwise dropped unpolled).
pub async fn notify_unread(
    notices: &dyn NoticeStore,
    practice: impl Future<Output = Result<String, StoreError>>,
    mailroom: Mailroom<'_>,
    now: Timestamp,
    window_ms: i64,
) -> usize {
    let due = match notices.due_notices(now, window_ms).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "looking for due notices failed");
            return 0;
        }
    };
    if due.is_empty() {
        return 0;
    }
    // Signed without a name rather than not sent.
    let practice = practice.await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the practice's name for notices not read");
        String::new()
    });
    let letters = mailroom.signed(&practice);
    let link = letters.link("/messenger");
    let mut sent = 0;
    for account in due {
        let mail = letters.write(
            &account.email,
            &account.lang,
            LetterKind::Unread { link: &link },
        );
        match notices
            .send_notice(&account.id, now, window_ms, &mail)
            .await
        {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "notice not queued"),
        }
    }
    if sent > 0 {
        tracing::info!(count = sent, "notices of unread messages queued");
        letters.bell.ring();
    }
    sent
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::UserId;
    use crate::account::{Account, Role};
    use crate::mail::{Composer, Letter, OutboxBell, Outgoing};
    use crate::test_support::{account, run};

    /// Who is due, and the notices queued.
    #[derive(Default)]
    struct Notices {
        due: Vec<Account>,
        /// Looking for due notices fails.
        down: bool,
        sent: Mutex<Vec<(UserId, Outgoing)>>,
    }

    #[async_trait]
    impl NoticeStore for Notices {
        async fn set_present(&self, _: &str, _: &UserId, _: Timestamp) -> Result<(), StoreError> {
            Ok(())
        }
        async fn set_absent(&self, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        async fn set_notify_email(&self, _: &UserId, _: bool) -> Result<(), StoreError> {
            Ok(())
        }
        async fn due_notices(&self, _: Timestamp, _: i64) -> Result<Vec<Account>, StoreError> {
            if self.down {
                return Err(StoreError("down".into()));
            }
            Ok(self.due.clone())
        }
        async fn send_notice(
            &self,
            user: &UserId,
            _: Timestamp,
            _: i64,
            mail: &Outgoing,
        ) -> Result<bool, StoreError> {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            sent.push((user.clone(), mail.clone()));
            Ok(true)
        }
    }

    /// Writes the practice's name as the sender and the link as the text.
    struct Plain;

    impl Composer for Plain {
        fn sms_code(&self, _: &str, _: &str, code: &str, _: Timestamp) -> String {
            code.to_string()
        }
        fn compose(&self, letter: &Letter<'_>) -> Outgoing {
            let text = match letter.kind {
                LetterKind::Unread { link } => link.to_string(),
                _ => String::new(),
            };
            Outgoing {
                to: letter.to.clone(),
                from_name: letter.practice.to_string(),
                subject: String::new(),
                text,
                html: String::new(),
            }
        }
    }

    #[derive(Default)]
    struct Bell(AtomicUsize);

    impl OutboxBell for Bell {
        fn ring(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The practice's name, counting how often it is read.
    async fn practice(reads: &AtomicUsize) -> Result<String, StoreError> {
        reads.fetch_add(1, Ordering::SeqCst);
        Ok("Huisartsenpraktijk De Linde".into())
    }

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn notify(notices: &Notices, reads: &AtomicUsize, bell: &Bell) -> usize {
        let mailroom = Mailroom {
            composer: &Plain,
            public_url: "https://zorg.example.nl",
            bell,
        };
        run(notify_unread(
            notices,
            practice(reads),
            mailroom,
            NOW,
            60_000,
        ))
    }

    #[test]
    fn nothing_due_reads_no_practice_and_rings_no_bell() {
        let (reads, bell) = (AtomicUsize::new(0), Bell::default());
        assert_eq!(notify(&Notices::default(), &reads, &bell), 0);
        let down = Notices {
            down: true,
            ..Notices::default()
        };
        assert_eq!(notify(&down, &reads, &bell), 0);
        assert_eq!(reads.load(Ordering::SeqCst), 0, "the practice was read");
        assert_eq!(bell.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn due_notices_are_signed_by_the_practice_read_once() {
        let (reads, bell) = (AtomicUsize::new(0), Bell::default());
        let jan = account(Role::Patient, "Jan", "Jansen", "jan@example.nl");
        let els = account(Role::Patient, "Els", "Bakker", "els@example.nl");
        let notices = Notices {
            due: vec![jan.clone(), els.clone()],
            ..Notices::default()
        };
        assert_eq!(notify(&notices, &reads, &bell), 2);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert_eq!(bell.0.load(Ordering::SeqCst), 1);
        let sent = notices.sent.lock().unwrap_or_else(|e| e.into_inner());
        let who: Vec<_> = sent.iter().map(|(u, _)| u.clone()).collect();
        assert_eq!(who, vec![jan.id, els.id]);
        for (_, mail) in sent.iter() {
            assert_eq!(mail.from_name, "Huisartsenpraktijk De Linde");
            assert_eq!(mail.text, "https://zorg.example.nl/messenger");
        }
    }
}
