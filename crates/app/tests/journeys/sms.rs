//! The sms worker against a real HTTP receiver (a small server on 127.0.0.1 in this test): each
//! text message is a signed JSON POST; a 500 or no answer is tried again after the backoff and
//! nothing is lost; a 4xx is given up at once and the recipient is "niet afgeleverd".

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use spreekuur_domain::audit::{Action, AuditRecord};
use spreekuur_domain::ports::{SecureMailStore, SmsOutboxStore};
use spreekuur_domain::secure_mail::send::{self, ComposeForm, Rules, Sending};
use spreekuur_domain::secure_mail::sent_code::{Delivery, NewSentCode, SmsOut, may_send};
use spreekuur_domain::secure_mail::{RecipientForm, Status};
use spreekuur_domain::{Clock, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::world::{NOW, World};

/// A clock the test moves.
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

const SECRET: &str = "a-shared-secret-for-the-test";

/// One request as the receiver saw it: body and signature header.
#[derive(Debug, Clone)]
struct Seen {
    body: String,
    signature: String,
}

/// Answers each request with the next status of `answers` (0: the connection is closed
/// without an answer).
async fn receiver(answers: Vec<u16>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for status in answers {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            let (head, body) = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if rest.len() >= len {
                        break (head.to_string(), rest[..len].to_string());
                    }
                }
            };
            let signature = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("x-spreekuur-signature:")
                        .then(|| l.split_once(':').unwrap().1.trim().to_string())
                })
                .unwrap_or_default();
            log.lock().unwrap().push(Seen { body, signature });
            if status == 0 {
                drop(sock);
                continue;
            }
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            sock.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn sms_journey(w: World) {
    let anna = w.provider().await;
    let sending = Sending {
        store: &*w.db,
        tokens: &w.tokens,
        letters: w.letters(),
        now: NOW,
        client: "203.0.113.9",
        rules: Rules::default(),
    };
    let row = |email, phone| RecipientForm {
        email,
        method: "sms",
        phone,
        ..RecipientForm::default()
    };
    let form = ComposeForm {
        subject: "Uw afspraak",
        text: "Dinsdag om tien uur.",
        recipients: vec![
            row("jan@example.test", "06 12 34 56 78"),
            row("els@example.test", "+32 470 12 34 56"),
        ],
        lang: "nl",
        ..ComposeForm::default()
    };
    let sent = send::send(sending, &anna, &[], &form).await.unwrap();
    let thread = w.db.thread(&sent.id).await.unwrap().unwrap();
    let code_for = |i: usize, at: Timestamp| {
        let copy = &thread.copies[i];
        NewSentCode {
            id: uuid::Uuid::now_v7().to_string(),
            copy: copy.id.clone(),
            code_hash: vec![i as u8; 32],
            created_at: at,
            expires_at: at.plus_seconds(600),
            delivery: Delivery::Sms(SmsOut {
                to: copy.phone.clone().unwrap(),
                text: format!("12345{i} is uw code"),
            }),
        }
    };
    let audit = AuditRecord::new(NOW, Action::SecureMailCodeSent, "t");
    w.db.issue_sent_code(&code_for(0, NOW), may_send, &audit)
        .await
        .unwrap();

    // Jan's: the provider answers 500, then hangs up without an answer, then 200; Els's: 400.
    let (url, seen) = receiver(vec![500, 0, 200, 400]).await;
    let clock = Arc::new(TestClock(AtomicI64::new(NOW.millis())));
    let worker = spreekuur_sms::SmsWorker::new(
        w.db.clone(),
        clock.clone(),
        spreekuur_sms::Provider::Webhook(spreekuur_sms::Webhook::new(&url, SECRET).unwrap()),
        Arc::new(tokio::sync::Notify::new()),
    );
    let cancel = CancellationToken::new();
    let running = tokio::spawn(worker.run(cancel.clone()));
    let count = |n: usize| {
        let seen = seen.clone();
        async move || seen.lock().unwrap().len() >= n
    };
    wait_for("the first attempt", count(1)).await;
    // Not again before the backoff (30 s) has passed …
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    // … then again, and after the silent hang-up once more (a minute later), which is taken.
    clock.0.fetch_add(31_000, Ordering::SeqCst);
    wait_for("the second attempt", count(2)).await;
    clock.0.fetch_add(61_000, Ordering::SeqCst);
    wait_for("the third attempt", count(3)).await;
    let db = w.db.clone();
    wait_for("Jan's text marked sent", async || {
        db.sms_recent(5)
            .await
            .unwrap()
            .iter()
            .any(|m| m.status == "sent")
    })
    .await;
    {
        let seen = seen.lock().unwrap();
        for s in seen.iter() {
            assert_eq!(
                s.signature,
                spreekuur_sms::signature(SECRET.as_bytes(), s.body.as_bytes())
            );
            let json: serde_json::Value = serde_json::from_str(&s.body).unwrap();
            assert_eq!(json["to"], "+31612345678");
            assert_eq!(json["text"], "123450 is uw code");
        }
        // One message, the same id each time: nothing lost, nothing doubled.
        let ids: Vec<String> = seen
            .iter()
            .map(|s| serde_json::from_str::<serde_json::Value>(&s.body).unwrap()["id"].to_string())
            .collect();
        assert!(ids.windows(2).all(|p| p[0] == p[1]), "{ids:?}");
    }
    // Els's number is refused: given up at once, and the sender sees "niet afgeleverd".
    let now = clock.now();
    w.db.issue_sent_code(&code_for(1, now), may_send, &audit)
        .await
        .unwrap();
    wait_for("the refusal", count(4)).await;
    let id = sent.id.clone();
    wait_for("Els not delivered", async || {
        db.thread(&id).await.unwrap().unwrap().copies[1].status == Status::NotDelivered
    })
    .await;
    assert_eq!(
        db.thread(&id).await.unwrap().unwrap().copies[0].status,
        Status::Sent
    );
    cancel.cancel();
    running.await.unwrap();
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_on_sqlite() {
    sms_journey(World::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_on_postgres() {
    sms_journey(World::postgres().await).await;
}
