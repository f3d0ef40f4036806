use std::os::unix::fs::PermissionsExt;

use crate::support::*;

#[test]
fn help_documents_every_command() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "admin", "config"] {
        assert!(help.contains(cmd), "--help lacks {cmd}: {help}");
    }
    let admin = String::from_utf8_lossy(
        &std::process::Command::new(BIN)
            .args(["admin", "--help"])
            .output()
            .unwrap()
            .stdout,
    )
    .to_string();
    assert!(
        admin.contains("create-staff") && admin.contains("audit"),
        "{admin}"
    );
}

#[test]
fn an_unknown_key_stops_the_start_and_is_named() {
    let dir = tmp_dir();
    let out = run(
        &dir,
        &["serve"],
        &[("SPREEKUUR_LISTNE", "127.0.0.1:1".into())],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SPREEKUUR_LISTNE"));
    let file = dir.join("spreekuur.toml");
    std::fs::write(&file, "smpt_url = \"smtp://x\"\n").unwrap();
    let out = run(&dir, &["--config", file.to_str().unwrap(), "serve"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"smpt_url\""));
    let out = run(
        &dir,
        &["serve"],
        &[("SPREEKUUR_DATABASE_URL", "mysql://localhost/x".into())],
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && err.contains("sqlite:") && err.contains("postgres:"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_makes_a_private_data_dir_a_secret_key_and_prints_a_setup_link() {
    let root = tmp_dir();
    let dir = root.join("data");
    let metrics_port = free_port();
    let (mut child, port) = serve(
        &dir,
        &[(
            "SPREEKUUR_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )],
    )
    .await;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        std::fs::metadata(dir.join("master.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert!(dir.join("spreekuur.db").exists() && dir.join("blobs").is_dir());
    assert_eq!(http_get(port, "/healthz").unwrap(), (200, "ok\n".into()));
    assert_eq!(http_get(port, "/readyz").unwrap().0, 200);
    // Metrics are the operator's: not on the web server, only on their own address.
    assert_eq!(http_get(port, "/metrics").unwrap().0, 404);
    let (status, metrics) = http_get(metrics_port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("spreekuur_http_requests_total") && metrics.contains("route=\"/readyz\""),
        "{metrics}"
    );
    assert!(metrics.contains("spreekuur_outbox_depth"), "{metrics}");
    // SIGTERM: a clean, logged stop.
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let err = stderr_of(&mut child);
    assert!(status.success(), "{err}");
    assert!(
        err.contains("SIGTERM received") && err.contains("stopped"),
        "{err}"
    );
    assert!(
        err.contains("e-mail is NOT sent"),
        "warns that mail is not sent: {err}"
    );
    // The log never carries the setup link's token.
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let token = out
        .split("/setup/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(token.len() >= 40);
    assert!(!err.contains(token), "the token stays out of the log");
}

#[test]
fn audit_verify_names_the_first_tampered_record() {
    let dir = tmp_dir();
    let out = run(
        &dir,
        &[
            "admin",
            "create-staff",
            "--email",
            "c@delinde.test",
            "--name",
            "Cor Claes",
            "--role",
            "admin",
            "--practice-name",
            "P",
            "--practice-email",
            "p@delinde.test",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It says which address the link assumed, and how to change it.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("http://localhost:8080/password/")
            && said.contains("The link starts with http://localhost:8080, assumed from `listen`")
            && said.contains("set public_url"),
        "{said}"
    );
    let out = run(&dir, &["admin", "audit", "verify"], &[]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("intact: 2 records"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Someone with access to the database file changes the first record.
    let db = dir.join("spreekuur.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::raw_sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET source = 'elsewhere' WHERE seq = 1;").execute(&mut c).await.unwrap();
    });
    let out = run(&dir, &["admin", "audit", "verify"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BROKEN at record 1"), "{err}");
}
