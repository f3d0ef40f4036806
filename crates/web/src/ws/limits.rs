//! What one socket may send: the size of a frame, and how many frames how fast.

use std::time::Instant;

/// Largest frame accepted (a 10,000-character message fits several times).
pub(super) const MAX_FRAME: usize = 64 * 1024;
/// Frames a browser may send per second, on average, and in a burst (a token's own limit
/// applies to a client with a token).
pub(super) const RATE_PER_SEC: f64 = 5.0;
const BURST: f64 = 20.0;
/// Frames refused for the rate before the socket is closed as abusive.
const MAX_STRIKES: u32 = 20;

/// A token bucket over the frames a client sends, and the frames it refused.
pub(super) struct RateLimit {
    tokens: f64,
    /// Frames per second on average; None: no limit (a token an operator made so).
    per_sec: Option<f64>,
    refilled: Instant,
    strikes: u32,
}

impl RateLimit {
    /// A full bucket.
    pub(super) fn new(per_sec: Option<f64>) -> Self {
        RateLimit {
            tokens: BURST,
            per_sec,
            refilled: Instant::now(),
            strikes: 0,
        }
    }

    /// Refills the bucket and takes one frame's worth; false when the client sends too fast.
    pub(super) fn allow(&mut self) -> bool {
        let Some(per_sec) = self.per_sec else {
            return true;
        };
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * per_sec).min(BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Counts a frame refused for the rate; true when there were enough to close the socket.
    pub(super) fn strike(&mut self) -> bool {
        self.strikes += 1;
        self.strikes >= MAX_STRIKES
    }
}
