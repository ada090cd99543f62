//! What keeps a client polite and unstuck: its time limits, its request rate and its
//! retry policy. One set per [`Client`](crate::Client), shared by all its clones.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The client's time limits.
///
/// A large export may legitimately keep REDCap busy for minutes before it sends its first
/// byte, so that limit is generous; once a body flows, a long silence means a stuck
/// connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing the connection (TCP and TLS).
    pub connect: Duration,
    /// From sending the request to the start of the response.
    pub first_byte: Duration,
    /// The longest silence while the body arrives.
    pub stall: Duration,
    /// The whole request, if limited at all.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            first_byte: Duration::from_secs(600),
            stall: Duration::from_secs(120),
            total: None,
        }
    }
}

impl Timeouts {
    /// Every limit set to `limit` (the connect limit to at most 30 s): what a command
    /// line's `--timeout` means.
    pub fn all(limit: Duration) -> Self {
        Self {
            connect: limit.min(Duration::from_secs(30)),
            first_byte: limit,
            stall: limit,
            total: None,
        }
    }
}

/// When and how often a failed request is sent again.
///
/// Only methods the API spec marks idempotent are retried, and only after failures that
/// may pass ([`Error::is_retryable`](crate::Error::is_retryable)); a ban never is. The
/// wait before retry `n` is a random time between zero and `base_delay × 2ⁿ` (capped at
/// `max_delay`), or what the server's `Retry-After` asks, whichever is longer. The budget
/// keeps a failing server from multiplying the load: a client retries at most
/// `budget_floor` times plus one for every `budget_per` requests it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per request, the first included (1 = no retries).
    pub attempts: u32,
    /// The backoff's base.
    pub base_delay: Duration,
    /// The longest wait before a retry.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for more fails the request.
    pub max_retry_after: Duration,
    /// Retries always allowed, whatever the number of requests.
    pub budget_floor: u32,
    /// One more retry allowed per this many requests sent.
    pub budget_per: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            budget_floor: 20,
            budget_per: 5,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// `attempts` attempts per request (the first included).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The backoff's base and cap.
    pub fn delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The retry budget: `floor` retries, plus one per `per` requests sent.
    pub fn budget(mut self, floor: u32, per: u32) -> Self {
        self.budget_floor = floor;
        self.budget_per = per.max(1);
        self
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// The wait before retry number `retry` (1-based): full jitter over the exponential
    /// backoff, never shorter than the server's `Retry-After`.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let jitter = ceiling.mul_f64(random_fraction());
        match retry_after {
            Some(asked) => asked.max(jitter),
            None => jitter,
        }
    }
}

/// A number in [0, 1) from the standard library's randomly keyed hasher: enough to spread
/// clients' retries apart, with no generator to seed.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        Instant::now()
            .elapsed()
            .as_nanos()
            .try_into()
            .unwrap_or(u64::MAX),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Requests and retries a client has made, for its retry budget.
#[derive(Debug, Default)]
pub(crate) struct RetryBudget {
    requests: AtomicU64,
    retries: AtomicU64,
}

impl RetryBudget {
    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one retry from the budget, or says there is none left.
    pub(crate) fn take(&self, policy: &RetryPolicy) -> bool {
        let requests = self.requests.load(Ordering::Relaxed);
        let allowed =
            u64::from(policy.budget_floor) + requests / u64::from(policy.budget_per.max(1));
        self.retries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used < allowed).then_some(used + 1)
            })
            .is_ok()
    }

    /// Retries made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}

/// REDCap bans an IP that makes more than `page_hit_threshold_per_minute` requests (600 by
/// default) in a minute. The limiter spaces requests evenly at `per_minute`, allowing a
/// short burst, so that a client stays well below that.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    /// How far ahead of the even schedule a burst may run.
    tolerance: Duration,
    /// When the next request would be due on the even schedule.
    due: Mutex<Option<Instant>>,
}

/// Requests a minute a client makes at most by default: under half of REDCap's 600.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 240;

/// Requests that may go out at once before the limiter spaces them. Any minute then holds
/// at most `per_minute + BURST` requests (270 by default, under half of REDCap's 600),
/// while an export of a few dozen batches is never held back by the spacing: it keeps the
/// server busy with its own concurrency limit instead of waiting a quarter-second a request.
const BURST: u32 = 30;

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        let interval = Duration::from_secs(60) / per_minute.max(1);
        Self {
            interval,
            tolerance: interval * (BURST - 1),
            due: Mutex::new(None),
        }
    }

    /// Waits for this request's slot.
    pub(crate) async fn acquire(&self) {
        let wait = {
            let now = Instant::now();
            let mut due = self
                .due
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let start = due.map_or(now, |due| due.max(now));
            *due = Some(start + self.interval);
            (start.checked_sub(self.tolerance))
                .and_then(|allowed| allowed.checked_duration_since(now))
        };
        if let Some(wait) = wait
            && !wait.is_zero()
        {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_below_an_exponential_ceiling() {
        let policy = RetryPolicy::default().delays(Duration::from_secs(1), Duration::from_secs(5));
        for retry in 1..8 {
            let ceiling = Duration::from_secs(1 << (retry - 1)).min(Duration::from_secs(5));
            for _ in 0..20 {
                assert!(policy.delay(retry, None) <= ceiling);
            }
        }
        assert!(policy.delay(1, Some(Duration::from_secs(9))) >= Duration::from_secs(9));
    }

    #[test]
    fn the_budget_grows_with_requests() {
        let policy = RetryPolicy {
            budget_floor: 1,
            budget_per: 2,
            ..RetryPolicy::default()
        };
        let budget = RetryBudget::default();
        assert!(budget.take(&policy));
        assert!(!budget.take(&policy));
        budget.count_request();
        budget.count_request();
        assert!(budget.take(&policy));
        assert!(!budget.take(&policy));
        assert_eq!(budget.retries(), 2);
    }

    #[tokio::test]
    async fn the_limiter_spaces_requests_after_a_burst() {
        let limiter = RateLimiter::new(6000);
        let start = Instant::now();
        for _ in 0..BURST + 5 {
            limiter.acquire().await;
        }
        // 6000 a minute is one every 10 ms: the burst goes at once, the five after wait.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(45), "{elapsed:?}");
    }
}
