use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// With a certificate and key configured, the server speaks HTTPS itself (rustls) and sends HSTS.
#[tokio::test(flavor = "multi_thread")]
async fn serves_https_with_a_configured_certificate() {
    let dir = tmp_dir();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl made a test certificate");
    let port = free_port();
    let mut child = command(
        &dir,
        &[
            ("SPREEKUUR_LISTEN", format!("127.0.0.1:{port}")),
            ("SPREEKUUR_TLS_CERT_FILE", cert.display().to_string()),
            ("SPREEKUUR_TLS_KEY_FILE", key.display().to_string()),
        ],
    )
    .arg("serve")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let url = format!("https://localhost:{port}");
    let curl = |path: &str| {
        Command::new("curl")
            .args([
                "-s",
                "-i",
                "--max-time",
                "10",
                "--resolve",
                &format!("localhost:{port}:127.0.0.1"),
                "--cacert",
            ])
            .arg(&cert)
            .arg(format!("{url}{path}"))
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = curl("/readyz");
        if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ready") {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "server exited: {}",
            stderr_of(&mut child)
        );
        assert!(Instant::now() < deadline, "no HTTPS answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = String::from_utf8_lossy(&curl("/login").stdout).to_lowercase();
    assert!(page.starts_with("http/1.1 200"), "{page}");
    assert!(
        page.contains("strict-transport-security: max-age=31536000"),
        "{page}"
    );
    // Over https cookies carry the __Host- prefix: Secure, this host only, every path.
    let csrf = page
        .lines()
        .find(|l| l.starts_with("set-cookie: __host-spreekuur_csrf="))
        .unwrap_or_else(|| panic!("a __Host- CSRF cookie over https: {page}"));
    assert!(
        csrf.contains("; secure") && csrf.contains("path=/") && !csrf.contains("domain="),
        "{csrf}"
    );
    // Plain HTTP on the TLS port gets nothing useful.
    assert!(http_get(port, "/readyz").is_none_or(|(s, _)| s != 200));
    child.kill().unwrap();
    let _ = child.wait();
}
