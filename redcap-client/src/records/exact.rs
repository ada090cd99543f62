//! Value types that read every text REDCap 15.7.6 accepts for a validation and write back
//! exactly that text.
//!
//! REDCap checks a value against its validation's regular expression and then stores the
//! text as sent: an integer field keeps `070` and `+70`, a `time` field can hold `9:05`,
//! a date can hold `2020/01/05`, and PCRE's `$` lets a final line break through. Each type
//! here holds the parsed value and, only when the text is not the one the value would be
//! written as, that text; so the common case costs no allocation and every case comes back
//! unchanged.

use std::borrow::Cow;
use std::fmt;

use super::DecodeMode;
use super::values::{ValueError, WireValue};

/// The text of `raw` without the one final line break PCRE's `$` lets through.
fn body(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\n").unwrap_or(raw)
}

/// The number written by `digits` (ASCII digits only), or `None`.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (the same separator twice), as REDCap's date regex reads it.
fn date(raw: &[u8]) -> Option<chrono::NaiveDate> {
    if raw.len() != 10 || !matches!(raw[4], b'-' | b'/') || raw[7] != raw[4] {
        return None;
    }
    let year = i32::try_from(number(&raw[..4])?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(&raw[5..7])?, number(&raw[8..10])?)
}

/// `H:MM` or `HH:MM` (hour 0–23), with `seconds` also `:SS`.
fn time(raw: &[u8], seconds: bool) -> Option<chrono::NaiveTime> {
    let colon = raw.iter().position(|b| *b == b':')?;
    if !(1..=2).contains(&colon) {
        return None;
    }
    let hour = number(&raw[..colon])?;
    let rest = &raw[colon + 1..];
    let (minute, second) = if seconds {
        if rest.len() != 5 || rest[2] != b':' {
            return None;
        }
        (number(&rest[..2])?, number(&rest[3..])?)
    } else {
        if rest.len() != 2 {
            return None;
        }
        (number(rest)?, 0)
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(hour, minute, second)
}

/// A date, a space and a time, as REDCap's datetime regexes read them.
fn datetime(raw: &[u8], seconds: bool) -> Option<chrono::NaiveDateTime> {
    if raw.len() < 11 || raw[10] != b' ' {
        return None;
    }
    Some(date(&raw[..10])?.and_time(time(&raw[11..], seconds)?))
}

/// `MM:SS`, both two digits, each 00–59.
fn minutes_seconds(raw: &[u8]) -> Option<u16> {
    if raw.len() != 5 || raw[2] != b':' {
        return None;
    }
    let (minutes, seconds) = (number(&raw[..2])?, number(&raw[3..])?);
    (minutes < 60 && seconds < 60).then(|| (minutes * 60 + seconds) as u16)
}

macro_rules! exact_type {
    (
        $(#[$doc:meta])*
        $name:ident($value:ty), $expected:literal,
        parse: $parse:expr,
        canonical: $canonical:expr,
        write: $write:expr $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            value: $value,
            /// The text as stored, when it differs from the value's canonical text (boxed
            /// once more so that the common case costs one pointer, not two words).
            text: Option<Box<String>>,
        }

        impl $name {
            /// The value, written in its canonical form.
            pub fn new(value: $value) -> Self {
                Self { value, text: None }
            }

            /// Reads `text` as REDCap's validation accepts it.
            pub fn parse(text: &str) -> Result<Self, ValueError> {
                let value: Option<$value> = $parse(body(text.as_bytes()));
                let value = value.ok_or_else(|| ValueError::expected($expected))?;
                // The parsers fix every digit count but the hour's, so the length and the
                // date separator tell the canonical text without formatting the value.
                let canonical: fn(&[u8]) -> bool = $canonical;
                let bytes = text.as_bytes();
                let plain = canonical(bytes) && !bytes.ends_with(b"\n");
                let text = (!plain).then(|| Box::new(text.to_string()));
                Ok(Self { value, text })
            }

            /// The value.
            pub fn value(&self) -> $value {
                self.value
            }

            /// The exact text, as REDCap stores it.
            pub fn text(&self) -> Cow<'_, str> {
                let canonical: fn(&$value) -> String = $write;
                match &self.text {
                    Some(text) => Cow::Borrowed(text),
                    None => Cow::Owned(canonical(&self.value)),
                }
            }

            /// Whether the text is the value's canonical form (the one [`Self::new`] writes).
            pub fn is_canonical(&self) -> bool {
                self.text.is_none()
            }
        }

        impl From<$value> for $name {
            fn from(value: $value) -> Self {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text())
            }
        }

        impl WireValue for $name {
            fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
                Self::parse(raw)
            }
            fn encode(&self) -> Cow<'_, str> {
                self.text()
            }
        }
    };
}

