//! When to try again: which statuses are worth a retry, and how long to wait.

use std::time::Duration;

/// The first pause when the backend gives no `retry-after`.
pub const BASE_DELAY: Duration = Duration::from_millis(500);
/// The longest pause between attempts, whatever `retry-after` asks (a longer ask is
/// cut to this, so a call never hangs for minutes).
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// Statuses that mean "busy, try later": rate limited (429), unavailable (503),
/// overloaded (529, Anthropic).
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 503 | 529)
}

/// The pause before retry number `retry` (0-based): the backend's `retry-after`
/// (seconds, fractions allowed) when it sends one, else 0.5 s doubling, both capped at
/// [`MAX_DELAY`].
pub fn delay(retry: u32, retry_after: Option<&str>) -> Duration {
    if let Some(secs) = retry_after
        .map(str::trim)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        return Duration::from_secs_f64(secs.min(MAX_DELAY.as_secs_f64()));
    }
    let factor = 2u32.saturating_pow(retry.min(16));
    BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
}
