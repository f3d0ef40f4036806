//! The HTTP webhook provider: a signed JSON POST per message.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use spreekuur_domain::ports::SmsItem;

use crate::Attempt;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("sms_webhook_url must be an http:// or https:// address")]
    Url,
    #[error("sms_webhook_secret must have at least 16 characters")]
    Secret,
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// An HTTP endpoint that sends text messages for the practice.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    secret: Vec<u8>,
    client: reqwest::Client,
}

/// Written by hand: the secret stays out of logs.
impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// `sha256=<hex>` of HMAC-SHA-256 over `body` with `secret`: what the receiver recomputes.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhook {
    pub fn new(url: &str, secret: &str) -> Result<Self, WebhookError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(WebhookError::Url);
        }
        if secret.len() < 16 {
            return Err(WebhookError::Secret);
        }
        // reqwest is built without a TLS provider of its own (DEPENDENCIES.md): ring is the
        // process's; a second call finds it installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(Self {
            url: url.to_string(),
            secret: secret.as_bytes().to_vec(),
            client,
        })
    }

    pub(crate) async fn send(&self, item: &SmsItem) -> Attempt {
        let body = serde_json::json!({
            "id": item.id,
            "to": item.to.as_str(),
            "text": item.text,
        })
        .to_string();
        let answer = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header(
                "x-spreekuur-signature",
                signature(&self.secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => Attempt::Sent,
            Ok(r) if r.status().is_client_error() => {
                Attempt::Permanent(format!("the provider refused it: {}", r.status()))
            }
            Ok(r) => Attempt::Temporary(format!("the provider answered {}", r.status())),
            Err(e) if e.is_timeout() => Attempt::Temporary("no answer in time".into()),
            Err(e) => Attempt::Temporary(format!("could not reach the provider: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: HMAC-SHA-256 with the key "Jefe".
    #[test]
    fn the_signature_is_hmac_sha256() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn url_and_secret_are_checked() {
        assert!(matches!(
            Webhook::new("ftp://x", "0123456789abcdef"),
            Err(WebhookError::Url)
        ));
        assert!(matches!(
            Webhook::new("https://sms.example", "short"),
            Err(WebhookError::Secret)
        ));
        assert!(Webhook::new("https://sms.example/send", "0123456789abcdef").is_ok());
    }
}