exact_type! {
    /// A date (`date_ymd`, `date_mdy`, `date_dmy`): `YYYY-MM-DD` in every export whatever
    /// the display order. `YYYY/MM/DD`, which REDCap's regex also lets through, is kept
    /// as written.
    Date(chrono::NaiveDate), "a date (YYYY-MM-DD)",
    parse: date,
    canonical: |raw| raw.len() == 10 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d").to_string(),
}

exact_type! {
    /// A time of day to the minute (`time`): `HH:MM`, or `H:MM` kept as written.
    Time(chrono::NaiveTime), "a time (HH:MM)",
    parse: |raw| time(raw, false),
    canonical: |raw| raw.len() == 5,
    write: |value| value.format("%H:%M").to_string(),
}

exact_type! {
    /// A time of day to the second (`time_hh_mm_ss`): `HH:MM:SS`, or `H:MM:SS` kept as
    /// written.
    TimeSeconds(chrono::NaiveTime), "a time (HH:MM:SS)",
    parse: |raw| time(raw, true),
    canonical: |raw| raw.len() == 8,
    write: |value| value.format("%H:%M:%S").to_string(),
}

exact_type! {
    /// A date and time to the minute (`datetime_*`): `YYYY-MM-DD HH:MM`.
    DateTime(chrono::NaiveDateTime), "a date and time (YYYY-MM-DD HH:MM)",
    parse: |raw| datetime(raw, false),
    canonical: |raw| raw.len() == 16 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d %H:%M").to_string(),
}

exact_type! {
    /// A date and time to the second (`datetime_seconds_*`): `YYYY-MM-DD HH:MM:SS`.
    DateTimeSeconds(chrono::NaiveDateTime), "a date and time (YYYY-MM-DD HH:MM:SS)",
    parse: |raw| datetime(raw, true),
    canonical: |raw| raw.len() == 19 && raw[4] == b'-',
    write: |value| value.format("%Y-%m-%d %H:%M:%S").to_string(),
}

exact_type! {
    /// A duration in minutes and seconds (`time_mm_ss`): `MM:SS`, 00:00 to 59:59. The
    /// value is the number of seconds.
    MinutesSeconds(u16), "minutes and seconds (MM:SS)",
    parse: minutes_seconds,
    canonical: |raw| raw.len() == 5,
    write: |seconds| format!("{:02}:{:02}", seconds / 60, seconds % 60),
}

impl MinutesSeconds {
    /// The duration.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.value))
    }
}

/// An integer (`integer` validation, sliders), with the exact text REDCap stored: `070`,
/// `+70` and `-0` pass REDCap's check and come back unchanged, and so does a number of any
/// length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Integer(IntegerRepr);

/// An integer's value, or its text when the text is not the value's canonical form. Two
/// words, so that `Option<Integer>` is as small as an `i64` with a tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum IntegerRepr {
    Value(i64),
    /// `070`, `+70`, `-0`, a final line break, or a number beyond `i64`.
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer keeps the value small"
    )]
    Text(Box<String>),
}

/// How one pass over an integer's text ends.
enum Scanned {
    /// Canonical text of this value.
    Canonical(i64),
    /// Valid, but not canonical (or beyond `i64`).
    Other,
    /// Not an integer.
    Invalid,
}

