//! Time as a value. Only the binary reads the clock; everything else is handed `now`.

/// Milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }
    pub const fn millis(self) -> i64 {
        self.0
    }
    pub const fn plus_seconds(self, s: i64) -> Self {
        Self(self.0 + s * 1000)
    }
    pub const fn plus_days(self, d: i64) -> Self {
        self.plus_seconds(d * 86_400)
    }
}

/// Where "now" comes from. Only the binary implements it with the system clock; tests can hand
/// in any time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}
