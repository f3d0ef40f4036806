use std::time::Duration;

use crate::support::*;

fn create_staff(dir: &std::path::Path, email: &str) -> std::process::Output {
    run(
        dir,
        &[
            "admin",
            "create-staff",
            "--email",
            email,
            "--name",
            "Anna de Vries",
            "--role",
            "provider",
            "--practice-name",
            "Praktijk De Linde",
            "--practice-email",
            "info@delinde.test",
        ],
        &[],
    )
}

/// The set-password e-mail of `admin create-staff` goes out over real SMTP as a proper
/// multipart message: text and HTML, Date, Message-ID, and the practice's name in From.
#[tokio::test(flavor = "multi_thread")]
async fn mail_goes_out_over_smtp_as_multipart_with_date_and_message_id() {
    let dir = tmp_dir();
    let out = create_staff(&dir, "anna@delinde.test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(printed.contains("/password/"), "prints the link: {printed}");
    let sink = SmtpSink::start(false).await;
    let (mut child, _) = serve(
        &dir,
        &[
            ("SPREEKUUR_SMTP_URL", sink.url()),
            ("SPREEKUUR_MAIL_FROM", "noreply@delinde.test".into()),
        ],
    )
    .await;
    eventually("the e-mail", || sink.count() == 1).await;
    let raw = sink.messages.lock().unwrap()[0].clone();
    let msg = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Praktijk De Linde"));
    assert_eq!(from.address(), Some("noreply@delinde.test"));
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("anna@delinde.test")
    );
    assert!(msg.date().is_some(), "Date header");
    assert!(
        msg.message_id().is_some_and(|id| id.contains('@')),
        "Message-ID header"
    );
    assert_eq!(
        msg.subject(),
        Some("Stel je wachtwoord in voor Praktijk De Linde")
    );
    let text = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    let link = printed
        .split_whitespace()
        .find(|w| w.contains("/password/"))
        .unwrap();
    assert!(
        text.contains(link) && html.contains(link),
        "both parts carry the printed link"
    );
    child.kill().unwrap();
    let _ = child.wait();
}

/// Kill the server while it holds an e-mail it has not delivered, start it again: the e-mail
/// goes out, exactly once. (The invitation and its outbox row are one transaction; the store
/// contract tests prove that a failed transaction leaves no mail.)
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_delivers_after_restart_exactly_once() {
    let dir = tmp_dir();
    assert!(create_staff(&dir, "bea@delinde.test").status.success());
    let lease = ("SPREEKUUR_OUTBOX_LEASE_SECS", "2".to_string());

    // First run: the relay stalls mid-conversation, then the process is killed (SIGKILL).
    let stalled = SmtpSink::start(true).await;
    let (mut first, _) = serve(
        &dir,
        &[("SPREEKUUR_SMTP_URL", stalled.url()), lease.clone()],
    )
    .await;
    eventually("the worker to reach the relay", || {
        stalled.connections() >= 1
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();

    // Second run: a working relay. After the dead worker's lease runs out, the mail goes out.
    let sink = SmtpSink::start(false).await;
    let metrics_port = free_port();
    let (mut second, _) = serve(
        &dir,
        &[
            ("SPREEKUUR_SMTP_URL", sink.url()),
            lease,
            (
                "SPREEKUUR_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            ),
        ],
    )
    .await;
    eventually("the e-mail after restart", || sink.count() >= 1).await;
    eventually("an empty outbox", || {
        http_get(metrics_port, "/metrics").is_some_and(|(_, body)| {
            body.lines()
                .any(|l| l.starts_with("spreekuur_outbox_depth") && l.ends_with(" 0"))
        })
    })
    .await;
    // Give a duplicate every chance to show up: two more lease periods.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(sink.count(), 1, "delivered exactly once");
    second.kill().unwrap();
    let _ = second.wait();
}