/// Reads `[-+]?[0-9]+` (REDCap's `/^[-+]?\b\d+\b$/`, with PCRE's final line break) in
/// one pass: the value and whether the text is how it prints.
fn scan_integer(raw: &[u8]) -> Scanned {
    let (negative, signed, digits) = match raw.first() {
        Some(b'-') => (true, true, &raw[1..]),
        Some(b'+') => (false, true, &raw[1..]),
        _ => (false, false, raw),
    };
    let (digits, line_break) = match digits.strip_suffix(b"\n") {
        Some(digits) => (digits, true),
        None => (digits, false),
    };
    if digits.is_empty() {
        return Scanned::Invalid;
    }
    // Accumulated negatively so that `i64::MIN` fits.
    let mut value: i64 = 0;
    let mut overflow = false;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Scanned::Invalid;
        }
        if !overflow {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_sub(i64::from(digit)))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
        }
    }
    let value = if negative {
        Some(value)
    } else {
        value.checked_neg()
    };
    let leading_zero = digits.len() > 1 && digits[0] == b'0';
    let plus = signed && !negative;
    match value {
        Some(value)
            if !(overflow || leading_zero || plus || line_break || (negative && value == 0)) =>
        {
            Scanned::Canonical(value)
        }
        _ => Scanned::Other,
    }
}

impl Integer {
    /// Reads `text` as REDCap's integer validation accepts it.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match scan_integer(text.as_bytes()) {
            Scanned::Canonical(value) => Ok(Self(IntegerRepr::Value(value))),
            Scanned::Other => Ok(Self(IntegerRepr::Text(Box::new(text.to_string())))),
            Scanned::Invalid => Err(ValueError::expected("an integer")),
        }
    }

    /// The number, or `None` when it is beyond the range of `i64`.
    pub fn value(&self) -> Option<i64> {
        match &self.0 {
            IntegerRepr::Value(value) => Some(*value),
            IntegerRepr::Text(text) => {
                let text = text.strip_suffix('\n').unwrap_or(text);
                text.strip_prefix('+').unwrap_or(text).parse().ok()
            }
        }
    }

    /// The exact text, as REDCap stores it.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            IntegerRepr::Value(value) => Cow::Owned(value.to_string()),
            IntegerRepr::Text(text) => Cow::Borrowed(text),
        }
    }

    /// Whether the text is the number's canonical form: no sign but `-`, no leading zero.
    pub fn is_canonical(&self) -> bool {
        matches!(self.0, IntegerRepr::Value(_))
    }
}

impl From<i64> for Integer {
    fn from(value: i64) -> Self {
        Self(IntegerRepr::Value(value))
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl WireValue for Integer {
    fn decode(raw: &str, _: DecodeMode) -> Result<Self, ValueError> {
        Self::parse(raw)
    }
    fn encode(&self) -> Cow<'_, str> {
        self.text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_read_in_one_pass_and_kept_as_written() {
        for (text, value, canonical) in [
            ("0", Some(0), true),
            ("-42", Some(-42), true),
            ("9223372036854775807", Some(i64::MAX), true),
            ("-9223372036854775808", Some(i64::MIN), true),
            ("070", Some(70), false),
            ("+70", Some(70), false),
            ("-0", Some(0), false),
            ("7\n", Some(7), false),
            ("9223372036854775808", None, false),
            ("-99999999999999999999", None, false),
        ] {
            let integer = Integer::parse(text).unwrap();
            assert_eq!(integer.value(), value, "{text:?}");
            assert_eq!(integer.is_canonical(), canonical, "{text:?}");
            assert_eq!(integer.text(), text, "{text:?}");
        }
        for bad in ["", "-", "+", "1.0", " 1", "1 ", "\n", "1\n\n", "--1", "0x1"] {
            assert!(Integer::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exact_values_stay_small() {
        // An optional cell costs two words, however it was written.
        assert_eq!(std::mem::size_of::<Option<Integer>>(), 16);
        assert_eq!(std::mem::size_of::<Option<Date>>(), 16);
    }
}
