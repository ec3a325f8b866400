//! `since`: an RFC 3339 time or an age back from now.

/// Unix ms for `text` at `now`: `2026-11-25T07:40:00Z` (any RFC 3339), or an age such
/// as `90s`, `15m`, `2h`, `7d` (a plain number is seconds).
pub fn parse(text: &str, now: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Some(ms) = crate::kb::expiry::parse_rfc3339(t) {
        return Ok(ms);
    }
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = digits.parse().map_err(|_| {
        format!(
            "{t:?} is neither an RFC 3339 time (2026-11-25T07:40:00Z) nor an age (30s, 15m, 2h, 7d)"
        )
    })?;
    let unit_ms: i64 = match unit {
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => {
            return Err(format!(
                "{t:?}: unknown unit {unit:?} (use s, m, h, d or w)"
            ));
        }
    };
    Ok(now.saturating_sub(n.saturating_mul(unit_ms)))
}
