//! Exact parsers for REDCap's raw export text: each takes the cell as REDCap writes it
//! and returns the typed value, or `None` when the text is not of that kind. None of them
//! rounds, trims or guesses.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Days from 1970-01-01 to 0001-01-01 in chrono's day count.
const UNIX_EPOCH_DAY: i32 = 719_163;

/// A decimal number as an integer scaled by `10^scale`, exactly: `1.50` at scale 2 is
/// 150; `1.234` at scale 2 is `None` (it would need rounding). `decimal_mark` is `.` or
/// `,`. An exponent (`1.5e3`), which REDCap's number check admits, is applied exactly.
pub(crate) fn decimal(text: &str, scale: i8, decimal_mark: u8) -> Option<i128> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (mantissa, exponent) = match rest.iter().position(|&b| b == b'e' || b == b'E') {
        Some(at) => (&rest[..at], exponent(&rest[at + 1..])?),
        None => (rest, 0),
    };
    let (whole, fraction) = match mantissa.iter().position(|&b| b == decimal_mark) {
        Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
        None => (mantissa, &[][..]),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = whole.iter().chain(fraction);
    let mut value: i128 = 0;
    for &digit in digits.clone() {
        if !digit.is_ascii_digit() {
            return None;
        }
    }
    // The digits' value is `digits × 10^(exponent − fraction.len())`; bring it to
    // `10^−scale` without dropping a non-zero digit.
    let shift = i64::from(scale) + exponent - fraction.len() as i64;
    let all: Vec<u8> = digits.copied().collect();
    let kept = if shift < 0 {
        let drop = usize::try_from(-shift).ok()?;
        if drop > all.len() {
            if all.iter().any(|&d| d != b'0') {
                return None;
            }
            &all[..0]
        } else {
            let (kept, dropped) = all.split_at(all.len() - drop);
            if dropped.iter().any(|&d| d != b'0') {
                return None;
            }
            kept
        }
    } else {
        &all[..]
    };
    for &digit in kept {
        value = value
            .checked_mul(10)?
            .checked_add(i128::from(digit - b'0'))?;
    }
    if shift > 0 {
        value = value.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?;
    }
    Some(if negative { -value } else { value })
}

/// An exponent: optional sign and digits, small enough to mean something.
fn exponent(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// An integer, as REDCap's integer check admits it (optional sign, digits).
pub(crate) fn integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `1` or `0`.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    match text {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD` (every date validation's wire form) as days since 1970-01-01.
pub(crate) fn date(text: &str) -> Option<i32> {
    if text.len() != 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.num_days_from_ce() - UNIX_EPOCH_DAY)
}

/// `YYYY-MM-DD HH:MM`, or with `:SS` when `seconds`, as microseconds since 1970-01-01
/// (no time zone: REDCap stores wall-clock times).
pub(crate) fn datetime(text: &str, seconds: bool) -> Option<i64> {
    let (format, length) = if seconds {
        ("%Y-%m-%d %H:%M:%S", 19)
    } else {
        ("%Y-%m-%d %H:%M", 16)
    };
    if text.len() != length {
        return None;
    }
    let value = NaiveDateTime::parse_from_str(text, format).ok()?;
    Some(value.and_utc().timestamp_micros())
}

/// The three time validations' wire forms, as microseconds since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeForm {
    /// `HH:MM` (`time`).
    HoursMinutes,
    /// `HH:MM:SS` (`time_hh_mm_ss`).
    HoursMinutesSeconds,
    /// `MM:SS` (`time_mm_ss`), read as a time within the first hour.
    MinutesSeconds,
}

/// A time of day in one of the [`TimeForm`]s.
pub(crate) fn time(text: &str, form: TimeForm) -> Option<i64> {
    let parsed = match form {
        TimeForm::HoursMinutes if text.len() == 5 => NaiveTime::parse_from_str(text, "%H:%M"),
        TimeForm::HoursMinutesSeconds if text.len() == 8 => {
            NaiveTime::parse_from_str(text, "%H:%M:%S")
        }
        TimeForm::MinutesSeconds if text.len() == 5 => {
            NaiveTime::parse_from_str(&format!("00:{text}"), "%H:%M:%S")
        }
        _ => return None,
    }
    .ok()?;
    Some(i64::from(parsed.num_seconds_from_midnight()) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(decimal("1.50", 2, b'.'), Some(150));
        assert_eq!(decimal("1.5", 2, b'.'), Some(150));
        assert_eq!(decimal("-0.25", 2, b'.'), Some(-25));
        assert_eq!(decimal("+7", 1, b'.'), Some(70));
        assert_eq!(decimal(".5", 1, b'.'), Some(5));
        assert_eq!(decimal("3.", 0, b'.'), Some(3));
        assert_eq!(decimal("1.234", 2, b'.'), None, "would round");
        assert_eq!(decimal("1.230", 2, b'.'), Some(123));
        assert_eq!(decimal("1,5", 1, b','), Some(15));
        assert_eq!(decimal("1.5", 1, b','), None);
        assert_eq!(decimal("1.5e3", 0, b'.'), Some(1500));
        assert_eq!(decimal("15E-1", 1, b'.'), Some(15));
        assert_eq!(decimal("1e-9", 2, b'.'), None);
        assert_eq!(decimal("0e-9", 2, b'.'), Some(0));
        assert_eq!(decimal("", 2, b'.'), None);
        assert_eq!(decimal(".", 2, b'.'), None);
        assert_eq!(decimal("1 000", 0, b'.'), None);
        assert_eq!(decimal("UNK", 2, b'.'), None);
        assert_eq!(decimal("1e99999", 2, b'.'), None);
        assert_eq!(
            decimal(&"9".repeat(60), 0, b'.'),
            None,
            "overflow is refused"
        );
    }

    #[test]
    fn integers_booleans_dates_and_times() {
        assert_eq!(integer("-12"), Some(-12));
        assert_eq!(integer("1.0"), None);
        assert_eq!(integer("99999999999999999999"), None);
        assert_eq!(boolean("1"), Some(true));
        assert_eq!(boolean("true"), None);
        assert_eq!(date("1970-01-02"), Some(1));
        assert_eq!(date("2026-02-30"), None);
        assert_eq!(date("2026-2-3"), None);
        assert_eq!(datetime("1970-01-01 00:01", false), Some(60_000_000));
        assert_eq!(datetime("1970-01-01 00:01:02", true), Some(62_000_000));
        assert_eq!(datetime("1970-01-01 00:01", true), None);
        assert_eq!(time("01:02", TimeForm::HoursMinutes), Some(3_720_000_000));
        assert_eq!(
            time("01:02:03", TimeForm::HoursMinutesSeconds),
            Some(3_723_000_000)
        );
        assert_eq!(time("02:03", TimeForm::MinutesSeconds), Some(123_000_000));
        assert_eq!(time("25:00", TimeForm::HoursMinutes), None);
    }
}
