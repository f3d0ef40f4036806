//! Counting requests per key per minute on this node. Depends on nothing else in the web
//! crate, so the state and the handlers can both hold one.

use std::collections::HashMap;
use std::sync::Mutex;

use spreekuur_domain::TokenId;

/// Requests per key (a token, a client address) per minute, counted on this node (a fixed
/// one-minute window). Keys of past minutes are dropped once there are many.
pub struct RateCounter<K = TokenId>(Mutex<HashMap<K, (i64, i64)>>);

impl<K> Default for RateCounter<K> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

/// Keys kept before those of past minutes are dropped.
const RATE_KEYS_KEPT: usize = 10_000;

impl<K: std::hash::Hash + Eq + Clone> RateCounter<K> {
    pub fn allow(&self, key: &K, per_minute: i64, now_ms: i64) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return true;
        };
        let window = now_ms / 60_000;
        if map.len() >= RATE_KEYS_KEPT {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(key.clone()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counter_counts_per_token_per_minute() {
        let c = RateCounter::default();
        let a = TokenId::new();
        let b = TokenId::new();
        assert!(c.allow(&a, 2, 0) && c.allow(&a, 2, 10));
        assert!(!c.allow(&a, 2, 20), "third in the same minute");
        assert!(c.allow(&b, 2, 20), "another token counts alone");
        assert!(c.allow(&a, 2, 60_000), "a new minute");
    }

    #[test]
    fn the_rate_counter_forgets_past_minutes_when_it_holds_many_keys() {
        let c = RateCounter::<String>::default();
        for i in 0..RATE_KEYS_KEPT {
            assert!(c.allow(&i.to_string(), 1, 0));
        }
        assert!(c.allow(&"new".to_string(), 1, 60_000));
        assert_eq!(
            c.0.lock().unwrap().len(),
            1,
            "only this minute's key is kept"
        );
    }
}
