//! The app lock's use cases (`domain::auth::app_lock`) on the real store, SQLite and
//! PostgreSQL: the PIN's rules when it is turned on, unlocking with the PIN (counted for the
//! account like every second-step answer), and the fifth wrong PIN signing the device out.

use spreekuur_domain::Error;
use spreekuur_domain::auth::app_lock::{self, PinAnswer};
use spreekuur_domain::auth::sign_in;
use spreekuur_domain::error::Reason;
use spreekuur_domain::ports::{SessionDevice, SessionStore};

use crate::world::{NOW, World};

/// The app lock of the session `hash` as stored.
async fn lock_of(w: &World, hash: &[u8]) -> spreekuur_domain::auth::app_lock::AppLock {
    let signed_in = w.db.session_account(hash, NOW).await.unwrap().unwrap();
    signed_in.lock.expect("the lock is on")
}

async fn app_lock_journey(w: World) {
    let anna = w.provider().await;
    let s = w.signing_in(NOW);
    let device = SessionDevice {
        public_id: "tablet".into(),
        user_agent: "journey".into(),
        client: "203.0.113.9".into(),
    };
    // The practice asks staff to set up an app first; for the lock, an open session will do.
    let session = sign_in::open(&s, &anna.id, &device).await.unwrap();
    let hash = &session.hash;

    // A PIN that is easy to guess, or typed differently the second time, turns nothing on.
    for (pin, again, field, reason) in [
        ("1234", "1234", "pin", Reason::PinTooEasy),
        ("12a4", "12a4", "pin", Reason::PinFormat),
        ("4719", "4791", "pin_confirmation", Reason::PinMismatch),
    ] {
        match app_lock::enable(&s, hash, &anna, pin, again, false).await {
            Err(Error::Invalid {
                field: f,
                reason: r,
            }) => assert_eq!((f, r), (field, reason)),
            other => panic!("{pin}/{again} is refused, got {other:?}"),
        }
    }
    let signed_in = w.db.session_account(hash, NOW).await.unwrap().unwrap();
    assert!(signed_in.lock.is_none());

    // On: the unlock token of this browser run opens it; locked, the right PIN opens it again.
    let unlock = app_lock::enable(&s, hash, &anna, " 4719 ", "4719", true)
        .await
        .unwrap();
    let lock = lock_of(&w, hash).await;
    assert_eq!(lock.unlock_key.as_deref(), Some(unlock.hash.as_slice()));
    assert!(!lock.biometric, "no passkey, so no fingerprint");
    w.db.lock_now(hash).await.unwrap();
    let lock = lock_of(&w, hash).await;
    assert_eq!(lock.unlock_key, None);
    let PinAnswer::Right(Some(fresh)) = app_lock::unlock(&s, hash, &anna, &lock, "4719")
        .await
        .unwrap()
    else {
        panic!("the right PIN opens the lock");
    };
    assert_ne!(fresh.hash, unlock.hash, "a new browser run, a new cookie");

    // Four wrong PINs say how many tries are left; the fifth signs the device out.
    w.db.lock_now(hash).await.unwrap();
    let mut left = Vec::new();
    for _ in 0..4 {
        match app_lock::unlock(&s, hash, &anna, &lock, "0000")
            .await
            .unwrap()
        {
            PinAnswer::Wrong { left: n } => left.push(n),
            other => panic!("a wrong PIN, got {other:?}"),
        }
    }
    assert_eq!(left, [4, 3, 2, 1]);
    assert!(matches!(
        app_lock::unlock(&s, hash, &anna, &lock, "0000")
            .await
            .unwrap(),
        PinAnswer::SignedOut
    ));
    assert!(w.db.session_account(hash, NOW).await.unwrap().is_none());
    w.finish().await;
}

#[tokio::test]
async fn app_lock_on_sqlite() {
    app_lock_journey(World::sqlite().await).await;
}

#[tokio::test]
async fn app_lock_on_postgres() {
    app_lock_journey(World::postgres().await).await;
}
