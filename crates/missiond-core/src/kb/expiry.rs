//! When an entry expires: `ttlDays` from now, or an RFC 3339 `expiresAt`.

use super::validate::InvalidField;
use super::{DAY_MS, TTL_DAYS_MAX};

/// The expiry (Unix ms) asked for by `ttl_days` or `expires_at` (not both), if any.
/// An `expiresAt` already past is allowed: the entry is expired at once and the next
/// GC removes it (imports may carry such entries).
pub fn resolve(
    ttl_days: Option<f64>,
    expires_at: Option<&str>,
    now: i64,
) -> Result<Option<i64>, InvalidField> {
    match (ttl_days, expires_at) {
        (Some(_), Some(_)) => Err(InvalidField::new(
            "expiresAt",
            "give ttlDays or expiresAt, not both",
        )),
        (Some(days), None) => {
            if !days.is_finite() || days <= 0.0 || days > TTL_DAYS_MAX {
                return Err(InvalidField::new(
                    "ttlDays",
                    format!("must be more than 0 and at most {TTL_DAYS_MAX} days"),
                ));
            }
            // At most 100 years of milliseconds: far inside i64.
            Ok(Some(now.saturating_add((days * DAY_MS).round() as i64)))
        }
        (None, Some(text)) => parse_rfc3339(text).map(Some).ok_or_else(|| {
            InvalidField::new(
                "expiresAt",
                format!(
                    "`{text}` is not a date-time: use RFC 3339 like 2026-12-31T18:00:00Z \
                     (or a date, 2026-12-31, meaning midnight UTC)"
                ),
            )
        }),
        (None, None) => Ok(None),
    }
}

/// Unix milliseconds of an RFC 3339 time (`2026-12-31T18:00:00Z`,
/// `2026-12-31T18:00:00.250+01:00`, `2026-12-31 18:00:00Z`) or of a bare date at
/// midnight UTC (`2026-12-31`). `None` when it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = match text.get(..10) {
        Some(d) if text.len() == 10 => (d, None),
        Some(d) => (d, Some(text.get(10..)?)),
        None => return None,
    };
    let days = parse_date(date)?;
    let ms_of_day = match rest {
        None => 0,
        Some(rest) => {
            let rest = rest.strip_prefix(['T', 't', ' '])?;
            parse_time(rest)?
        }
    };
    Some(days * 86_400_000 + ms_of_day)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_date(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let y = digits(&date[..4])?;
    let m = digits(&date[5..7])?;
    let d = digits(&date[8..10])?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH:MM:SS[.frac](Z|±HH:MM)` to milliseconds after midnight UTC (may be negative or
/// past a day with an offset; the caller adds it to the date's midnight).
fn parse_time(t: &str) -> Option<i64> {
    let zone_at = t.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = t.split_at(zone_at);
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    let mut parts = hms.split(':');
    let (h, m, s) = (
        digits(parts.next()?)?,
        digits(parts.next()?)?,
        digits(parts.next()?)?,
    );
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let millis = match frac {
        None => 0,
        Some(f) => {
            digits(f)?;
            // Only the first three digits count; pad shorter fractions.
            let first3: String = f.chars().chain("000".chars()).take(3).collect();
            digits(&first3)?
        }
    };
    let offset_min = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (oh, om) = zone.get(1..)?.split_once(':')?;
            let (oh, om) = (digits(oh)?, digits(om)?);
            if oh > 23 || om > 59 || zone.len() != 6 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + millis - offset_min * 60_000)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, the inverse of the one in [`crate::time`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
